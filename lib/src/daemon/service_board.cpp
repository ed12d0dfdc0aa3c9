#include "daemon/service_board.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "daemon/service_round.hpp"

namespace vipcheck {

std::size_t ServiceView::count(RsState s) const
{
    return static_cast<std::size_t>(
        std::count_if(realservers.begin(), realservers.end(), [&](const RealserverView& r) { return r.state == s; }));
}

ServiceBoard::Adopted ServiceBoard::adopt(std::vector<ServiceConfig> services, const std::vector<std::string>& started,
                                          Moment now)
{
    // By name, not by scanning: a reload may add thousands of realservers.
    const std::unordered_set<std::string_view> fresh(started.begin(), started.end());
    std::unordered_map<std::string_view, std::size_t> old_services;
    for (std::size_t i = 0; i < configs_.size(); ++i)
        old_services.emplace(configs_[i].name, i);
    std::vector<bool> service_kept(configs_.size(), false);
    Adopted out;
    std::vector<Service> next;
    next.reserve(services.size());
    for (const auto& config : services) {
        const auto old = old_services.find(config.name);
        Service* kept = old == old_services.end() ? nullptr : &services_[old->second];
        if (kept)
            service_kept[old->second] = true;
        // The old judge, its standings kept, or a new one whose realservers all learn.
        Service service = kept ? std::move(*kept) : Service{ServiceJudge(config.rules), {}, 0};
        service.judge.set_rules(config.rules);
        std::unordered_map<std::string_view, std::size_t> configured;
        for (std::size_t i = 0; i < config.realservers.size(); ++i)
            configured.emplace(config.realservers[i].key, i);
        std::unordered_map<std::string, Realserver> was;
        for (auto& r : service.realservers) {
            if (configured.contains(r.key)) {
                std::string key = r.key;
                was.emplace(std::move(key), std::move(r));
                continue;
            }
            service.judge.remove(r.key);
            out.removed_files.push_back(r.file);
        }
        std::vector<Realserver> realservers;
        realservers.reserve(config.realservers.size());
        for (const auto& server : config.realservers) {
            const auto it = was.find(server.key);
            const bool restarted = std::any_of(server.targets.begin(), server.targets.end(),
                                               [&](const auto& t) { return fresh.contains(t.second); });
            Realserver r;
            if (it != was.end() && !restarted) {
                r = std::move(it->second);
                r.planes.clear();
            } else {
                service.judge.learn(server.key, Stamp{service.round, now.steady});
                r.key = server.key;
                r.since_seconds = now.unix_seconds;
                out.learning_files.push_back(server.file);
            }
            r.file = server.file;
            for (const auto& t : server.targets)
                r.planes.push_back(t.first);
            realservers.push_back(std::move(r));
        }
        std::unordered_map<std::string_view, std::size_t> in_judge;
        for (std::size_t i = 0; i < service.judge.keys().size(); ++i)
            in_judge.emplace(service.judge.keys()[i], i);
        for (auto& r : realservers)
            r.judge_index = in_judge.at(r.key);
        service.realservers = std::move(realservers);
        next.push_back(std::move(service));
    }
    for (std::size_t i = 0; i < configs_.size(); ++i)
        if (!service_kept[i])
            for (const auto& r : services_[i].realservers)
                out.removed_files.push_back(r.file);

    configs_ = std::move(services);
    services_ = std::move(next);
    by_target_.clear();
    for (std::size_t s = 0; s < configs_.size(); ++s)
        for (std::size_t r = 0; r < configs_[s].realservers.size(); ++r)
            for (const auto& [plane, target] : configs_[s].realservers[r].targets)
                by_target_.emplace(target, Where{s, r, plane});
    return out;
}

std::vector<RealserverEvent> ServiceBoard::record(const std::string& name, const Outcome& outcome, Moment now)
{
    const auto where = by_target_.find(name);
    if (where == by_target_.end())
        return {};
    const auto [s, index, plane] = where->second;
    Service& service = services_[s];
    const ServiceConfig& config = configs_[s];
    Realserver& server = service.realservers[index];
    server.pending.set(plane, outcome.verdict, outcome.detail);
    server.fresh.insert(plane);
    if (std::any_of(server.planes.begin(), server.planes.end(), [&](Plane p) { return !server.fresh.contains(p); }))
        return {};

    // Every plane has reported: the realserver's round.
    server.last = std::exchange(server.pending, PlaneResults{});
    server.fresh = PlaneSet{};
    ++server.rounds;
    RoundReading reading = read_round(config, config.realservers[index], server.last);
    server.diagnosis = std::move(reading.diagnosis);
    const bool good = reading.good;

    // A round moves its own realserver and, through min_up, possibly others: compare
    // every state before and after, by position (no lookup per realserver).
    const auto standings = service.judge.standings();
    std::vector<RsState> before(standings.size());
    for (std::size_t i = 0; i < standings.size(); ++i)
        before[i] = standings[i].state;
    ++service.round;
    service.judge.observe_at(server.judge_index, good, Stamp{service.round, now.steady});

    std::vector<RealserverEvent> events;
    for (std::size_t i = 0; i < service.realservers.size(); ++i) {
        Realserver& r = service.realservers[i];
        const RsState was = before[r.judge_index];
        const RsState state = standings[r.judge_index].state;
        const bool own = i == index;
        if (!own && state == was)
            continue;
        if (state != was)
            r.since_seconds = now.unix_seconds;
        RealserverEvent e;
        e.service = config.name;
        e.rip = r.key;
        e.file = r.file;
        e.from = was;
        e.to = state;
        e.judged = own;
        e.good = own && good;
        if (own)
            e.diagnosis = server.diagnosis;
        // A learner proving itself leaves the files as it found them (a restart keeps the pool).
        if (!(own && state == RsState::Learning && good))
            e.file_pooled = pooled(state);
        events.push_back(std::move(e));
    }
    return events;
}

std::vector<std::string> ServiceBoard::files() const
{
    std::vector<std::string> out;
    for (std::size_t s = 0; s < configs_.size(); ++s)
        for (const auto& r : services_[s].realservers)
            out.push_back(r.file);
    return out;
}

std::vector<ServiceView> ServiceBoard::views() const
{
    std::vector<ServiceView> out;
    out.reserve(configs_.size());
    for (std::size_t s = 0; s < configs_.size(); ++s) {
        const ServiceConfig& config = configs_[s];
        ServiceView v{config.name, config.vip, config.port, config.rules, {}};
        for (std::size_t i = 0; i < services_[s].realservers.size(); ++i) {
            const Realserver& r = services_[s].realservers[i];
            const Standing& standing = services_[s].judge.standings()[r.judge_index];
            RealserverView rv;
            rv.rip = r.key;
            rv.state = standing.state;
            rv.since_seconds = r.since_seconds;
            rv.transitions = standing.transitions;
            rv.rounds = r.rounds;
            for (const Plane p : r.planes) {
                const PlaneResult* result = r.rounds ? r.last.find(p) : nullptr;
                rv.planes.emplace_back(p, result ? std::optional<PlaneResult>(*result) : std::nullopt);
            }
            rv.diagnosis = r.diagnosis ? *r.diagnosis
                                       : diagnose(PlaneResults{}, config.rules,
                                                  Subject{config.vip, config.port, config.realservers[i].rip});
            v.realservers.push_back(std::move(rv));
        }
        out.push_back(std::move(v));
    }
    return out;
}

} // namespace vipcheck
