// vipcheckd's targets and their schedule, as a state machine fed with configurations,
// time and results; it sends nothing. The daemon asks it which targets are due, submits
// their runs to the ProbeLoop (which paces the starts, overall and per realserver) and
// hands back each result. See vipcheckd(8), DESCRIPTION.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/daemon_config.hpp"
#include "vipcheck/clock.hpp"
#include "vipcheck/report.hpp"

namespace vipcheck {

// A target's runs since it started (a changed target starts again at zero). Keyed by
// the verdict itself: its token is only for printing.
struct RunCounters {
    std::uint64_t runs = 0;
    std::uint64_t failed = 0; // every verdict but up
    std::map<Verdict, std::uint64_t> by_verdict;

    void count(Verdict v);
};

struct ScheduledTarget {
    TargetConfig config;
    std::uint64_t id = 0; // this incarnation's: a reload that changes the target makes a new one
    bool in_flight = false;
    TimePoint next_due{};
    std::optional<Outcome> last;
    RunCounters counters;
};

// What a new configuration changed.
struct Adoption {
    std::vector<std::string> started;   // new targets, and changed ones starting afresh
    std::vector<std::string> removed;   // names the configuration no longer has
    std::vector<std::uint64_t> retired; // incarnations that ended (removed or changed)
};

struct Recorded {
    const ScheduledTarget& target;
    std::optional<Verdict> previous; // the verdict before this one, none for a first run
};

class Scheduler {
public:
    // Takes a configuration: a target whose every setting is unchanged keeps its state
    // (verdict, counters, schedule, a run in flight); a new or changed one is due at
    // `now`; a removed one is forgotten, and a result of a retired run is ignored.
    Adoption adopt(std::vector<TargetConfig> targets, TimePoint now);

    // The targets whose turn has come by `now`, in the order they came due, marked in
    // flight. A target whose run is still in flight skips that turn. The next turn is
    // one interval after the one just taken, or one interval from `now` when the
    // schedule fell behind by a whole interval (no burst of make-up runs).
    std::vector<const ScheduledTarget*> take_due(TimePoint now);

    // A run outside the schedule (/probe): the target, marked in flight, when a run
    // must be submitted; nullptr when one is in flight already (its result will do).
    // The schedule does not move.
    const ScheduledTarget* start_now(std::uint64_t id);

    // The result of the run of incarnation `id`; nullopt when a reload retired it.
    std::optional<Recorded> record(std::uint64_t id, Outcome outcome);

    // When take_due() next has something (TimePoint::max() with no target).
    TimePoint next_due() const;

    const ScheduledTarget* find(std::string_view name) const;
    // In the order of the configuration file.
    const std::vector<std::unique_ptr<ScheduledTarget>>& targets() const { return targets_; }

private:
    void enqueue(ScheduledTarget& t);

    std::vector<std::unique_ptr<ScheduledTarget>> targets_;
    std::unordered_map<std::uint64_t, ScheduledTarget*> by_id_;
    std::map<std::string, ScheduledTarget*, std::less<>> by_name_;
    using Due = std::pair<TimePoint, std::uint64_t>;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> schedule_;
    std::uint64_t next_id_ = 1;
};

} // namespace vipcheck
