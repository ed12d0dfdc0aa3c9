// One round of a service's realservers as --once reports it: each realserver's planes'
// verdicts together, its state that round (up when every depool_on plane is up) and
// its diagnosis. Pure. See vipcheckd(8), SERVICES.
#pragma once

#include <functional>
#include <string>

#include "daemon/daemon_config.hpp"
#include "daemon/diagnosis.hpp"
#include "vipcheck/report.hpp"

namespace vipcheck {

struct RealserverRound {
    const ServiceConfig& service;
    const ServiceRealserver& server;
    PlaneResults results;
    bool up = false;
    Diagnosis diagnosis;
};

// A realserver's round from its planes' results: good by the service's rules (up when
// every depool_on plane is up) and its diagnosis. What --once prints and what the
// resident board (service_board.hpp) feeds the judge are this one reading.
struct RoundReading {
    bool good = false;
    Diagnosis diagnosis;
};
RoundReading read_round(const ServiceConfig& service, const ServiceRealserver& server, const PlaneResults& results);

// `last` gives a target's outcome by name, nullptr when it has none (that plane then has
// no result, which fails the round).
using LastOutcome = std::function<const Outcome*(const std::string& target)>;
RealserverRound judge_round(const ServiceConfig& service, const ServiceRealserver& server, const LastOutcome& last);

// `SERVICE RIP STATE CODES: SENTENCE`, codes comma-separated.
std::string format_line(const RealserverRound& r);
// {"service":..,"vip":..,"port":..,"rip":..,"state":..,"planes":{PLANE:VERDICT,..},
//  "diagnosis":[CODE,..],"detail":SENTENCE}
std::string format_json(const RealserverRound& r);

} // namespace vipcheck
