// The resident judgement of realservers (service_board.hpp), fed with parsed
// configurations and made-up results: a realserver's round is its own and completes
// when every plane has reported, what each round asks of the state files, min_up
// across a service, and what a reload keeps (vipcheckd(8), SERVICES).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "daemon/daemon_config.hpp"
#include "daemon/metrics.hpp"
#include "daemon/service_board.hpp"
#include "daemon/services_config.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;

namespace {

std::string service_yaml(const std::vector<std::string>& rips, const std::string& extra = "")
{
    std::string text = "services:\n  - name: web\n    vip: 198.51.100.10\n    port: 80\n"
                       "    planes: [vip-icmp, vip-syn]\n" +
                       extra + "    realservers:\n";
    for (const auto& rip : rips)
        text += "      - rip: " + rip + "\n";
    return text;
}

DaemonConfig parse(const std::string& text) { return parse_daemon_config(text, "t.yaml"); }

struct Board {
    ServiceBoard board;
    int tick = 0;

    Moment next() { return Moment{TimePoint{} + std::chrono::seconds(++tick), 1'700'000'000.0 + tick}; }

    std::vector<RealserverEvent> result(const std::string& rip, Plane plane, Verdict v)
    {
        Outcome o;
        o.verdict = v;
        o.detail = std::string(token(v));
        return board.record(service_target_name("web", *IpAddress::parse(rip), plane), o, next());
    }
    // A whole round of a realserver: both planes.
    RealserverEvent round(const std::string& rip, bool good)
    {
        REQUIRE(result(rip, Plane::VipIcmp, good ? Verdict::Up : Verdict::NoReply).empty());
        auto events = result(rip, Plane::VipSyn, good ? Verdict::Up : Verdict::NoReply);
        const auto own = std::find_if(events.begin(), events.end(), [](const auto& e) { return e.judged; });
        REQUIRE(own != events.end());
        return *own;
    }
    RsState state(const std::string& rip) const
    {
        for (const auto& s : board.views())
            for (const auto& r : s.realservers)
                if (r.rip == rip)
                    return r.state;
        FAIL("no realserver " << rip);
        return RsState::Down;
    }
};

} // namespace

TEST_CASE("a realserver's round completes when every plane has reported, and it learns first")
{
    Board b;
    const auto adopted = b.board.adopt(parse(service_yaml({"192.0.2.11"})).services, {}, b.next());
    CHECK(adopted.learning_files == std::vector<std::string>{"web.192.0.2.11"});
    CHECK(b.board.files() == std::vector<std::string>{"web.192.0.2.11"});

    // One plane alone is no round, however often it reports.
    CHECK(b.result("192.0.2.11", Plane::VipIcmp, Verdict::Up).empty());
    CHECK(b.result("192.0.2.11", Plane::VipIcmp, Verdict::Up).empty());
    auto first = b.result("192.0.2.11", Plane::VipSyn, Verdict::Up);
    REQUIRE(first.size() == 1);
    CHECK(first[0].judged);
    CHECK(first[0].good);
    CHECK(first[0].to == RsState::Learning);
    // A learner proving itself leaves the files alone: a restart keeps the pool.
    CHECK_FALSE(first[0].file_pooled);
    REQUIRE(first[0].diagnosis);
    CHECK(codes_text(*first[0].diagnosis) == "healthy");

    const auto second = b.round("192.0.2.11", true);
    CHECK(second.from == RsState::Learning);
    CHECK(second.to == RsState::Up);
    CHECK(second.file_pooled == true);
    CHECK(b.board.views()[0].realservers[0].rounds == 2);
}

TEST_CASE("a failing learner says not pooled, and stays learning")
{
    Board b;
    b.board.adopt(parse(service_yaml({"192.0.2.11"})).services, {}, b.next());
    for (int i = 0; i < 5; ++i) {
        const auto e = b.round("192.0.2.11", false);
        CHECK(e.to == RsState::Learning);
        CHECK(e.file_pooled == false);
        REQUIRE(e.diagnosis);
        CHECK(codes_text(*e.diagnosis) == "vip-silent");
    }
}

TEST_CASE("rise and fall: one bad round never flips a pooled realserver")
{
    Board b;
    b.board.adopt(parse(service_yaml({"192.0.2.11"})).services, {}, b.next());
    b.round("192.0.2.11", true);
    b.round("192.0.2.11", true);
    REQUIRE(b.state("192.0.2.11") == RsState::Up);
    // fall 3: bad, bad, good, bad, bad stays up throughout.
    for (const bool good : {false, false, true, false, false}) {
        const auto e = b.round("192.0.2.11", good);
        CHECK(e.to == RsState::Up);
        CHECK(e.file_pooled == true);
    }
    const auto down = b.round("192.0.2.11", false);
    CHECK(down.from == RsState::Up);
    CHECK(down.to == RsState::Down);
    CHECK(down.file_pooled == false);
    CHECK(b.board.views()[0].realservers[0].transitions == 2);
    CHECK(b.board.views()[0].realservers[0].since_seconds == 1'700'000'000.0 + b.tick);
}

TEST_CASE("min_up holds pooled realservers across the service, and releases them")
{
    Board b;
    const std::vector<std::string> rips{"192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14"};
    b.board.adopt(parse(service_yaml(rips, "    min_up: 2\n    fall: 1\n    rise: 1\n")).services, {}, b.next());
    for (const auto& rip : rips)
        b.round(rip, true);
    for (const auto& rip : rips)
        REQUIRE(b.state(rip) == RsState::Up);

    CHECK(b.round("192.0.2.11", false).to == RsState::Down);
    CHECK(b.round("192.0.2.12", false).to == RsState::Down);
    const auto third = b.round("192.0.2.13", false);
    CHECK(third.to == RsState::Held);
    CHECK(third.file_pooled == true);
    CHECK(b.board.views()[0].count(RsState::Held) == 1);

    // Once another is back, the held one is released by that other's round.
    b.round("192.0.2.13", false);
    b.result("192.0.2.11", Plane::VipIcmp, Verdict::Up);
    const auto events = b.result("192.0.2.11", Plane::VipSyn, Verdict::Up);
    REQUIRE(events.size() == 2);
    const auto released = std::find_if(events.begin(), events.end(), [](const auto& e) { return !e.judged; });
    REQUIRE(released != events.end());
    CHECK(released->rip == "192.0.2.13");
    CHECK(released->from == RsState::Held);
    CHECK(released->to == RsState::Down);
    CHECK(released->file_pooled == false);
    CHECK_FALSE(released->diagnosis);
}

TEST_CASE("a realserver that never reports holds nobody else's rounds")
{
    Board b;
    b.board.adopt(parse(service_yaml({"192.0.2.11", "192.0.2.12"})).services, {}, b.next());
    for (int i = 0; i < 3; ++i)
        b.round("192.0.2.11", true);
    CHECK(b.state("192.0.2.11") == RsState::Up);
    CHECK(b.state("192.0.2.12") == RsState::Learning);
    CHECK(b.board.views()[0].realservers[1].rounds == 0);
    // Before its first round a realserver's planes have no result, and its diagnosis says so.
    const auto views = b.board.views();
    const auto& silent = views[0].realservers[1];
    REQUIRE(silent.planes.size() == 2);
    CHECK_FALSE(silent.planes[0].second);
    CHECK(codes_text(silent.diagnosis) == "no-result");
}

TEST_CASE("a reload keeps the standing of what it did not change")
{
    Board b;
    b.board.adopt(parse(service_yaml({"192.0.2.11", "192.0.2.12"})).services, {}, b.next());
    for (int i = 0; i < 2; ++i) {
        b.round("192.0.2.11", true);
        b.round("192.0.2.12", true);
    }
    REQUIRE(b.state("192.0.2.11") == RsState::Up);

    SECTION("a realserver added learns, one removed is gone, the others keep their state")
    {
        const auto adopted = b.board.adopt(parse(service_yaml({"192.0.2.11", "192.0.2.13"})).services, {}, b.next());
        CHECK(adopted.learning_files == std::vector<std::string>{"web.192.0.2.13"});
        CHECK(adopted.removed_files == std::vector<std::string>{"web.192.0.2.12"});
        CHECK(b.state("192.0.2.11") == RsState::Up);
        CHECK(b.board.views()[0].realservers[0].transitions == 1);
        CHECK(b.state("192.0.2.13") == RsState::Learning);
    }
    SECTION("changed rules alone keep every standing")
    {
        const auto adopted =
            b.board.adopt(parse(service_yaml({"192.0.2.11", "192.0.2.12"}, "    fall: 5\n")).services, {}, b.next());
        CHECK(adopted.learning_files.empty());
        CHECK(b.state("192.0.2.12") == RsState::Up);
        for (int i = 0; i < 4; ++i)
            CHECK(b.round("192.0.2.12", false).to == RsState::Up);
        CHECK(b.round("192.0.2.12", false).to == RsState::Down);
    }
    SECTION("a realserver whose targets start afresh learns again")
    {
        const auto config = parse(service_yaml({"192.0.2.11", "192.0.2.12"}));
        const auto adopted = b.board.adopt(
            config.services, {service_target_name("web", *IpAddress::parse("192.0.2.12"), Plane::VipSyn)}, b.next());
        CHECK(adopted.learning_files == std::vector<std::string>{"web.192.0.2.12"});
        CHECK(b.state("192.0.2.12") == RsState::Learning);
        CHECK(b.state("192.0.2.11") == RsState::Up);
    }
    SECTION("a service removed takes its realservers' files with it")
    {
        const auto adopted = b.board.adopt({}, {}, b.next());
        CHECK(adopted.removed_files == std::vector<std::string>{"web.192.0.2.11", "web.192.0.2.12"});
        CHECK(b.board.views().empty());
        CHECK(b.result("192.0.2.11", Plane::VipIcmp, Verdict::Up).empty());
    }
}

TEST_CASE("/metrics has every realserver from its start, its state and its diagnosis")
{
    Board b;
    b.board.adopt(parse(service_yaml({"192.0.2.11", "192.0.2.12"}, "    min_up: 1\n    fall: 1\n")).services, {},
                  b.next());
    const std::string before = format_realserver_metrics(b.board.views());
    const std::string rs11 = R"(service="web",vip="198.51.100.10",port="80",rip="192.0.2.11")";
    CHECK_THAT(before, Catch::Contains("vipcheck_realserver_up{" + rs11 + "} 0\n"));
    CHECK_THAT(before, Catch::Contains("vipcheck_realserver_state{" + rs11 + ",state=\"learning\"} 1\n"));
    CHECK_THAT(before, Catch::Contains("vipcheck_realserver_state{" + rs11 + ",state=\"up\"} 0\n"));
    CHECK_THAT(before, Catch::Contains("vipcheck_realserver_diagnosis{" + rs11 + ",code=\"no-result\"} 1\n"));
    CHECK_THAT(before, Catch::Contains("vipcheck_realserver_transitions_total{" + rs11 + "} 0\n"));
    CHECK_THAT(before, Catch::Contains("vipcheck_service_realservers{service=\"web\",state=\"learning\"} 2\n"));
    CHECK_THAT(before, Catch::Contains("vipcheck_service_min_up_holding{service=\"web\"} 0\n"));

    for (int i = 0; i < 2; ++i)
        b.round("192.0.2.11", true);
    b.round("192.0.2.11", false); // min_up 1 holds it
    const std::string after = format_realserver_metrics(b.board.views());
    CHECK_THAT(after, Catch::Contains("vipcheck_realserver_up{" + rs11 + "} 1\n"));
    CHECK_THAT(after, Catch::Contains("vipcheck_realserver_state{" + rs11 + ",state=\"held\"} 1\n"));
    CHECK_THAT(after, Catch::Contains("vipcheck_realserver_diagnosis{" + rs11 + ",code=\"vip-silent\"} 1\n"));
    CHECK_THAT(after, Catch::Contains("vipcheck_realserver_transitions_total{" + rs11 + "} 2\n"));
    CHECK_THAT(after, Catch::Contains("vipcheck_realserver_last_change_timestamp_seconds{" + rs11 + "} " +
                                          fmt::format("{:.3f}", 1'700'000'000.0 + b.tick)));
    CHECK_THAT(after, Catch::Contains("vipcheck_service_min_up_holding{service=\"web\"} 1\n"));
    CHECK_THAT(after, Catch::Contains("vipcheck_service_realservers{service=\"web\",state=\"held\"} 1\n"));
}
