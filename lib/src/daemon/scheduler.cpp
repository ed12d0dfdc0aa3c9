#include "daemon/scheduler.hpp"

namespace vipcheck {

void RunCounters::count(Verdict v)
{
    ++runs;
    if (v != Verdict::Up)
        ++failed;
    ++by_verdict[v];
}

Adoption Scheduler::adopt(std::vector<TargetConfig> targets, TimePoint now)
{
    std::map<std::string, std::unique_ptr<ScheduledTarget>> old;
    for (auto& t : targets_)
        old.emplace(t->config.name, std::move(t));
    targets_.clear();
    Adoption out;
    for (auto& c : targets) {
        auto it = old.find(c.name);
        if (it != old.end() && it->second->config == c) {
            targets_.push_back(std::move(it->second));
            old.erase(it);
            continue;
        }
        auto t = std::make_unique<ScheduledTarget>();
        t->config = std::move(c);
        t->id = next_id_++;
        t->next_due = now;
        out.started.push_back(t->config.name);
        targets_.push_back(std::move(t));
    }
    by_id_.clear();
    by_name_.clear();
    schedule_ = {};
    for (auto& t : targets_) {
        by_id_[t->id] = t.get();
        by_name_[t->config.name] = t.get();
        enqueue(*t);
    }
    for (const auto& [name, t] : old) {
        out.retired.push_back(t->id);
        if (!by_name_.contains(name))
            out.removed.push_back(name);
    }
    return out;
}

void Scheduler::enqueue(ScheduledTarget& t) { schedule_.push({t.next_due, t.id}); }

std::vector<const ScheduledTarget*> Scheduler::take_due(TimePoint now)
{
    std::vector<const ScheduledTarget*> due;
    while (!schedule_.empty() && schedule_.top().first <= now) {
        const auto [when, id] = schedule_.top();
        schedule_.pop();
        const auto it = by_id_.find(id);
        if (it == by_id_.end() || it->second->next_due != when)
            continue;
        ScheduledTarget& t = *it->second;
        // A run still in flight (a /probe, or a timeout longer than the gap) skips a turn.
        if (!t.in_flight) {
            t.in_flight = true;
            due.push_back(&t);
        }
        t.next_due = when + t.config.interval;
        if (t.next_due <= now)
            t.next_due = now + t.config.interval;
        enqueue(t);
    }
    return due;
}

const ScheduledTarget* Scheduler::start_now(std::uint64_t id)
{
    const auto it = by_id_.find(id);
    if (it == by_id_.end() || it->second->in_flight)
        return nullptr;
    it->second->in_flight = true;
    return it->second;
}

std::optional<Recorded> Scheduler::record(std::uint64_t id, Outcome outcome)
{
    const auto it = by_id_.find(id);
    if (it == by_id_.end())
        return std::nullopt;
    ScheduledTarget& t = *it->second;
    std::optional<Verdict> previous;
    if (t.last)
        previous = t.last->verdict;
    t.in_flight = false;
    t.counters.count(outcome.verdict);
    t.last = std::move(outcome);
    return Recorded{t, previous};
}

TimePoint Scheduler::next_due() const { return schedule_.empty() ? TimePoint::max() : schedule_.top().first; }

const ScheduledTarget* Scheduler::find(std::string_view name) const
{
    const auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
}

} // namespace vipcheck
