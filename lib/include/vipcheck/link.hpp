// One interface, one packet socket: it captures this run's replies and injects its
// frames. Injecting through the capture socket rather than libnet's own LIBNET_LINK
// socket means one socket bound to the one interface, filtered in the kernel by BPF
// (compiled by libpcap from capture_filter()'s pcap syntax), instead of a second,
// unbound ETH_P_ALL socket that would copy every frame of every interface into our
// queue while we run.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <linux/filter.h>

#include "vipcheck/frames.hpp"
#include "vipcheck/packet.hpp"
#include "vipcheck/route.hpp"

namespace vipcheck {

class Link {
public:
    // Opens the capture (inbound only) with `filter` installed before the socket
    // sees any frame. Throws Error naming the fix on EPERM.
    Link(const InterfaceInfo& interface, const std::string& filter);
    ~Link();
    Link(const Link&) = delete;
    Link& operator=(const Link&) = delete;

    int fd() const { return fd_; }
    int ifindex() const { return ifindex_; }
    void send(const Frame& frame);
    // Hands the frames waiting now (a bounded batch) to `on_frame`; never blocks.
    void drain(const std::function<void(Bytes)>& on_frame);

private:
    void setup(std::vector<sock_filter>& code);

    std::string ifname_;
    int ifindex_ = 0;
    int fd_ = -1;
};

} // namespace vipcheck
