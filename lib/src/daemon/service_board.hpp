// vipcheckd's resident judgement of its services' realservers (vipcheckd(8), SERVICES):
// the results of each realserver's plane targets in; once every plane of a realserver
// has a result newer than its last round, that is its round, and the service's judge
// (judge.hpp) tallies it and settles min_up. Out: what changed, for the log and the
// state files, and a view of every realserver for /metrics and the status page.
//
// A realserver's round is its own, not the service's: a newcomer that never answers
// (each of its rounds lasts a whole timeout) cannot lengthen anybody else's rounds.
// Pure: no clock and no I/O; the daemon stamps each result.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/daemon_config.hpp"
#include "daemon/diagnosis.hpp"
#include "daemon/judge.hpp"
#include "daemon/scheduler.hpp"

namespace vipcheck {

// When: the steady clock orders, the wall clock is what a person and Prometheus read.
struct Moment {
    TimePoint steady{};
    double unix_seconds = 0;
};

struct RealserverView {
    std::string rip; // as written in the service
    RsState state = RsState::Learning;
    double since_seconds = 0;     // Unix time of the last change of state (its start for a learner)
    std::uint64_t transitions = 0; // changes of state since it started learning
    std::uint64_t rounds = 0;      // its rounds judged
    // Each plane the service lists, in plane order, with its result in the last round
    // (none before the first round).
    std::vector<std::pair<Plane, std::optional<PlaneResult>>> planes;
    Diagnosis diagnosis; // of the last round; no-result before the first
};

struct ServiceView {
    std::string name;
    IpAddress vip;
    std::uint16_t port = 0;
    JudgeRules rules;
    std::vector<RealserverView> realservers; // in the order of the configuration
    std::size_t count(RsState s) const;
};

// A realserver whose round was judged, or whose state changed with another's round
// (min_up holds or releases across the service).
struct RealserverEvent {
    std::string service;
    std::string rip;  // as written in the service
    std::string file; // its state file's name
    RsState from = RsState::Learning;
    RsState to = RsState::Learning;
    bool judged = false; // its own round, not another's
    bool good = false;   // with judged: the round was good
    // What its state file must say now, if anything: pooled (up or held) or not. A
    // learner whose rounds are good leaves the file as it found it, so that a restart
    // keeps the pool as it was while every realserver learns again (a first failing
    // round writes not pooled; a realserver new to the files says not pooled already).
    std::optional<bool> file_pooled;
    std::optional<Diagnosis> diagnosis; // with judged: that round's
};

class ServiceBoard {
public:
    // Takes the services of a configuration. `started` names the targets that start
    // afresh (Adoption::started): a realserver any of whose targets did learns again.
    // A new service or realserver learns from `now`; one no longer configured is
    // forgotten. Changed rules alone (rise, fall, min_up, depool_on) keep every standing.
    // Returns the state files of realservers that start learning, and those of the
    // realservers and services that are gone.
    struct Adopted {
        std::vector<std::string> learning_files;
        std::vector<std::string> removed_files;
    };
    Adopted adopt(std::vector<ServiceConfig> services, const std::vector<std::string>& started, Moment now);

    // A result of target `name`; a target of no service is ignored. Returns the
    // realservers whose round it completed or whose state it changed.
    std::vector<RealserverEvent> record(const std::string& name, const Outcome& outcome, Moment now);

    // Every realserver's state file name, for StateFiles::start.
    std::vector<std::string> files() const;
    std::vector<ServiceView> views() const;
    const std::vector<ServiceConfig>& services() const { return configs_; }

private:
    struct Realserver {
        std::string key;
        std::string file;
        std::size_t judge_index = 0; // its position in the judge's keys(), set by adopt()
        std::vector<Plane> planes;  // the service's, in order
        PlaneResults pending;       // this round's so far
        PlaneSet fresh;             // the planes with a result this round
        PlaneResults last;          // the last round's
        std::optional<Diagnosis> diagnosis;
        std::uint64_t rounds = 0;
        double since_seconds = 0;
    };
    struct Service {
        ServiceJudge judge;
        std::vector<Realserver> realservers;
        std::uint64_t round = 0; // stamps the judge's rounds in the order they came
    };
    struct Where {
        std::size_t service;
        std::size_t realserver;
        Plane plane;
    };

    std::vector<ServiceConfig> configs_;
    std::vector<Service> services_; // beside configs_, same order
    std::unordered_map<std::string, Where> by_target_;
};

} // namespace vipcheck
