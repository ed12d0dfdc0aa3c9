#include "daemon/endpoint.hpp"

#include <fmt/format.h>

#include <chrono>

namespace vipcheck {

namespace {

double seconds(double ms) { return ms / 1000; }

} // namespace

Page route(const HttpRequest& request, const Scheduler& targets)
{
    if (request.path == "/metrics")
        return MetricsPage{};
    if (request.path == "/probe") {
        const auto name = request.query.find("target");
        if (name == request.query.end())
            return HttpReply{400, "missing ?target=NAME (a configured target)\n"};
        // Only configured targets: whoever reaches this port cannot choose what we send.
        const ScheduledTarget* t = targets.find(name->second);
        if (!t)
            return HttpReply{404, fmt::format("no configured target '{}'\n", name->second)};
        return ProbePage{t->id};
    }
    if (request.path == "/")
        return StatusPage{false};
    if (request.path == "/status.json")
        return StatusPage{true};
    return HttpReply{404, "not found: / (status), /status.json, /metrics, /probe?target=NAME\n"};
}

std::vector<TargetMetrics> target_metrics(const Scheduler& targets)
{
    std::vector<TargetMetrics> all;
    all.reserve(targets.targets().size());
    for (const auto& t : targets.targets()) {
        TargetMetrics m;
        m.name = t->config.name;
        // A string, not the string_view: GCC 12's Release build warns (a false positive)
        // that assigning the view reads the new string "uninitialized".
        m.kind = std::string(t->config.kind->name);
        // A mgmt-http target of `targets:` has no VIP (one of a service's planes has the
        // service's); kind http's is its URL's.
        if (!t->config.http || t->config.kind->at_vip || !t->config.service.empty())
            m.vip = t->config.options.target.vip.str();
        m.rip = t->config.options.target.rip.str();
        if (t->last) {
            m.verdict = t->last->verdict;
            m.duration_seconds = seconds(t->last->elapsed_ms);
            // The ARP-leak test's `up` is silence until the deadline: no reply time.
            if (t->last->rtt_ms && !(t->config.kind->kind && t->config.kind->kind->is_arp_leak_test()))
                m.rtt_seconds = seconds(*t->last->rtt_ms);
        }
        m.runs = t->counters.runs;
        m.failed = t->counters.failed;
        m.by_verdict = t->counters.by_verdict;
        all.push_back(std::move(m));
    }
    return all;
}

Endpoint::Endpoint(const ListenAddress& where, Scheduler& targets, const DaemonMetrics& daemon, Services services,
                   Start start)
    : targets_(targets),
      daemon_(daemon),
      services_(std::move(services)),
      start_(std::move(start)),
      server_(where, [this](const HttpRequest& r, const std::function<DeferredRequest()>& d) { return serve(r, d); })
{
}

std::optional<HttpReply> Endpoint::serve(const HttpRequest& request, const std::function<DeferredRequest()>& defer)
{
    const Page r = route(request, targets_);
    if (const auto* reply = std::get_if<HttpReply>(&r))
        return *reply;
    if (std::holds_alternative<MetricsPage>(r))
        return HttpReply{200,
                         format_metrics(daemon_, target_metrics(targets_)) + format_realserver_metrics(services_())};
    if (const auto* status = std::get_if<StatusPage>(&r)) {
        const StatusMeta meta{daemon_.version, unix_seconds(std::chrono::system_clock::now())};
        if (status->json)
            return HttpReply{200, format_status_json(services_(), meta), "application/json"};
        return HttpReply{200, format_status_html(services_(), meta), "text/html; charset=utf-8"};
    }
    const std::uint64_t id = std::get<ProbePage>(r).id;
    // A run already in flight (scheduled, or another /probe) answers this request too.
    if (const ScheduledTarget* t = targets_.start_now(id))
        start_(*t);
    Waiting& w = waiting_[id];
    if (w.name.empty())
        w.name = request.query.at("target");
    w.requests.push_back(defer());
    return std::nullopt;
}

void Endpoint::answer(std::uint64_t id, const Outcome& outcome)
{
    const auto it = waiting_.find(id);
    if (it == waiting_.end())
        return;
    for (const auto& request : it->second.requests)
        server_.answer(request, {200, format_probe(outcome, seconds(outcome.elapsed_ms))});
    waiting_.erase(it);
}

void Endpoint::retire(const std::vector<std::uint64_t>& ids)
{
    for (const std::uint64_t id : ids) {
        const auto it = waiting_.find(id);
        if (it == waiting_.end())
            continue;
        for (const auto& request : it->second.requests)
            server_.answer(request, {503, fmt::format("target '{}' was reconfigured while probed\n", it->second.name)});
        waiting_.erase(it);
    }
}

} // namespace vipcheck
