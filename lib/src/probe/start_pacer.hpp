// When vipcheckd's queued runs may start: `rate` starts per second for every
// realserver together and `realserver_rate` for any one of them (vipcheckd(8),
// CONFIGURATION), each a token bucket fed with time. Realservers with runs waiting take
// turns, so a realserver at its own cap never holds back the others, and one with a long
// queue never takes every start the overall rate gives. Pure: the loop asks which of
// its tickets start now and when to ask again.
#pragma once

#include <array>
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

// Whose run a ticket is: vipcheckd's frame probes (the ProbeLoop) or its HTTP checks
// (the HttpFleet). Both take their starts from one pacer, so that `rate` and
// `realserver_rate` bound every start vipcheckd makes, whatever its kind.
enum class PaceLane : std::uint8_t { Frames, Http };

class StartPacer {
public:
    StartPacer(double rate, double realserver_rate);

    // A run of `lane` to `realserver`, waiting behind that realserver's earlier ones of
    // either lane. Tickets are the lane's own: each lane numbers its runs.
    void enqueue(PaceLane lane, const RealserverKey& realserver, std::uint64_t ticket);
    // `lane`'s tickets whose turn has come at `now`, in start order. The other lane's
    // that came due meanwhile wait for that lane's call, already started as far as the
    // pace is concerned (next_start() is then now).
    std::vector<std::uint64_t> due(PaceLane lane, TimePoint now);
    // When due() has a ticket next: TimePoint::max() with nothing queued.
    TimePoint next_start() const;
    std::size_t queued() const { return queued_[0] + queued_[1]; }
    std::size_t queued(PaceLane lane) const { return queued_[index(lane)]; }

private:
    struct Ticket {
        PaceLane lane;
        std::uint64_t number;
    };
    struct Queue {
        std::deque<Ticket> waiting;
        TokenBucket bucket;
    };
    static std::size_t index(PaceLane lane) { return static_cast<std::size_t>(lane); }

    double realserver_rate_;
    TokenBucket overall_;
    // A realserver's bucket lives while it has runs waiting.
    std::unordered_map<RealserverKey, Queue, KeyHash> queues_;
    // Realservers with runs waiting, whose turn comes first at the front.
    std::deque<RealserverKey> turns_;
    // Per lane: the tickets the pace has let go that its due() has not taken yet, and
    // how many are queued or let go (what that lane still has to start).
    std::array<std::vector<std::uint64_t>, 2> started_;
    std::array<std::size_t, 2> queued_{};
};

} // namespace vipcheck
