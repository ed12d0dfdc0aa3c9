#include "vipcheck/probe_loop.hpp"

#include <algorithm>
#include <map>
#include <queue>
#include <unordered_map>
#include <utility>
#include <fmt/format.h>

#include "probe/capture_set.hpp"
#include "probe/loop_keys.hpp"
#include "probe/neighbour_cache.hpp"
#include "probe/route_cache.hpp"
#include "probe/start_pacer.hpp"
#include "vipcheck/demux.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/link.hpp"
#include "vipcheck/neighbour.hpp"

namespace vipcheck {

namespace {

// Each interface's capture ring, for this loop's runs: a round's replies arrive at once,
// and 8 MiB of packed frames take 10,000 echo replies (bench/daemon.sh).
constexpr int reply_ring = 8 * 1024 * 1024;

// A run waiting for its turn to start.
struct Pending {
    std::uint64_t id;
    const ProbeKind* kind;
    ProbeOptions options;
    ProbeContext context;
    std::optional<NeighbourCache::Id> resolution; // nullopt: the MAC was given
};

struct Flight {
    std::uint64_t id;
    const ProbeKind* kind;
    Duration timeout;
    TimePoint start;
    ProbeSession session;
    std::optional<NeighbourCache::Id> resolution;
    CaptureKey demux;
    TimePoint scheduled = TimePoint::max();
};

} // namespace

struct ProbeLoop::Impl {
    Impl(CaptureSet& c, StartPacer& p, const Trace& t)
        : trace(t),
          captures(c),
          reader(
              c, [this](const CapturedFrame& f, TimePoint arrival) { on_frame(f, arrival); },
              [this](int ifindex, const std::string& why) { fail_link(ifindex, why); }),
          pacer(p)
    {
    }

    void submit(std::uint64_t id, const ProbeKind& kind, const ProbeOptions& o, TimePoint now);
    void start(Pending p, TimePoint now);
    void send(Flight& f);
    void settle(std::uint64_t serial, Flight& f, TimePoint now);
    void schedule(std::uint64_t serial, Flight& f, TimePoint now);
    void finish(std::uint64_t serial, std::optional<Outcome> failure);
    void fail_link(int ifindex, const std::string& why);
    void on_frame(const CapturedFrame& frame, TimePoint arrival);
    void resolve_due(TimePoint now);
    void run(TimePoint now);
    TimePoint next_wakeup() const;
    void release(const std::optional<NeighbourCache::Id>& resolution);
    void error_result(std::uint64_t id, const ProbeOptions& o, const std::string& why);
    // Hands `f`, which came at `arrival`, to the session of `serial`, if it is still in
    // flight.
    void tell(std::uint64_t serial, const CapturedFrame& f, TimePoint arrival, TimePoint now);

    const Trace& trace;
    CaptureSet& captures;
    CaptureSet::Reader reader;
    RouteLookup routes;
    RouteCache route_cache;
    NonceSource nonces;
    FrameBuilder builder;
    std::vector<Frame> out;
    NeighbourCache neighbours;
    StartPacer& pacer; // shared with vipcheckd's HTTP checks
    std::unordered_map<std::uint64_t, Pending> pending; // by pacer ticket
    std::unordered_map<std::uint64_t, std::unique_ptr<Flight>> flights;
    std::unordered_map<CaptureKey, std::uint64_t, KeyHash> by_key; // -> flight
    std::unordered_multimap<LinkAddress, std::uint64_t, KeyHash> watchers; // VIP -> flights watching for a leak
    using Timer = std::pair<TimePoint, std::uint64_t>;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
    std::uint64_t next_serial = 1;
    std::vector<ProbeResult> results;
};

void ProbeLoop::Impl::error_result(std::uint64_t id, const ProbeOptions& o, const std::string& why)
{
    Outcome outcome;
    outcome.verdict = Verdict::Error;
    outcome.subject = fmt::format("{} on {}", o.target.vip.str(), o.target.rip.str());
    outcome.detail = why;
    outcome.fields = {{"vip", o.target.vip.str()}, {"rip", o.target.rip.str()}};
    results.push_back({id, std::move(outcome)});
}

void ProbeLoop::Impl::release(const std::optional<NeighbourCache::Id>& resolution)
{
    if (resolution)
        neighbours.release(*resolution);
}

void ProbeLoop::Impl::submit(std::uint64_t id, const ProbeKind& kind, const ProbeOptions& o, TimePoint now)
{
    try {
        const Route route = route_cache.route(routes, o, now);
        captures.open(route.interface, "frame probes", shared_capture_filter(route.interface.mac), reply_ring);
        Pending p{id, &kind, o, probe_context(routes, o, route), std::nullopt};
        if (!o.mac) {
            // The ARP-leak test resolves without teaching the realserver our address.
            const bool anonymous = o.arp_leak || kind.is_arp_leak_test();
            p.resolution = neighbours.acquire(neighbour_query(p.context, anonymous), o.timeout / (2 * o.attempts));
        }
        const std::uint64_t ticket = next_serial++;
        pacer.enqueue(PaceLane::Frames, RealserverKey(o.target.rip), ticket);
        pending.emplace(ticket, std::move(p));
    } catch (const Error& e) {
        error_result(id, o, e.what());
    }
}

void ProbeLoop::Impl::start(Pending p, TimePoint now)
{
    if (!captures.find(p.context.ifindex)) {
        release(p.resolution);
        error_result(p.id, p.options, CaptureSet::gone(p.context.ifname));
        return;
    }
    // Every run in flight on a capture needs its own key: draw the nonce again on a clash.
    std::optional<CaptureKey> demux;
    for (int tries = 0; tries < 64 && !demux; ++tries) {
        p.context.nonce = nonces.next();
        const auto key = p.kind->nonce_key(p.context);
        if (!key) {
            release(p.resolution);
            error_result(p.id, p.options, "this kind of probe cannot run beside others on one capture");
            return;
        }
        if (!by_key.contains(CaptureKey{p.context.ifindex, *key}))
            demux = CaptureKey{p.context.ifindex, *key};
    }
    if (!demux) {
        release(p.resolution);
        error_result(p.id, p.options, "too many runs in flight on one capture to find a free nonce");
        return;
    }
    const bool resolve = p.resolution.has_value();
    const SessionPlan plan{.timeout = p.options.timeout,
                           .attempts = p.options.attempts,
                           .resolve = resolve,
                           .arp_leak = p.options.arp_leak,
                           .shared_resolution = resolve,
                           .capture_latency = CaptureSet::latency};
    const std::uint64_t serial = next_serial++;
    auto f = std::make_unique<Flight>(Flight{p.id, p.kind, p.options.timeout, now,
                                             ProbeSession(*p.kind, p.context, plan, now, trace), p.resolution,
                                             *demux});
    Flight& flight = *f;
    flights.emplace(serial, std::move(f));
    by_key.emplace(*demux, serial);
    // As session.cpp: a realserver on the link is watched for speaking for the VIP.
    if (!p.context.routed())
        watchers.emplace(LinkAddress{p.context.ifindex, p.context.vip}, serial);
    if (flight.resolution)
        for (const auto& answer : neighbours.attach(*flight.resolution, serial))
            flight.session.learn_mac(answer.mac, answer.at, now, builder, out);
    flight.session.on_timer(now, builder, out);
    settle(serial, flight, now);
}

void ProbeLoop::Impl::send(Flight& f)
{
    Link& link = captures.sending(f.session.context().ifindex, f.session.context().ifname);
    for (const auto& frame : out)
        link.send(frame);
    out.clear();
}

// After every event: send what the session asked for, then finish it or wake it later.
void ProbeLoop::Impl::settle(std::uint64_t serial, Flight& f, TimePoint now)
{
    try {
        send(f);
    } catch (const Error& e) {
        out.clear();
        Outcome failure;
        failure.verdict = Verdict::Error;
        failure.detail = e.what();
        finish(serial, std::move(failure));
        return;
    }
    if (f.session.finished(now)) {
        finish(serial, std::nullopt);
        return;
    }
    schedule(serial, f, now);
}

void ProbeLoop::Impl::schedule(std::uint64_t serial, Flight& f, TimePoint now)
{
    const TimePoint wake = std::max(now, f.session.next_wakeup());
    if (wake < f.scheduled || f.scheduled <= now) {
        f.scheduled = wake;
        timers.push({wake, serial});
    }
}

void ProbeLoop::Impl::finish(std::uint64_t serial, std::optional<Outcome> failure)
{
    auto it = flights.find(serial);
    if (it == flights.end())
        return;
    Flight& f = *it->second;
    Outcome outcome = describe(f.session, *f.kind, f.timeout, f.start);
    if (failure) {
        outcome.verdict = Verdict::Error;
        outcome.detail = failure->detail;
    } else if (outcome.verdict == Verdict::RsUnreachable && f.resolution) {
        // The session sent no request itself: the shared resolution did.
        const auto& q = neighbours.query(*f.resolution);
        const int requests = neighbours.requests(*f.resolution);
        outcome.detail = fmt::format("no {} reply from {} within {} ({} shared request{})",
                                     neighbour_protocol(q.target), q.target.str(), format_duration(f.timeout),
                                     requests, requests == 1 ? "" : "s");
    }
    results.push_back({f.id, std::move(outcome)});
    by_key.erase(f.demux);
    const auto [first, last] = watchers.equal_range(LinkAddress{f.session.context().ifindex, f.session.context().vip});
    for (auto w = first; w != last; ++w)
        if (w->second == serial) {
            watchers.erase(w);
            break;
        }
    if (f.resolution)
        neighbours.detach(*f.resolution, serial);
    release(f.resolution);
    flights.erase(it);
}

void ProbeLoop::Impl::fail_link(int ifindex, const std::string& why)
{
    std::vector<std::uint64_t> doomed;
    for (const auto& [serial, f] : flights)
        if (f->session.context().ifindex == ifindex)
            doomed.push_back(serial);
    for (auto serial : doomed) {
        Outcome failure;
        failure.detail = why;
        finish(serial, std::move(failure));
    }
    // Queued runs on it fail when they start; cached routes to it are dropped now.
    route_cache.forget_routes();
}

void ProbeLoop::Impl::tell(std::uint64_t serial, const CapturedFrame& f, TimePoint arrival, TimePoint now)
{
    auto it = flights.find(serial);
    if (it == flights.end())
        return;
    it->second->session.on_frame(f, arrival, builder, out);
    settle(serial, *it->second, now);
}

// A frame is judged at the time it came (the capture hands it over later); what it
// makes a session send goes out, and is timed, now.
void ProbeLoop::Impl::on_frame(const CapturedFrame& frame, TimePoint arrival)
{
    const TimePoint now = Clock::now();
    const int ifindex = frame.ifindex;
    if (const auto key = reply_key(frame.bytes)) {
        if (const auto hit = by_key.find(CaptureKey{ifindex, *key}); hit != by_key.end())
            tell(hit->second, frame, arrival, now);
        return;
    }
    for (const auto& learned : neighbours.on_frame(frame, arrival))
        for (auto serial : learned.sessions) {
            auto it = flights.find(serial);
            if (it == flights.end())
                continue;
            it->second->session.learn_mac(learned.mac, arrival, now, builder, out);
            settle(serial, *it->second, now);
        }
    for (const auto& subject : leak_subjects(frame.bytes)) {
        std::vector<std::uint64_t> watching;
        const auto [first, last] = watchers.equal_range(LinkAddress{ifindex, subject});
        for (auto w = first; w != last; ++w)
            watching.push_back(w->second);
        for (auto serial : watching)
            tell(serial, frame, arrival, now);
    }
}

void ProbeLoop::Impl::resolve_due(TimePoint now)
{
    for (const auto id : neighbours.due(now)) {
        const NeighbourQuery& q = neighbours.query(id);
        Link* link = captures.find(q.ifindex);
        if (!link)
            continue;
        trace.step("resolve", "{} who-has {} tell {}", neighbour_protocol(q.target), q.target.str(), q.source.str());
        try {
            link->send(neighbour_request(builder, q));
        } catch (const Error& e) {
            trace.step("resolve", "{}", e.what());
        }
        neighbours.asked(id, now);
    }
}

void ProbeLoop::Impl::run(TimePoint now)
{
    resolve_due(now);
    for (const auto ticket : pacer.due(PaceLane::Frames, now)) {
        auto node = pending.extract(ticket);
        start(std::move(node.mapped()), now);
    }
    while (!timers.empty() && timers.top().first <= now) {
        const auto [at, serial] = timers.top();
        timers.pop();
        auto it = flights.find(serial);
        if (it == flights.end() || it->second->scheduled != at)
            continue;
        Flight& f = *it->second;
        f.scheduled = TimePoint::max();
        f.session.on_timer(now, builder, out);
        settle(serial, f, now);
    }
}

TimePoint ProbeLoop::Impl::next_wakeup() const
{
    if (!results.empty())
        return TimePoint::min();
    TimePoint next = std::min(neighbours.next_request(), pacer.next_start());
    if (!timers.empty())
        next = std::min(next, timers.top().first);
    return next;
}

ProbeLoop::ProbeLoop(CaptureSet& captures, StartPacer& pacer, const Trace& trace)
    : impl_(std::make_unique<Impl>(captures, pacer, trace))
{
}
ProbeLoop::~ProbeLoop() = default;

void ProbeLoop::submit(std::uint64_t id, const ProbeKind& kind, const ProbeOptions& options, TimePoint now)
{
    impl_->submit(id, kind, options, now);
}

void ProbeLoop::run(TimePoint now) { impl_->run(now); }
std::vector<ProbeResult> ProbeLoop::take_results() { return std::exchange(impl_->results, {}); }
TimePoint ProbeLoop::next_wakeup() const { return impl_->next_wakeup(); }
std::size_t ProbeLoop::in_flight() const { return impl_->flights.size(); }

bool ProbeLoop::idle() const
{
    return impl_->flights.empty() && impl_->pacer.queued(PaceLane::Frames) == 0 && impl_->results.empty();
}

} // namespace vipcheck
