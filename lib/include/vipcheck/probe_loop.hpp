// Many probe runs on one loop (vipcheckd): each run is the same ProbeSession the
// one-shot tools drive, but the captures stay open (one per interface), a frame goes
// only to the session its nonce key names (demux.hpp), each next hop is resolved once
// for every run that starts while its resolution lives (a round), and session starts
// are paced, overall and per realserver. The caller owns the clock and the poll.
#pragma once

#include <poll.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "vipcheck/engine.hpp"
#include "vipcheck/link.hpp"
#include "vipcheck/session.hpp"

namespace vipcheck {

struct LoopLimits {
    double rate = 50'000;                // session starts per second, all realservers together
    double realserver_rate = 10'000;     // session starts per second to one realserver
    int capture_ring = 8 * 1024 * 1024;  // per interface: a round's replies arrive at once
};

struct ProbeResult {
    std::uint64_t id = 0; // the caller's, from submit()
    Outcome outcome;
};

class ProbeLoop {
public:
    ProbeLoop(LoopLimits limits, const Trace& trace);
    ~ProbeLoop();
    ProbeLoop(const ProbeLoop&) = delete;
    ProbeLoop& operator=(const ProbeLoop&) = delete;

    // Queues one run of `kind` with `options`; it starts when pacing allows. A local
    // problem of this target (no route, no capture) comes back as its `error` result.
    void submit(std::uint64_t id, const ProbeKind& kind, const ProbeOptions& options, TimePoint now);
    // Reads every capture, sends what is due, starts what pacing allows. Never blocks.
    void run(TimePoint now);
    std::vector<ProbeResult> take_results();

    // The captures' descriptors, to poll for input.
    void poll_fds(std::vector<pollfd>& fds) const;
    // When run() has work next (TimePoint::max() when idle).
    TimePoint next_wakeup() const;
    bool idle() const;
    std::size_t in_flight() const { return flights_.size(); }
    std::size_t open_captures() const { return links_.size(); }

private:
    struct Resolver;
    struct Pending;
    struct Flight;
    struct RealserverQueue {
        std::deque<std::unique_ptr<Pending>> waiting;
        double tokens = 0;
        TimePoint refilled;
    };
    struct Cached {
        std::optional<Route> route;
        std::string error;
        TimePoint expires;
    };

    Link& link_for(const InterfaceInfo& interface);
    Resolver& resolver_for(const ProbeContext& c, Duration interval, bool anonymous);
    void start(std::unique_ptr<Pending> p, TimePoint now);
    void pace(TimePoint now);
    void drain(Link& link);
    void resolve_due(TimePoint now);
    void send(Flight& f);
    void schedule(std::uint64_t serial, Flight& f, TimePoint now);
    void settle(std::uint64_t serial, Flight& f, TimePoint now);
    void finish(std::uint64_t serial, std::optional<Outcome> failure);
    void fail_link(int ifindex, const std::string& why);
    void release(Resolver* r);
    void error_result(std::uint64_t id, const ProbeOptions& o, const std::string& why);

    LoopLimits limits_;
    const Trace& trace_;
    RouteLookup routes_;
    FrameBuilder builder_;
    std::vector<Frame> out_;
    std::map<int, std::unique_ptr<Link>> links_;
    std::map<std::string, std::unique_ptr<Resolver>> resolvers_;
    std::map<std::string, RealserverQueue> queues_;
    std::size_t queued_ = 0;
    double tokens_ = 0;
    TimePoint refilled_{};
    std::unordered_map<std::uint64_t, std::unique_ptr<Flight>> flights_;
    std::unordered_map<std::uint64_t, std::uint64_t> by_key_; // (ifindex, nonce key) -> flight
    std::unordered_multimap<std::string, std::uint64_t> watchers_; // "ifindex|VIP" -> flights watching for a leak
    using Timer = std::pair<TimePoint, std::uint64_t>;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
    std::uint64_t next_serial_ = 1;
    std::map<std::string, Cached> routes_cache_;
    std::map<std::string, Cached> targets_checked_;
    std::vector<ProbeResult> results_;
};

} // namespace vipcheck
