#include "daemon/judge.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "vipcheck/error.hpp"

namespace vipcheck {

std::string_view token(Plane p)
{
    switch (p) {
    case Plane::VipIcmp: return "vip-icmp";
    case Plane::VipSyn: return "vip-syn";
    case Plane::VipHttp: return "vip-http";
    case Plane::Arp: return "arp";
    case Plane::MgmtHttp: return "mgmt-http";
    }
    return "vip-icmp";
}

std::optional<Plane> parse_plane(std::string_view text)
{
    for (const auto p : all_planes)
        if (token(p) == text)
            return p;
    return std::nullopt;
}

PlaneSet::PlaneSet(std::initializer_list<Plane> planes)
{
    for (const auto p : planes)
        insert(p);
}

std::vector<Plane> PlaneSet::list() const
{
    std::vector<Plane> out;
    for (const auto p : all_planes)
        if (contains(p))
            out.push_back(p);
    return out;
}

PlaneSet vip_planes(PlaneSet planes)
{
    PlaneSet out;
    for (const auto p : planes.list())
        if (is_vip_plane(p))
            out.insert(p);
    return out;
}

std::size_t MinUp::floor(std::size_t proven) const
{
    switch (kind) {
    case Kind::None: return 0;
    case Kind::Count: return value;
    case Kind::Percent: return (proven * value + 99) / 100;
    }
    return 0;
}

JudgeRules default_rules(PlaneSet planes)
{
    JudgeRules r;
    r.planes = planes;
    r.depool_on = vip_planes(planes);
    return r;
}

void check_rules(const JudgeRules& rules)
{
    if (rules.planes.empty())
        throw Error("a service needs planes: list at least one of vip-icmp, vip-syn, vip-http, arp, mgmt-http");
    if (rules.depool_on.empty())
        throw Error("no plane can depool a realserver (depool_on is empty, and its default is the vip-* planes "
                    "listed): list a vip-* plane in planes, or name planes in depool_on");
    for (const auto p : rules.depool_on.list())
        if (!rules.planes.contains(p))
            throw Error(fmt::format("depool_on names {}, which planes does not list: add it to planes or remove it "
                                    "from depool_on",
                                    token(p)));
    if (rules.rise == 0)
        throw Error("rise 0 would pool a realserver without a good round: rise must be 1 or more (default 2)");
    if (rules.fall == 0)
        throw Error("fall 0 would depool a realserver without a failing round: fall must be 1 or more (default 3)");
    if (rules.min_up.kind == MinUp::Kind::Count && rules.min_up.value == 0)
        throw Error("min_up 0 holds nothing: leave min_up out, or give a count of 1 or more");
    if (rules.min_up.kind == MinUp::Kind::Percent && (rules.min_up.value == 0 || rules.min_up.value > 100))
        throw Error(fmt::format("min_up {}% is not a share of a pool: give 1% to 100%, or a count",
                                rules.min_up.value));
}

PlaneResults& PlaneResults::set(Plane p, Verdict v, std::string detail)
{
    results_[static_cast<std::size_t>(p)] = PlaneResult{v, std::move(detail)};
    return *this;
}

const PlaneResult* PlaneResults::find(Plane p) const
{
    const auto& r = results_[static_cast<std::size_t>(p)];
    return r ? &*r : nullptr;
}

bool good_round(const PlaneResults& results, const JudgeRules& rules)
{
    const auto depool_on = rules.depool_on.list();
    return !depool_on.empty() && std::all_of(depool_on.begin(), depool_on.end(), [&](Plane p) {
        const auto* r = results.find(p);
        return r && r->verdict == Verdict::Up;
    });
}

std::string_view token(RsState s)
{
    switch (s) {
    case RsState::Learning: return "learning";
    case RsState::Up: return "up";
    case RsState::Down: return "down";
    case RsState::Held: return "held";
    }
    return "down";
}

Standing tally(Standing s, bool good, const JudgeRules& rules, Stamp now)
{
    if (good) {
        ++s.good_run;
        s.bad_run = 0;
        s.last_good = now;
    } else {
        ++s.bad_run;
        s.good_run = 0;
    }
    switch (s.proposed) {
    case RsState::Learning:
        if (s.good_run >= rules.rise)
            s.proposed = RsState::Up;
        break;
    case RsState::Down:
    case RsState::Held: // never proposed; read as down
        s.proposed = s.good_run >= rules.rise ? RsState::Up : RsState::Down;
        break;
    case RsState::Up:
        if (s.bad_run >= rules.fall)
            s.proposed = RsState::Down;
        break;
    }
    return s;
}

namespace {

void move_to(Standing& s, RsState next, Stamp now)
{
    if (s.state == next)
        return;
    if (pooled(next) && !pooled(s.state))
        s.pooled_since = now;
    s.state = next;
    s.since = now;
    ++s.transitions;
}

} // namespace

void settle(std::span<Standing> service, const MinUp& min_up, Stamp now)
{
    std::size_t proven = 0;
    std::size_t up = 0;
    std::vector<std::size_t> candidates; // pooled, and rise and fall would take them out
    for (std::size_t i = 0; i < service.size(); ++i) {
        const auto& s = service[i];
        proven += s.proposed != RsState::Learning;
        up += s.proposed == RsState::Up;
        if (s.proposed == RsState::Down && pooled(s.state))
            candidates.push_back(i);
    }
    const std::size_t floor = min_up.floor(proven);
    const std::size_t hold = std::min(candidates.size(), floor > up ? floor - up : 0);
    // Pooled longest first, then the latest good round (none last), then service order.
    const auto rank = [&](std::size_t i) {
        const auto& s = service[i];
        return std::tuple(s.pooled_since.round, !s.last_good, s.last_good ? ~s.last_good->round : 0, i);
    };
    std::sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) { return rank(a) < rank(b); });

    std::vector<bool> held(service.size(), false);
    for (std::size_t k = 0; k < hold; ++k)
        held[candidates[k]] = true;
    for (std::size_t i = 0; i < service.size(); ++i)
        move_to(service[i], held[i] ? RsState::Held : service[i].proposed, now);
}

ServiceJudge::ServiceJudge(JudgeRules rules) : rules_(std::move(rules))
{
    check_rules(rules_);
}

void ServiceJudge::learn(const std::string& key, Stamp now)
{
    const auto it = std::find(keys_.begin(), keys_.end(), key);
    if (it != keys_.end()) {
        standings_[static_cast<std::size_t>(it - keys_.begin())] = Standing(now);
        return;
    }
    keys_.push_back(key);
    standings_.emplace_back(now);
}

void ServiceJudge::remove(std::string_view key)
{
    const auto it = std::find(keys_.begin(), keys_.end(), key);
    if (it == keys_.end())
        return;
    standings_.erase(standings_.begin() + (it - keys_.begin()));
    keys_.erase(it);
}

void ServiceJudge::set_rules(JudgeRules rules)
{
    check_rules(rules);
    rules_ = std::move(rules);
}

void ServiceJudge::observe_at(std::size_t index, bool good, Stamp now)
{
    auto& standing = standings_.at(index);
    standing = tally(std::move(standing), good, rules_, now);
    settle(standings_, rules_.min_up, now);
}

const Standing* ServiceJudge::find(std::string_view key) const
{
    const auto it = std::find(keys_.begin(), keys_.end(), key);
    return it == keys_.end() ? nullptr : &standings_[static_cast<std::size_t>(it - keys_.begin())];
}

std::size_t ServiceJudge::count(RsState s) const
{
    return static_cast<std::size_t>(
        std::count_if(standings_.begin(), standings_.end(), [&](const Standing& st) { return st.state == s; }));
}

} // namespace vipcheck
