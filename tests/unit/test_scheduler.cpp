// vipcheckd's scheduler driven with a clock the test makes up: which targets are due,
// a run in flight skipping its turn, and a reload that keeps, restarts and removes
// targets (vipcheckd(8), DESCRIPTION).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/daemon_config.hpp"
#include "daemon/scheduler.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;

namespace {

const TimePoint t0 = TimePoint{} + 1000s;

std::vector<TargetConfig> targets(const std::string& yaml) { return parse_daemon_config(yaml, "t.yaml").targets; }

const std::string two = "interval: 5s\n"
                        "targets:\n"
                        "  - {name: a, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11}\n"
                        "  - {name: b, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.12, interval: 2s}\n";

std::vector<std::string> names(const std::vector<const ScheduledTarget*>& due)
{
    std::vector<std::string> out;
    for (const auto* t : due)
        out.push_back(t->config.name);
    std::sort(out.begin(), out.end());
    return out;
}

using Names = std::vector<std::string>;

Outcome outcome(Verdict v, double elapsed_ms = 1)
{
    Outcome o;
    o.verdict = v;
    o.elapsed_ms = elapsed_ms;
    return o;
}

// Runs every due target's probe at once with verdict `v`.
void finish(Scheduler& s, const std::vector<const ScheduledTarget*>& due, Verdict v)
{
    std::vector<std::uint64_t> ids;
    for (const auto* t : due)
        ids.push_back(t->id);
    for (const auto id : ids)
        REQUIRE(s.record(id, outcome(v)));
}

} // namespace

TEST_CASE("scheduler: every target is due at start, then once per its own interval")
{
    Scheduler s;
    const Adoption a = s.adopt(targets(two), t0);
    CHECK(a.started == Names{"a", "b"});
    CHECK(a.removed.empty());
    CHECK(a.retired.empty());
    CHECK(s.next_due() == t0);

    auto due = s.take_due(t0);
    CHECK(names(due) == Names{"a", "b"});
    CHECK(due[0]->in_flight);
    finish(s, due, Verdict::Up);
    CHECK(s.take_due(t0 + 1s).empty());
    CHECK(s.next_due() == t0 + 2s);
    due = s.take_due(t0 + 2s);
    CHECK(names(due) == Names{"b"});
    finish(s, due, Verdict::Up);
    due = s.take_due(t0 + 4s);
    CHECK(names(due) == Names{"b"});
    finish(s, due, Verdict::Up);
    CHECK(s.next_due() == t0 + 5s);
    CHECK(names(s.take_due(t0 + 5s)) == Names{"a"});
}

TEST_CASE("scheduler: turns keep their pace when taken late, and skip ahead when a whole interval behind")
{
    Scheduler s;
    s.adopt(targets(two), t0);
    finish(s, s.take_due(t0), Verdict::Up);
    // Taken 300 ms late: b's next turn is still on the 2 s grid.
    auto due = s.take_due(t0 + 2300ms);
    CHECK(names(due) == Names{"b"});
    finish(s, due, Verdict::Up);
    CHECK(s.next_due() == t0 + 4s);
    // 7 s late (a stopped clock, a suspended host): one run, no burst of make-up runs.
    due = s.take_due(t0 + 11s);
    CHECK(names(due) == Names{"a", "b"});
    finish(s, due, Verdict::Up);
    CHECK(s.take_due(t0 + 11s).empty());
    CHECK(s.next_due() == t0 + 13s);
}

TEST_CASE("scheduler: a run still in flight skips its turn")
{
    Scheduler s;
    s.adopt(targets(two), t0);
    const auto first = s.take_due(t0);
    REQUIRE(first.size() == 2);
    const std::uint64_t b = s.find("b")->id;
    REQUIRE(s.record(s.find("a")->id, outcome(Verdict::Up)));
    // b's run has no result at 2 s: its turn passes, the next comes at 4 s.
    CHECK(s.take_due(t0 + 2s).empty());
    CHECK(s.next_due() == t0 + 4s);
    REQUIRE(s.record(b, outcome(Verdict::NoReply)));
    CHECK(names(s.take_due(t0 + 4s)) == Names{"b"});
}

TEST_CASE("scheduler: /probe runs a target now, once however many ask")
{
    Scheduler s;
    s.adopt(targets(two), t0);
    finish(s, s.take_due(t0), Verdict::Up);
    const std::uint64_t a = s.find("a")->id;
    const ScheduledTarget* run = s.start_now(a);
    REQUIRE(run);
    CHECK(run->config.name == "a");
    CHECK(run->in_flight);
    CHECK_FALSE(s.start_now(a)); // in flight: the second request waits for the same result
    CHECK_FALSE(s.start_now(999));
    // The schedule did not move, and its turn is skipped while the /probe run lasts.
    const auto due = s.take_due(t0 + 5s);
    CHECK(names(due) == Names{"b"});
    finish(s, due, Verdict::Up);
    CHECK(s.record(a, outcome(Verdict::Up)));
    CHECK(names(s.take_due(t0 + 10s)) == Names{"a", "b"});
}

TEST_CASE("scheduler: results are counted by verdict, and failures apart")
{
    Scheduler s;
    s.adopt(targets(two), t0);
    const ScheduledTarget& a = *s.find("a");
    CHECK(a.counters.runs == 0);
    CHECK(a.counters.failed == 0);
    CHECK_FALSE(a.last);

    s.take_due(t0);
    const auto first = s.record(a.id, outcome(Verdict::Up));
    REQUIRE(first);
    CHECK_FALSE(first->previous);
    CHECK(&first->target == &a);
    s.take_due(t0 + 5s);
    const auto second = s.record(a.id, outcome(Verdict::VipMissing));
    REQUIRE(second);
    CHECK(second->previous == Verdict::Up);
    s.take_due(t0 + 10s);
    s.record(a.id, outcome(Verdict::VipMissing));
    CHECK(a.counters.runs == 3);
    CHECK(a.counters.failed == 2);
    CHECK(a.counters.by_verdict == std::map<Verdict, std::uint64_t>{{Verdict::Up, 1}, {Verdict::VipMissing, 2}});
    CHECK(a.last->verdict == Verdict::VipMissing);
    CHECK_FALSE(a.in_flight);
}

TEST_CASE("scheduler: a reload keeps an unchanged target's state, restarts a changed one, removes a dropped one")
{
    const std::string before = "interval: 5s\n"
                               "targets:\n"
                               "  - {name: keep, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11}\n"
                               "  - {name: change, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.12}\n"
                               "  - {name: gone, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.13}\n";
    const std::string after = "interval: 5s\n"
                              "targets:\n"
                              "  - {name: new, kind: syn, vip: 192.0.2.20, rip: 192.0.2.14, port: 80}\n"
                              "  - {name: change, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.12, timeout: 2s}\n"
                              "  - {name: keep, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11}\n";
    Scheduler s;
    s.adopt(targets(before), t0);
    finish(s, s.take_due(t0), Verdict::NoReply);
    // keep's next run is in flight when the reload comes; change's too.
    const auto running = s.take_due(t0 + 5s);
    REQUIRE(running.size() == 3);
    const std::uint64_t keep = s.find("keep")->id, change = s.find("change")->id, gone = s.find("gone")->id;

    const Adoption a = s.adopt(targets(after), t0 + 6s);
    CHECK(a.started == Names{"new", "change"});
    CHECK(a.removed == Names{"gone"});
    std::vector<std::uint64_t> retired = a.retired;
    std::sort(retired.begin(), retired.end());
    CHECK(retired == std::vector<std::uint64_t>{std::min(change, gone), std::max(change, gone)});

    // The file's order, for --once's lines and /metrics.
    REQUIRE(s.targets().size() == 3);
    CHECK(s.targets()[0]->config.name == "new");
    CHECK(s.targets()[2]->config.name == "keep");
    CHECK_FALSE(s.find("gone"));

    // keep: same incarnation, counters, verdict, schedule and run in flight.
    const ScheduledTarget& k = *s.find("keep");
    CHECK(k.id == keep);
    CHECK(k.counters.runs == 1);
    CHECK(k.last->verdict == Verdict::NoReply);
    CHECK(k.in_flight);
    CHECK(k.next_due == t0 + 10s);
    // change: a new incarnation, from zero, due now.
    const ScheduledTarget& c = *s.find("change");
    CHECK(c.id != change);
    CHECK(c.counters.runs == 0);
    CHECK_FALSE(c.last);
    CHECK_FALSE(c.in_flight);
    CHECK(names(s.take_due(t0 + 6s)) == Names{"change", "new"});

    // Results of the retired runs are ignored; keep's run in flight still counts.
    CHECK_FALSE(s.record(change, outcome(Verdict::Up)));
    CHECK_FALSE(s.record(gone, outcome(Verdict::Up)));
    CHECK(s.find("change")->counters.runs == 0);
    REQUIRE(s.record(keep, outcome(Verdict::Up)));
    CHECK(k.counters.runs == 2);
    CHECK(s.next_due() == t0 + 10s);
}

TEST_CASE("scheduler: reloading the same file changes nothing")
{
    Scheduler s;
    s.adopt(targets(two), t0);
    const auto due = s.take_due(t0);
    const Adoption a = s.adopt(targets(two), t0 + 1s);
    CHECK(a.started.empty());
    CHECK(a.removed.empty());
    CHECK(a.retired.empty());
    CHECK(s.find("a")->in_flight);
    CHECK(s.take_due(t0 + 1s).empty());
    finish(s, due, Verdict::Up);
    CHECK(s.next_due() == t0 + 2s);
}
