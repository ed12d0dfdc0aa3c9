// Where a tool's --timeout counts from: process start-up is credited, within a bound.
#include <catch2/catch.hpp>

#include <time.h>

#include "vipcheck/deadline.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

Duration process_cpu()
{
    timespec t{};
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) != 0)
        FAIL("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

} // namespace

TEST_CASE("the deadline origin is moved back by the CPU time start-up used")
{
    const SteadyClock::time_point now = SteadyClock::time_point{} + 1000s;
    CHECK(deadline_origin(now, 6ms, 200ms) == now - 6ms);
    CHECK(deadline_origin(now, 0ms, 200ms) == now);
    CHECK(deadline_origin(now, 1234567ns, 1s) == now - 1234567ns);
}

TEST_CASE("the start-up credit is at most a tenth of the timeout")
{
    const SteadyClock::time_point now = SteadyClock::time_point{} + 1000s;
    // A wrapper that computed for 3 s before exec'ing the probe.
    CHECK(deadline_origin(now, 3s, 200ms) == now - 20ms);
    CHECK(deadline_origin(now, 20ms, 200ms) == now - 20ms);
    CHECK(deadline_origin(now, 21ms, 200ms) == now - 20ms);
    CHECK(deadline_origin(now, -5ms, 200ms) == now);
}

TEST_CASE("the process's origin lies its CPU time before now")
{
    // Spend some CPU first, so that the credit is far above clock granularity.
    const Duration spent_until = process_cpu() + 20ms;
    volatile unsigned sink = 0;
    while (process_cpu() < spent_until)
        for (int i = 0; i < 10000; ++i)
            sink = sink + static_cast<unsigned>(i);

    const Duration cpu_before = process_cpu();
    const SteadyClock::time_point before = SteadyClock::now();
    const SteadyClock::time_point origin = process_deadline_origin(1h);
    const SteadyClock::time_point after = SteadyClock::now();
    const Duration cpu_after = process_cpu();

    CHECK(origin <= after - cpu_before);
    CHECK(origin >= before - cpu_after);
    CHECK(after - origin >= 20ms);
    // Over 20 ms of CPU against a 50 ms timeout: the credit is exactly 5 ms.
    const SteadyClock::time_point before_capped = SteadyClock::now();
    const SteadyClock::time_point capped = process_deadline_origin(50ms);
    const SteadyClock::time_point after_capped = SteadyClock::now();
    CHECK(capped >= before_capped - 5ms);
    CHECK(capped <= after_capped - 5ms);
}
