// Link-layer resolution of the realserver (or next hop): the request we broadcast and
// the pure test of whether a captured frame answers it.
#pragma once

#include <optional>
#include <string>

#include "vipcheck/frames.hpp"
#include "vipcheck/probe.hpp"

namespace vipcheck {

struct NeighbourQuery {
    int ifindex = 0;
    MacAddress local_mac;
    IpAddress source; // ours: never the VIP
    IpAddress target; // the RIP or the next hop: never the VIP
};

// An ARP request for IPv4. Throws Error for IPv6 until neighbour discovery exists.
Frame neighbour_request(FrameBuilder& b, const NeighbourQuery& q);

// The MAC that answered, if the frame is an ARP reply from `target` to us, on our
// interface, with a consistent Ethernet source.
std::optional<MacAddress> neighbour_answer(const CapturedFrame& f, const NeighbourQuery& q);

// Kernel filter for the answers (pcap syntax).
std::string neighbour_filter(const NeighbourQuery& q);

} // namespace vipcheck
