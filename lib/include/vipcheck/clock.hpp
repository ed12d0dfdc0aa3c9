// The time helpers every loop shares: the one-shot engine's, vipcheckd's and the HTTP
// transfer's. Each loop sleeps in ppoll(2) or poll(2) until its next deadline, and
// reports durations in milliseconds.
#pragma once

#include <chrono>
#include <ctime>

namespace vipcheck {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// A duration in milliseconds, with fractions, for reports and traces.
double to_ms(Clock::duration d);

// Whole milliseconds, rounded up, so that a poll(2) woken "on time" is never early
// (an early wake-up spins until the deadline); 0 for a deadline already past.
long ceil_ms(Clock::duration d);

// ppoll(2)'s timeout from now until `then`: zero when `then` has passed (also for
// TimePoint::min(), which `then - now` would overflow), and one hour for
// TimePoint::max(), "nothing is due", so that the loop still wakes now and then.
timespec poll_wait(TimePoint now, TimePoint then);

} // namespace vipcheck
