// When vipcheckd's queued runs may start: `rate` starts per second for every
// realserver together and `realserver_rate` for any one of them (vipcheckd(8),
// CONFIGURATION), each a token bucket fed with time. Realservers with runs waiting take
// turns, so a realserver at its own cap never holds back the others, and one with a long
// queue never takes every start the overall rate gives. Pure: the loop asks which of
// its tickets start now and when to ask again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "probe/loop_keys.hpp"
#include "vipcheck/clock.hpp"

namespace vipcheck {

// Holds a few milliseconds' worth of starts, so that a late wake-up catches up without
// a burst. Kept as the time its next token is due (the generic cell rate algorithm) in
// clock ticks rather than as a fraction of a token: however time is cut into wake-ups,
// no start is lost to rounding. A new bucket is full.
class TokenBucket {
public:
    explicit TokenBucket(double rate);
    bool ready(TimePoint now) const { return now >= ready_at(); }
    void take(TimePoint now);
    // From when ready() holds (TimePoint::min() for a bucket never taken from).
    TimePoint ready_at() const;

private:
    Clock::duration interval_;  // one token's worth of time
    Clock::duration tolerance_; // the tokens beyond the first a full bucket holds, as time
    std::optional<TimePoint> due_; // when the token after the last one taken is earned
};

class StartPacer {
public:
    StartPacer(double rate, double realserver_rate);

    // A run to `realserver`, waiting behind that realserver's earlier ones.
    void enqueue(const RealserverKey& realserver, std::uint64_t ticket);
    // The tickets whose turn has come at `now`, in start order.
    std::vector<std::uint64_t> due(TimePoint now);
    // When due() has a ticket next: TimePoint::max() with nothing queued.
    TimePoint next_start() const;
    std::size_t queued() const { return queued_; }

private:
    struct Queue {
        std::deque<std::uint64_t> waiting;
        TokenBucket bucket;
    };

    double realserver_rate_;
    TokenBucket overall_;
    // A realserver's bucket lives while it has runs waiting.
    std::unordered_map<RealserverKey, Queue, KeyHash> queues_;
    // Realservers with runs waiting, whose turn comes first at the front.
    std::deque<RealserverKey> turns_;
    std::size_t queued_ = 0;
};

} // namespace vipcheck
