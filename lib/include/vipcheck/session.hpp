// One probe run as a pure state machine: it is told the time and the frames seen, and
// answers with the frames to send and, in the end, what was proven. The engine does all
// the I/O, so every path through here is unit-tested without a network or privilege.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "vipcheck/clock.hpp"
#include "vipcheck/neighbour.hpp"
#include "vipcheck/options.hpp"
#include "vipcheck/probe.hpp"
#include "vipcheck/trace.hpp"

namespace vipcheck {


// A second ARP answer for the same address from another MAC usually lands within
// microseconds of the first; holding an `up` this long after resolution lets it show.
inline constexpr Duration conflict_window = std::chrono::microseconds(500);

struct SessionPlan {
    Duration timeout = std::chrono::seconds(1);
    int attempts = 3;
    bool resolve = true; // false: the context's remote_mac was given (--mac)
    // --arp-leak: the ARP-leak test (arp_leak.hpp) rides along: every attempt also asks
    // the realserver about the VIP, and an `up` holds only if it stays silent until the
    // deadline. Always on for a kind that is the test itself.
    bool arp_leak = false;
    // With resolve: the caller resolves the next hop once for every session that
    // shares it (vipcheckd) and hands each answer to learn_mac(); the session sends no
    // request and reads no answer itself.
    bool shared_resolution = false;
    // How long after a frame comes the capture may hand it over (a batched capture,
    // link.hpp): the run waits that long past its deadline, and past its window for a
    // second MAC, for what came before them. A frame counts by when it came: one that
    // came at or after the deadline is late, whenever it is read.
    Duration capture_latency{0};
};

// The kernel filter (pcap syntax) for everything a session reads: the neighbour
// answers (when it resolves), its kind's replies, and the ARP watch every session keeps
// for the realserver speaking for the VIP.
std::string session_capture_filter(const ProbeKind& kind, const ProbeContext& c, const SessionPlan& plan);

class ProbeSession {
public:
    ProbeSession(const ProbeKind& kind, ProbeContext context, SessionPlan plan, TimePoint start,
                 const Trace& trace);

    // Sends whatever is due at `now` (ARP requests, probes) into `out`.
    void on_timer(TimePoint now, FrameBuilder& b, std::vector<Frame>& out);
    void on_frame(const CapturedFrame& f, TimePoint now, FrameBuilder& b, std::vector<Frame>& out);

    // A MAC that answered for the next hop at `answered` (a shared resolution's): the
    // first one resolves and starts the probes, a second one is a conflict.
    void learn_mac(const MacAddress& mac, TimePoint answered, TimePoint now, FrameBuilder& b, std::vector<Frame>& out);

    bool finished(TimePoint now) const;
    TimePoint next_wakeup() const;
    TimePoint deadline() const { return deadline_; }

    Verdict verdict() const;
    const ProbeContext& context() const { return context_; }
    // What the kind's own classify() proved.
    const std::optional<Evidence>& evidence() const { return evidence_; }
    // What the ARP watch proved: the realserver speaks for the VIP. It outranks any
    // evidence of the kind's own.
    const std::optional<Evidence>& leak() const { return leak_; }
    // Of the leak when there is one, else of the kind's evidence.
    std::optional<Duration> rtt() const { return leak_ ? leak_rtt_ : rtt_; }
    bool leak_test() const { return leak_test_; }
    int questions_sent() const { return questions_sent_; }
    const std::vector<MacAddress>& macs_seen() const { return macs_; }
    int probes_sent() const { return probes_sent_; }
    int requests_sent() const { return requests_sent_; }
    int frames_ignored() const { return ignored_; }
    bool resolved() const { return resolved_; }

private:
    void send_attempt(TimePoint now, FrameBuilder& b, std::vector<Frame>& out);
    bool watch_leak(const CapturedFrame& f, TimePoint now);
    // Nothing more can change the verdict but a second MAC for the next hop.
    bool decided() const;
    TimePoint slot(int k) const;
    Duration request_interval() const;

    const ProbeKind& kind_;
    ProbeContext context_;
    SessionPlan plan_;
    const Trace& trace_;
    bool leak_test_;
    bool watch_; // the next hop is the realserver itself: its ARP is its own
    TimePoint start_;
    TimePoint deadline_;
    NeighbourQuery query_;

    bool resolved_;
    std::optional<TimePoint> resolved_at_;
    std::vector<MacAddress> macs_;
    TimePoint next_request_;
    TimePoint probe_base_; // when the MAC became known: probes are spread from here
    int next_slot_ = 0;
    int probes_sent_ = 0;
    int requests_sent_ = 0;
    int questions_sent_ = 0;
    int ignored_ = 0;
    std::vector<TimePoint> sent_at_;
    std::optional<TimePoint> first_sent_;
    std::optional<Evidence> evidence_;
    std::optional<Duration> rtt_;
    std::optional<Evidence> leak_;
    std::optional<Duration> leak_rtt_;
    std::optional<TimePoint> proven_at_;
};

} // namespace vipcheck
