// vipcheckd's captures: one per interface, shared by every kind that reads frames. The
// ProbeLoop's runs find their replies by nonce, kind http's connections theirs by port
// (vip_links.hpp); each reader says what it needs as a kernel filter, and the capture's
// filter is all of them together, so an interface that both read is captured once.
//
// The capture is batched (TPACKET_V3, link.hpp): frames packed in blocks, so one ring
// takes an icmp round's thousands of small replies and the 64 KiB segments GRO makes of
// a stream alike, where immediate mode's fixed slots would need a slot of 64 KiB for
// every reply. The price is latency: a frame is handed over when its block fills or at
// the block timer, up to `latency` later; the ProbeLoop waits that out past each run's
// deadline (session.hpp), and every reader gets each frame's own arrival time.
//
// A block timer closes a block whatever it holds, so the ring is counted in time as well
// as in bytes: libpcap's blocks are 256 KiB, and a ring of N blocks lasts N ticks of
// trickling frames between two drains. Each use asks for its ring, and a capture grows
// (opened anew, the old one drained first) when a use needs more than it has.
#pragma once

#include <poll.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vipcheck/clock.hpp"
#include "vipcheck/link.hpp"
#include "vipcheck/probe.hpp"
#include "vipcheck/trace.hpp"

namespace vipcheck {

class CaptureSet {
public:
    // A frame, with the time it came, for a reader.
    using OnFrame = std::function<void(const CapturedFrame& frame, TimePoint arrival)>;
    // A capture that failed (its interface went away or down) and is closed.
    using OnFailure = std::function<void(int ifindex, const std::string& why)>;

    // The block timeout asked of the kernel, and the latency readers must allow for:
    // the timeout rounded up to a tick (4 ms at HZ=250) and the timer's softirq run
    // late on a busy machine.
    static constexpr std::chrono::milliseconds block_timeout{1};
    static constexpr std::chrono::milliseconds latency{50};

    explicit CaptureSet(const Trace& trace);
    CaptureSet(const CaptureSet&) = delete;
    CaptureSet& operator=(const CaptureSet&) = delete;

    // A reader of every capture's frames, and of their failures, while it lives.
    class Reader {
    public:
        Reader(CaptureSet& set, OnFrame on_frame, OnFailure on_failure);
        ~Reader();
        Reader(const Reader&) = delete;
        Reader& operator=(const Reader&) = delete;

    private:
        friend class CaptureSet;
        CaptureSet& set_;
        OnFrame on_frame_;
        OnFailure on_failure_;
    };

    // The capture of `interface`, opened now if it is not, with `filter` (one reader's
    // need, named by `use`) among what it passes and a ring of at least `ring` bytes.
    // Throws Error: no right to capture, no such interface, a bad filter.
    Link& open(const InterfaceInfo& interface, const std::string& use, const std::string& filter, int ring);
    // The open capture of `ifindex`, or null.
    Link* find(int ifindex);
    // The open capture of `ifindex` to send on. Throws Error naming `ifname` when it is
    // gone (it failed since the run planned on it), in the words of gone().
    Link& sending(int ifindex, const std::string& ifname);
    static std::string gone(const std::string& ifname);

    void poll_fds(std::vector<pollfd>& fds) const;
    // Hands every frame waiting in every capture to every reader. A capture that fails
    // is closed and each reader told. Never blocks.
    void run();

private:
    struct Capture {
        std::unique_ptr<Link> link;
        std::map<std::string, std::string> filters; // by use
        int ring = 0;
    };
    static std::string combined(const std::map<std::string, std::string>& filters);
    void drain(int ifindex, Link& link);

    const Trace& trace_;
    std::map<int, Capture> captures_; // by ifindex
    std::vector<Reader*> readers_;
};

} // namespace vipcheck
