#include "vipcheck/probe_loop.hpp"

#include <algorithm>
#include <utility>
#include <fmt/format.h>

#include "vipcheck/demux.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/neighbour.hpp"

namespace vipcheck {

namespace {

// Routes and the VIP checks are asked of the kernel once per round, not once per run:
// 10,000 runs to four realservers need four route lookups. A second is far shorter
// than any interval and far longer than a round's start.
constexpr Duration cache_life = std::chrono::seconds(1);

std::uint64_t demux_index(int ifindex, NonceKey k)
{
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(ifindex)) << 24 |
           static_cast<std::uint64_t>(k.protocol) << 16 | k.value;
}

// A bucket holds a few milliseconds' worth of starts, so that a late wake-up catches up
// without a burst.
double refill(double tokens, double rate, TimePoint& refilled, TimePoint now)
{
    const double burst = std::max(1.0, rate / 500);
    const double elapsed = std::chrono::duration<double>(now - refilled).count();
    refilled = now;
    return std::min(burst, tokens + rate * std::max(0.0, elapsed));
}

TimePoint when_token(double tokens, double rate, TimePoint refilled)
{
    if (tokens >= 1)
        return refilled;
    return refilled + std::chrono::duration_cast<Duration>(std::chrono::duration<double>((1 - tokens) / rate));
}

std::string watch_key(int ifindex, const IpAddress& vip)
{
    return fmt::format("{}|{}", ifindex, vip.str());
}

} // namespace

// One next hop's resolution, shared by the runs that start while it lives: it sends the
// requests and hands every answer to each of its sessions (ProbeSession::learn_mac).
struct ProbeLoop::Resolver {
    std::string key;
    NeighbourQuery query;
    Duration interval;
    TimePoint next_request;
    std::vector<std::pair<MacAddress, TimePoint>> answers;
    std::vector<std::uint64_t> sessions;
    int users = 0; // queued and in-flight runs
    int requests = 0;
};

struct ProbeLoop::Pending {
    std::uint64_t id;
    const ProbeKind* kind;
    ProbeOptions options;
    ProbeContext context;
    Resolver* resolver; // nullptr: the MAC was given
};

struct ProbeLoop::Flight {
    std::uint64_t id;
    const ProbeKind* kind;
    Duration timeout;
    TimePoint start;
    ProbeSession session;
    Resolver* resolver;
    std::uint64_t demux;
    TimePoint scheduled = TimePoint::max();
};

ProbeLoop::ProbeLoop(LoopLimits limits, const Trace& trace) : limits_(limits), trace_(trace) {}

ProbeLoop::~ProbeLoop() = default;

void ProbeLoop::error_result(std::uint64_t id, const ProbeOptions& o, const std::string& why)
{
    Outcome out;
    out.verdict = Verdict::Error;
    out.subject = fmt::format("{} on {}", o.target.vip.str(), o.target.rip.str());
    out.detail = why;
    out.fields = {{"vip", o.target.vip.str()}, {"rip", o.target.rip.str()}};
    results_.push_back({id, std::move(out)});
}

Link& ProbeLoop::link_for(const InterfaceInfo& interface)
{
    auto& link = links_[interface.index];
    if (!link) {
        try {
            link = std::make_unique<Link>(interface, shared_capture_filter(interface.mac), LinkBuffers{.ring = limits_.capture_ring});
        } catch (...) {
            links_.erase(interface.index);
            throw;
        }
        trace_.step("capture", "opened on {}", interface.name);
    }
    return *link;
}

ProbeLoop::Resolver& ProbeLoop::resolver_for(const ProbeContext& c, Duration interval, bool anonymous)
{
    const NeighbourQuery q = neighbour_query(c, anonymous);
    const std::string key = fmt::format("{}|{}|{}|{}", q.ifindex, q.source.str(), q.target.str(), anonymous);
    auto& r = resolvers_[key];
    if (!r) {
        r = std::make_unique<Resolver>();
        r->key = key;
        r->query = q;
        r->interval = interval;
        r->next_request = TimePoint::min();
    }
    r->interval = std::min(r->interval, interval);
    return *r;
}

void ProbeLoop::release(Resolver* r)
{
    if (r && --r->users == 0)
        resolvers_.erase(r->key);
}

void ProbeLoop::submit(std::uint64_t id, const ProbeKind& kind, const ProbeOptions& o, TimePoint now)
{
    try {
        const std::string vip = o.target.vip.str();
        auto& checked = targets_checked_[vip + (o.encap ? "|tunnel" : "") + "|" + o.target.rip.str()];
        if (checked.expires <= now) {
            checked.error.clear();
            try {
                check_target(routes_, o);
            } catch (const Error& e) {
                checked.error = e.what();
            }
            checked.expires = now + cache_life;
        }
        if (!checked.error.empty())
            throw Error(checked.error);

        auto& cached = routes_cache_[fmt::format("{}|{}|{}|{}", o.target.rip.str(), o.interface,
                                                 o.source ? o.source->str() : "", o.encap ? 1 : 0)];
        if (cached.expires <= now) {
            cached.route.reset();
            cached.error.clear();
            try {
                cached.route = probe_route(routes_, o);
            } catch (const Error& e) {
                cached.error = e.what();
            }
            cached.expires = now + cache_life;
        }
        if (!cached.route)
            throw Error(cached.error);
        const Route& route = *cached.route;
        if (route.source == o.target.vip)
            probe_route(routes_, o); // throws the one-shot tool's message
        link_for(route.interface);

        auto p = std::make_unique<Pending>(Pending{id, &kind, o, probe_context(routes_, o, route), nullptr});
        if (!o.mac) {
            // The ARP-leak test resolves without teaching the realserver our address.
            p->resolver = &resolver_for(p->context, o.timeout / (2 * o.attempts), o.arp_leak || kind.is_arp_leak_test());
            ++p->resolver->users;
        }
        auto& q = queues_[o.target.rip.str()];
        q.waiting.push_back(std::move(p));
        ++queued_;
    } catch (const Error& e) {
        error_result(id, o, e.what());
    }
}

void ProbeLoop::start(std::unique_ptr<Pending> p, TimePoint now)
{
    Link* link = nullptr;
    if (auto it = links_.find(p->context.ifindex); it != links_.end())
        link = it->second.get();
    if (!link) {
        release(p->resolver);
        error_result(p->id, p->options, fmt::format("the capture on {} is gone", p->context.ifname));
        return;
    }
    // Every run in flight on a capture needs its own key: draw the nonce again on a clash.
    std::optional<std::uint64_t> index;
    for (int tries = 0; tries < 64 && !index; ++tries) {
        p->context.nonce = Nonce::random();
        const auto key = p->kind->nonce_key(p->context);
        if (!key) {
            release(p->resolver);
            error_result(p->id, p->options, "this kind of probe cannot run beside others on one capture");
            return;
        }
        if (!by_key_.contains(demux_index(p->context.ifindex, *key)))
            index = demux_index(p->context.ifindex, *key);
    }
    if (!index) {
        release(p->resolver);
        error_result(p->id, p->options, "too many runs in flight on one capture to find a free nonce");
        return;
    }
    const bool resolve = p->resolver != nullptr;
    const SessionPlan plan{.timeout = p->options.timeout,
                           .attempts = p->options.attempts,
                           .resolve = resolve,
                           .arp_leak = p->options.arp_leak,
                           .shared_resolution = resolve};
    const std::uint64_t serial = next_serial_++;
    auto f = std::make_unique<Flight>(Flight{p->id, p->kind, p->options.timeout, now,
                                             ProbeSession(*p->kind, p->context, plan, now, trace_), p->resolver,
                                             *index});
    Flight& flight = *f;
    flights_.emplace(serial, std::move(f));
    by_key_.emplace(*index, serial);
    // As session.cpp: a realserver on the link is watched for speaking for the VIP.
    if (!p->context.routed())
        watchers_.emplace(watch_key(p->context.ifindex, p->context.vip), serial);
    if (flight.resolver) {
        flight.resolver->sessions.push_back(serial);
        for (const auto& [mac, at] : flight.resolver->answers)
            flight.session.learn_mac(mac, at, now, builder_, out_);
    }
    flight.session.on_timer(now, builder_, out_);
    settle(serial, flight, now);
}

void ProbeLoop::send(Flight& f)
{
    auto it = links_.find(f.session.context().ifindex);
    if (it == links_.end())
        throw Error(fmt::format("the capture on {} is gone", f.session.context().ifname));
    for (const auto& frame : out_)
        it->second->send(frame);
    out_.clear();
}

// After every event: send what the session asked for, then finish it or wake it later.
void ProbeLoop::settle(std::uint64_t serial, Flight& f, TimePoint now)
{
    try {
        send(f);
    } catch (const Error& e) {
        out_.clear();
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

void ProbeLoop::schedule(std::uint64_t serial, Flight& f, TimePoint now)
{
    const TimePoint wake = std::max(now, f.session.next_wakeup());
    if (wake < f.scheduled || f.scheduled <= now) {
        f.scheduled = wake;
        timers_.push({wake, serial});
    }
}

void ProbeLoop::finish(std::uint64_t serial, std::optional<Outcome> failure)
{
    auto it = flights_.find(serial);
    if (it == flights_.end())
        return;
    Flight& f = *it->second;
    Outcome out = describe(f.session, *f.kind, f.timeout, f.start);
    if (failure) {
        out.verdict = Verdict::Error;
        out.detail = failure->detail;
    } else if (out.verdict == Verdict::RsUnreachable && f.resolver) {
        // The session sent no request itself: the shared resolution did.
        const auto& q = f.resolver->query;
        out.detail = fmt::format("no {} reply from {} within {} ({} shared request{})",
                                 neighbour_protocol(q.target), q.target.str(), format_duration(f.timeout),
                                 f.resolver->requests, f.resolver->requests == 1 ? "" : "s");
    }
    results_.push_back({f.id, std::move(out)});
    by_key_.erase(f.demux);
    const auto [first, last] = watchers_.equal_range(watch_key(f.session.context().ifindex, f.session.context().vip));
    for (auto w = first; w != last; ++w)
        if (w->second == serial) {
            watchers_.erase(w);
            break;
        }
    if (f.resolver)
        std::erase(f.resolver->sessions, serial);
    release(f.resolver);
    flights_.erase(it);
}

void ProbeLoop::fail_link(int ifindex, const std::string& why)
{
    std::vector<std::uint64_t> doomed;
    for (const auto& [serial, f] : flights_)
        if (f->session.context().ifindex == ifindex)
            doomed.push_back(serial);
    for (auto serial : doomed) {
        Outcome failure;
        failure.detail = why;
        finish(serial, std::move(failure));
    }
    links_.erase(ifindex);
    // Queued runs on it fail when they start; cached routes to it are dropped now.
    routes_cache_.clear();
}

void ProbeLoop::drain(Link& link)
{
    const int ifindex = link.ifindex();
    link.drain([&](Bytes bytes) {
        // Each frame's own time: a drain can last while more replies arrive.
        const TimePoint now = Clock::now();
        const CapturedFrame frame{bytes, ifindex};
        if (const auto key = reply_key(bytes)) {
            const auto hit = by_key_.find(demux_index(ifindex, *key));
            if (hit == by_key_.end())
                return;
            const std::uint64_t serial = hit->second;
            Flight& f = *flights_.at(serial);
            f.session.on_frame(frame, now, builder_, out_);
            settle(serial, f, now);
            return;
        }
        for (auto& [key, r] : resolvers_) {
            if (r->query.ifindex != ifindex)
                continue;
            const auto mac = neighbour_answer(frame, r->query);
            if (!mac)
                continue;
            if (std::none_of(r->answers.begin(), r->answers.end(), [&](const auto& a) { return a.first == *mac; }))
                r->answers.emplace_back(*mac, now);
            // learn_mac may finish sessions, which edits r->sessions: walk a copy.
            const auto sessions = r->sessions;
            for (auto serial : sessions) {
                auto it = flights_.find(serial);
                if (it == flights_.end())
                    continue;
                it->second->session.learn_mac(*mac, now, now, builder_, out_);
                settle(serial, *it->second, now);
            }
        }
        for (const auto& subject : leak_subjects(bytes)) {
            std::vector<std::uint64_t> watching;
            const auto [first, last] = watchers_.equal_range(watch_key(ifindex, subject));
            for (auto w = first; w != last; ++w)
                watching.push_back(w->second);
            for (auto serial : watching) {
                auto it = flights_.find(serial);
                if (it == flights_.end())
                    continue;
                it->second->session.on_frame(frame, now, builder_, out_);
                settle(serial, *it->second, now);
            }
        }
    });
}

void ProbeLoop::resolve_due(TimePoint now)
{
    for (auto& [key, r] : resolvers_) {
        if (!r->answers.empty() || now < r->next_request)
            continue;
        auto it = links_.find(r->query.ifindex);
        if (it == links_.end())
            continue;
        trace_.step("resolve", "{} who-has {} tell {}", neighbour_protocol(r->query.target), r->query.target.str(),
                    r->query.source.str());
        try {
            it->second->send(neighbour_request(builder_, r->query));
        } catch (const Error& e) {
            trace_.step("resolve", "{}", e.what());
        }
        ++r->requests;
        r->next_request = now + r->interval;
    }
}

void ProbeLoop::pace(TimePoint now)
{
    if (queued_ == 0)
        return;
    tokens_ = refill(tokens_, limits_.rate, refilled_, now);
    bool progress = true;
    while (progress && tokens_ >= 1 && queued_ > 0) {
        progress = false;
        // One start per realserver per pass: the realservers take turns.
        for (auto& [rip, q] : queues_) {
            if (q.waiting.empty() || tokens_ < 1)
                continue;
            q.tokens = refill(q.tokens, limits_.realserver_rate, q.refilled, now);
            if (q.tokens < 1)
                continue;
            auto p = std::move(q.waiting.front());
            q.waiting.pop_front();
            --queued_;
            q.tokens -= 1;
            tokens_ -= 1;
            start(std::move(p), now);
            progress = true;
        }
    }
    std::erase_if(queues_, [](const auto& entry) { return entry.second.waiting.empty(); });
}

void ProbeLoop::run(TimePoint now)
{
    std::vector<int> broken;
    for (auto& [ifindex, link] : links_) {
        try {
            drain(*link);
        } catch (const Error& e) {
            broken.push_back(ifindex);
            trace_.step("capture", "{}", e.what());
        }
    }
    for (int ifindex : broken)
        fail_link(ifindex, fmt::format("capture failed: the interface went away or down"));
    resolve_due(now);
    pace(now);
    while (!timers_.empty() && timers_.top().first <= now) {
        const auto [at, serial] = timers_.top();
        timers_.pop();
        auto it = flights_.find(serial);
        if (it == flights_.end() || it->second->scheduled != at)
            continue;
        Flight& f = *it->second;
        f.scheduled = TimePoint::max();
        f.session.on_timer(now, builder_, out_);
        settle(serial, f, now);
    }
}

std::vector<ProbeResult> ProbeLoop::take_results()
{
    return std::exchange(results_, {});
}

void ProbeLoop::poll_fds(std::vector<pollfd>& fds) const
{
    for (const auto& [ifindex, link] : links_)
        fds.push_back({link->fd(), POLLIN, 0});
}

TimePoint ProbeLoop::next_wakeup() const
{
    TimePoint next = TimePoint::max();
    if (!timers_.empty())
        next = timers_.top().first;
    for (const auto& [key, r] : resolvers_)
        if (r->answers.empty())
            next = std::min(next, r->next_request);
    if (queued_ > 0) {
        TimePoint when = when_token(tokens_, limits_.rate, refilled_);
        TimePoint soonest_rs = TimePoint::max();
        for (const auto& [rip, q] : queues_)
            if (!q.waiting.empty())
                soonest_rs = std::min(soonest_rs, when_token(q.tokens, limits_.realserver_rate, q.refilled));
        next = std::min(next, std::max(when, soonest_rs));
    }
    if (!results_.empty())
        next = TimePoint::min();
    return next;
}

bool ProbeLoop::idle() const
{
    return flights_.empty() && queued_ == 0 && results_.empty();
}

} // namespace vipcheck
