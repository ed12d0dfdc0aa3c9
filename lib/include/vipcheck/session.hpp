// One probe run as a pure state machine: it is told the time and the frames seen, and
// answers with the frames to send and, in the end, what was proven. The engine does all
// the I/O, so every path through here is unit-tested without a network or privilege.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "vipcheck/neighbour.hpp"
#include "vipcheck/options.hpp"
#include "vipcheck/probe.hpp"
#include "vipcheck/trace.hpp"

namespace vipcheck {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// A second ARP answer for the same address from another MAC usually lands within
// microseconds of the first; holding an `up` this long after resolution lets it show.
inline constexpr Duration conflict_window = std::chrono::microseconds(500);

struct SessionPlan {
    Duration timeout = std::chrono::seconds(1);
    int attempts = 3;
    bool resolve = true; // false: the context's remote_mac was given (--mac)
    // With resolve: the caller resolves the next hop once for every session that
    // shares it (vipcheckd) and hands each answer to learn_mac(); the session sends no
    // request and reads no answer itself.
    bool shared_resolution = false;
};

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
    const std::optional<Evidence>& evidence() const { return evidence_; }
    std::optional<Duration> rtt() const { return rtt_; }
    const std::vector<MacAddress>& macs_seen() const { return macs_; }
    int probes_sent() const { return probes_sent_; }
    int requests_sent() const { return requests_sent_; }
    int frames_ignored() const { return ignored_; }
    bool resolved() const { return resolved_; }

private:
    void send_probe(TimePoint now, FrameBuilder& b, std::vector<Frame>& out);
    TimePoint slot(int k) const;
    Duration request_interval() const;

    const ProbeKind& kind_;
    ProbeContext context_;
    SessionPlan plan_;
    const Trace& trace_;
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
    int ignored_ = 0;
    std::vector<TimePoint> sent_at_;
    std::optional<Evidence> evidence_;
    std::optional<Duration> rtt_;
    std::optional<TimePoint> proven_at_;
};

} // namespace vipcheck
