#include "probe/neighbour_cache.hpp"

#include <algorithm>

namespace vipcheck {

NeighbourCache::Id NeighbourCache::acquire(const NeighbourQuery& q, Duration interval)
{
    auto [at, added] = ids_.try_emplace(neighbour_key(q), next_id_);
    if (added) {
        Resolution r;
        r.query = q;
        r.interval = interval;
        live_.emplace(next_id_++, std::move(r));
    }
    Resolution& r = live_.at(at->second);
    r.interval = std::min(r.interval, interval);
    ++r.users;
    return at->second;
}

void NeighbourCache::release(Id id)
{
    auto it = live_.find(id);
    if (it == live_.end() || --it->second.users > 0)
        return;
    ids_.erase(neighbour_key(it->second.query));
    live_.erase(it);
}

const std::vector<NeighbourCache::Answer>& NeighbourCache::attach(Id id, std::uint64_t session)
{
    Resolution& r = live_.at(id);
    r.sessions.push_back(session);
    return r.answers;
}

void NeighbourCache::detach(Id id, std::uint64_t session)
{
    if (auto it = live_.find(id); it != live_.end())
        std::erase(it->second.sessions, session);
}

std::vector<NeighbourCache::Id> NeighbourCache::due(TimePoint now) const
{
    std::vector<Id> out;
    for (const auto& [id, r] : live_)
        if (r.answers.empty() && r.next_request <= now)
            out.push_back(id);
    return out;
}

void NeighbourCache::asked(Id id, TimePoint now)
{
    Resolution& r = live_.at(id);
    ++r.requests;
    r.next_request = now + r.interval;
}

std::vector<NeighbourCache::Learned> NeighbourCache::on_frame(const CapturedFrame& f, TimePoint now)
{
    std::vector<Learned> out;
    for (auto& [id, r] : live_) {
        const auto mac = neighbour_answer(f, r.query);
        if (!mac)
            continue;
        if (std::none_of(r.answers.begin(), r.answers.end(), [&](const Answer& a) { return a.mac == *mac; }))
            r.answers.push_back({*mac, now});
        // A copy: telling a session may finish it, which detaches it.
        out.push_back({id, *mac, r.sessions});
    }
    return out;
}

TimePoint NeighbourCache::next_request() const
{
    TimePoint next = TimePoint::max();
    for (const auto& [id, r] : live_)
        if (r.answers.empty())
            next = std::min(next, r.next_request);
    return next;
}

} // namespace vipcheck
