#include "vipcheck/deadline.hpp"

#include <time.h>

#include <algorithm>

namespace vipcheck {

std::chrono::steady_clock::time_point deadline_origin(std::chrono::steady_clock::time_point now, Duration cpu_used,
                                                      Duration timeout)
{
    const Duration credit = std::clamp(cpu_used, Duration::zero(), timeout / 10);
    return now - std::chrono::duration_cast<std::chrono::steady_clock::duration>(credit);
}

std::chrono::steady_clock::time_point process_deadline_origin(Duration timeout)
{
    const auto now = std::chrono::steady_clock::now();
    timespec cpu{};
    // Cannot fail for the calling process; if it ever did, no credit is the safe answer.
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) != 0)
        return now;
    return deadline_origin(now, std::chrono::seconds(cpu.tv_sec) + std::chrono::nanoseconds(cpu.tv_nsec), timeout);
}

} // namespace vipcheck
