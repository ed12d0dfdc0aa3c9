#include "daemon/service_board.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace vipcheck {

std::string realserver_file(const std::string& service, const std::string& rip) { return service + "/" + rip; }

std::size_t ServiceView::count(RsState s) const
{
    return static_cast<std::size_t>(
        std::count_if(realservers.begin(), realservers.end(), [&](const RealserverView& r) { return r.state == s; }));
}

ServiceBoard::Adopted ServiceBoard::adopt(std::vector<ServiceConfig> services, const std::vector<std::string>& started,
                                          Moment now)
{
    const std::set<std::string_view> fresh(started.begin(), started.end());
    Adopted out;
    std::vector<Service> next;
    next.reserve(services.size());
    for (const auto& config : services) {
        const auto old = std::find_if(configs_.begin(), configs_.end(),
                                      [&](const ServiceConfig& c) { return c.name == config.name; });
        Service* kept = old == configs_.end() ? nullptr : &services_[static_cast<std::size_t>(old - configs_.begin())];
        // The old judge, its standings kept, or a new one whose realservers all learn.
        Service service = kept ? std::move(*kept) : Service{ServiceJudge(config.rules), {}, 0};
        service.judge.set_rules(config.rules);
        for (const auto& r : service.realservers)
            if (std::none_of(config.realservers.begin(), config.realservers.end(),
                             [&](const ServiceRealserver& s) { return s.key == r.key; })) {
                service.judge.remove(r.key);
                out.removed_files.push_back(realserver_file(config.name, r.key));
            }
        std::vector<Realserver> realservers;
        for (const auto& server : config.realservers) {
            const auto was = std::find_if(service.realservers.begin(), service.realservers.end(),
                                          [&](const Realserver& r) { return r.key == server.key; });
            const bool restarted = std::any_of(server.targets.begin(), server.targets.end(),
                                               [&](const auto& t) { return fresh.contains(t.second); });
            Realserver r;
            if (was != service.realservers.end() && !restarted && service.judge.find(server.key)) {
                r = std::move(*was);
                r.planes.clear();
            } else {
                service.judge.learn(server.key, Stamp{service.round, now.steady});
                r.key = server.key;
                r.since_seconds = now.unix_seconds;
                out.learning_files.push_back(realserver_file(config.name, server.key));
            }
            for (const auto& t : server.targets)
                r.planes.push_back(t.first);
            realservers.push_back(std::move(r));
        }
        service.realservers = std::move(realservers);
        next.push_back(std::move(service));
    }
    for (std::size_t i = 0; i < configs_.size(); ++i)
        if (std::none_of(services.begin(), services.end(),
                         [&](const ServiceConfig& c) { return c.name == configs_[i].name; }))
            for (const auto& r : services_[i].realservers)
                out.removed_files.push_back(realserver_file(configs_[i].name, r.key));

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
    const ServiceRealserver& rs = config.realservers[index];
    server.diagnosis = diagnose(server.last, config.rules, Subject{config.vip, config.port, rs.rip});
    const bool good = good_round(server.last, config.rules);

    std::vector<RsState> before;
    before.reserve(service.realservers.size());
    for (const auto& r : service.realservers)
        before.push_back(service.judge.find(r.key)->state);
    ++service.round;
    service.judge.observe(server.key, good, Stamp{service.round, now.steady});

    std::vector<RealserverEvent> events;
    for (std::size_t i = 0; i < service.realservers.size(); ++i) {
        Realserver& r = service.realservers[i];
        const RsState state = service.judge.find(r.key)->state;
        const bool own = i == index;
        if (!own && state == before[i])
            continue;
        if (state != before[i])
            r.since_seconds = now.unix_seconds;
        RealserverEvent e;
        e.service = config.name;
        e.rip = r.key;
        e.from = before[i];
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
            out.push_back(realserver_file(configs_[s].name, r.key));
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
            const Standing& standing = *services_[s].judge.find(r.key);
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
