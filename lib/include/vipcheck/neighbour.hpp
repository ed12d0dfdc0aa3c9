// Link-layer resolution of the realserver (or next hop): the request we send and the
// pure test of whether a captured frame answers it. ARP for IPv4, neighbour discovery
// (RFC 4861) for IPv6. Never for the VIP: the target is the RIP or a gateway.
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
    // IPv4 only: ask as an RFC 5227 ARP probe, sender address 0.0.0.0. The realserver
    // answers it without caching us, so that the ARP-leak test can still watch which
    // sender address it uses when it must resolve us itself. Over IPv6 Linux only ever
    // solicits from the VIP when the VIP is on the interface, and then it also answers
    // the leak test's solicitation: an ordinary solicitation hides nothing there.
    bool anonymous = false;

    // The sender address the request carries: 0.0.0.0 for an anonymous ARP probe.
    IpAddress sender() const;
};

// What a probe context resolves: its next hop, asked from our address in that family
// (the tunnel's outer source when tunnelled).
NeighbourQuery neighbour_query(const ProbeContext& c, bool anonymous = false);

// An ARP request (IPv4) or a neighbour solicitation to the target's solicited-node
// group (IPv6).
Frame neighbour_request(FrameBuilder& b, const NeighbourQuery& q);

// The MAC that answered, if the frame is an ARP reply from `target` to us (to 0.0.0.0
// for an anonymous probe), or a solicited neighbour advertisement for `target` to us,
// on our interface.
std::optional<MacAddress> neighbour_answer(const CapturedFrame& f, const NeighbourQuery& q);

// Kernel filter for the answers (pcap syntax).
std::string neighbour_filter(const NeighbourQuery& q);

// "ARP" or "ND", for messages.
const char* neighbour_protocol(const IpAddress& target);

} // namespace vipcheck
