// One interface, one packet socket: libpcap captures this run's replies and injects
// its frames. Injecting through the capture handle (pcap_inject) rather than libnet's
// own LIBNET_LINK socket means one socket bound to the one interface, filtered in the
// kernel by BPF, instead of a second, unbound ETH_P_ALL socket that would copy every
// frame of every interface into our queue while we run.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "vipcheck/clock.hpp"
#include "vipcheck/frames.hpp"
#include "vipcheck/packet.hpp"
#include "vipcheck/route.hpp"

struct pcap;

namespace vipcheck {

// The capture's sizes. A probe's replies are a few small frames; a TCP stream's are
// whole segments, merged by GRO up to 64 KiB, and a window's worth at a time.
struct LinkBuffers {
    int snapshot = 512;      // enough for an ICMP error quoting a full probe or a SYN-ACK with every option
    int ring = 64 * 1024;    // a handful of replies; the default 2 MiB costs start-up time
    // Zero: immediate mode, where libpcap uses TPACKET_V2: a wake-up per frame, and
    // every ring slot as large as the snapshot. Otherwise TPACKET_V3: frames packed one
    // after another in blocks, so one ring holds both a round's thousands of small
    // replies and a stream's 64 KiB segments, handed over when a block fills or this
    // long after its first frame, rounded up to the kernel's tick.
    std::chrono::milliseconds batch{0};
};
inline constexpr LinkBuffers stream_buffers{256 * 1024, 4 * 1024 * 1024};

class Link {
public:
    // Opens the capture (inbound only; immediate or batched, `buffers.batch`) with
    // `filter` installed before anything is sent. Throws Error naming the fix on EPERM.
    Link(const InterfaceInfo& interface, const std::string& filter, LinkBuffers buffers = {});

    int fd() const { return fd_; }
    int ifindex() const { return ifindex_; }
    void send(const Frame& frame);
    // Replaces the kernel filter.
    void set_filter(const std::string& filter);
    // Hands every frame waiting now to `on_frame` with the time the kernel received it
    // (on this process's steady clock, never later than now): a batched capture hands a
    // frame over milliseconds after it came, and a reply counts by when it came.
    // Never blocks.
    void drain(const std::function<void(Bytes, TimePoint)>& on_frame);

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
