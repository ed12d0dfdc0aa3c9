#include "daemon/service_round.hpp"

#include <fmt/format.h>

#include <utility>

namespace vipcheck {

namespace {

std::string_view state(const RealserverRound& r) { return r.up ? "up" : "down"; }

} // namespace

RoundReading read_round(const ServiceConfig& service, const ServiceRealserver& server, const PlaneResults& results)
{
    return {good_round(results, service.rules),
            diagnose(results, service.rules, Subject{service.vip, service.port, server.rip})};
}

RealserverRound judge_round(const ServiceConfig& service, const ServiceRealserver& server, const LastOutcome& last)
{
    RealserverRound out{service, server, {}, false, {}};
    for (const auto& [plane, target] : server.targets)
        if (const Outcome* o = last(target))
            out.results.set(plane, o->verdict, o->detail);
    RoundReading reading = read_round(service, server, out.results);
    out.up = reading.good;
    out.diagnosis = std::move(reading.diagnosis);
    return out;
}

std::string format_line(const RealserverRound& r)
{
    return fmt::format("{} {} {} {}: {}", r.service.name, r.server.rip.str(), state(r), codes_text(r.diagnosis),
                       r.diagnosis.sentence);
}

std::string format_json(const RealserverRound& r)
{
    std::string planes;
    for (const auto& [plane, target] : r.server.targets)
        if (const PlaneResult* p = r.results.find(plane))
            planes += fmt::format("{}\"{}\":\"{}\"", planes.empty() ? "" : ",", token(plane), token(p->verdict));
    std::string codes;
    for (const Code c : r.diagnosis.codes)
        codes += fmt::format("{}\"{}\"", codes.empty() ? "" : ",", token(c));
    return fmt::format("{{\"service\":\"{}\",\"vip\":\"{}\",\"port\":{},\"rip\":\"{}\",\"state\":\"{}\","
                       "\"planes\":{{{}}},\"diagnosis\":[{}],\"detail\":\"{}\"}}",
                       json_escape(r.service.name), r.service.vip.str(), r.service.port, r.server.rip.str(), state(r),
                       planes, codes, json_escape(r.diagnosis.sentence));
}

} // namespace vipcheck
