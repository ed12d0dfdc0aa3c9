#include "vipcheck/clock.hpp"

#include <algorithm>

namespace vipcheck {

double to_ms(Clock::duration d)
{
    return std::chrono::duration<double, std::milli>(d).count();
}

long ceil_ms(Clock::duration d)
{
    if (d <= Clock::duration::zero())
        return 0;
    return static_cast<long>(std::chrono::ceil<std::chrono::milliseconds>(d).count());
}

timespec poll_wait(TimePoint now, TimePoint then)
{
    if (then == TimePoint::max())
        return timespec{3600, 0};
    if (then <= now)
        return timespec{0, 0};
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(then - now).count();
    return timespec{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
}

} // namespace vipcheck
