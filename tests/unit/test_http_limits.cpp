// The endpoint's limits (vipcheckd(8), HTTP ENDPOINT): no single client address can
// take the whole endpoint, and the endpoint never takes most of the descriptors.
#include <catch2/catch.hpp>

#include "daemon/http_server.hpp"

using namespace vipcheck;

TEST_CASE("http limits: one address holds a small share of the endpoint", "[http-limits]")
{
    for (const std::uint64_t files : {64ULL, 1024ULL, 4096ULL, 20000ULL, 524288ULL}) {
        INFO("RLIMIT_NOFILE " << files);
        const HttpLimits l = http_limits(files);
        CHECK(l.per_client >= 4);
        // At least 4 distinct addresses are needed to fill the endpoint.
        CHECK(l.per_client * 4 <= l.connections);
        CHECK(l.connections <= 1024);
        CHECK(l.connections <= std::max<std::uint64_t>(files / 4, 16));
    }
}

TEST_CASE("http limits: sized by the descriptors a process may open", "[http-limits]")
{
    // systemd's default soft limit.
    CHECK(http_limits(1024).connections == 256);
    CHECK(http_limits(1024).per_client == 16);
    CHECK(http_limits(20000).connections == 1024);
    CHECK(http_limits(20000).per_client == 64);
    CHECK(http_limits(0).connections == 16);
    CHECK(http_limits(0).per_client == 4);
}

TEST_CASE("http limits: slow and silent clients are let go soon", "[http-limits]")
{
    const HttpLimits l = http_limits(1024);
    // Short enough that a silent connection frees its slot within a scrape interval,
    // long enough for a request that arrives in a few segments.
    CHECK(l.idle_timeout_s >= 1);
    CHECK(l.idle_timeout_s <= 10);
    CHECK(l.memory_per_connection >= 8 * 1024);
    CHECK(l.memory_per_connection < 32 * 1024);
}
