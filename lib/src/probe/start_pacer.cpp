#include "probe/start_pacer.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace vipcheck {

TokenBucket::TokenBucket(double rate)
    : interval_(std::max(Clock::duration(1), std::chrono::round<Clock::duration>(std::chrono::duration<double>(1 / rate)))),
      tolerance_(std::chrono::round<Clock::duration>(std::chrono::duration<double>((std::max(1.0, rate / 500) - 1) / rate)))
{
}

void TokenBucket::take(TimePoint now)
{
    due_ = std::max(due_.value_or(now), now) + interval_;
}

TimePoint TokenBucket::ready_at() const
{
    // A token is due every interval; a full bucket lets the starts run ahead of that by
    // its burst.
    return due_ ? *due_ - tolerance_ : TimePoint::min();
}

StartPacer::StartPacer(double rate, double realserver_rate) : realserver_rate_(realserver_rate), overall_(rate) {}

void StartPacer::enqueue(PaceLane lane, const RealserverKey& realserver, std::uint64_t ticket)
{
    auto [it, added] = queues_.try_emplace(realserver, Queue{{}, TokenBucket(realserver_rate_)});
    if (added)
        turns_.push_back(realserver);
    it->second.waiting.push_back({lane, ticket});
    ++queued_[index(lane)];
}

std::vector<std::uint64_t> StartPacer::due(PaceLane lane, TimePoint now)
{
    // One start per realserver per turn; whoever the overall rate left out goes first
    // next time.
    bool progress = true;
    while (progress && overall_.ready(now) && !turns_.empty()) {
        progress = false;
        for (std::size_t n = turns_.size(); n > 0 && overall_.ready(now); --n) {
            const RealserverKey realserver = std::move(turns_.front());
            turns_.pop_front();
            auto it = queues_.find(realserver);
            Queue& q = it->second;
            if (!q.bucket.ready(now)) {
                turns_.push_back(realserver);
                continue;
            }
            const Ticket t = q.waiting.front();
            q.waiting.pop_front();
            started_[index(t.lane)].push_back(t.number);
            q.bucket.take(now);
            overall_.take(now);
            progress = true;
            if (q.waiting.empty())
                queues_.erase(it);
            else
                turns_.push_back(realserver);
        }
    }
    std::vector<std::uint64_t> out = std::exchange(started_[index(lane)], {});
    queued_[index(lane)] -= out.size();
    return out;
}

TimePoint StartPacer::next_start() const
{
    if (!started_[0].empty() || !started_[1].empty())
        return TimePoint::min();
    if (queues_.empty())
        return TimePoint::max();
    TimePoint soonest = TimePoint::max();
    for (const auto& [realserver, q] : queues_)
        soonest = std::min(soonest, q.bucket.ready_at());
    return std::max(overall_.ready_at(), soonest);
}

} // namespace vipcheck
