// One interface, one packet socket: libpcap captures this run's replies and injects
// its frames. Injecting through the capture handle (pcap_inject) rather than libnet's
// own LIBNET_LINK socket means one socket bound to the one interface, filtered in the
// kernel by BPF, instead of a second, unbound ETH_P_ALL socket that would copy every
// frame of every interface into our queue while we run.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "vipcheck/frames.hpp"
#include "vipcheck/packet.hpp"
#include "vipcheck/route.hpp"

struct pcap;

namespace vipcheck {

class Link {
public:
    // Opens the capture (immediate mode, small ring, inbound only) with `filter`
    // installed before anything is sent. Throws Error naming the fix on EPERM.
    // `ring_bytes`: the kernel's capture buffer; a one-shot run needs only a handful
    // of replies (the default 2 MiB costs start-up time), vipcheckd a round's worth.
    Link(const InterfaceInfo& interface, const std::string& filter, int ring_bytes = 64 * 1024);

    int fd() const { return fd_; }
    int ifindex() const { return ifindex_; }
    void send(const Frame& frame);
    // Hands every frame waiting now to `on_frame`; never blocks.
    void drain(const std::function<void(Bytes)>& on_frame);

private:
    struct Closer {
        void operator()(pcap* p) const;
    };
    std::unique_ptr<pcap, Closer> pcap_;
    std::string ifname_;
    int ifindex_ = 0;
    int fd_ = -1;
};

} // namespace vipcheck
