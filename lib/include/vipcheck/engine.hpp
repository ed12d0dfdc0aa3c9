// The probe engine: the only loop that touches the kernel and the clock. It looks up
// the route, opens the link, runs a ProbeSession against real frames and time, and
// turns what the session proved into an Outcome.
#pragma once

#include <chrono>

#include "vipcheck/options.hpp"
#include "vipcheck/probe.hpp"
#include "vipcheck/report.hpp"
#include "vipcheck/route.hpp"
#include "vipcheck/session.hpp"
#include "vipcheck/signals.hpp"
#include "vipcheck/trace.hpp"

namespace vipcheck {

// The steps of a run that vipcheckd shares with the one-shot engine, each throwing
// Error for a local problem:
// the VIP and RIP families agree (or a tunnel is asked for), and the VIP is not a
// broadcast address;
// `broadcast_routes`, the kernel's (RouteLookup::broadcast_routes) when the caller has
// them, spares the question for a VIP outside all of them;
void check_target(RouteLookup& routes, const ProbeOptions& o,
                  const std::vector<RoutePrefix>* broadcast_routes = nullptr);
// the path to the RIP (or its tunnel), never one that would send from the VIP;
Route probe_route(RouteLookup& routes, const ProbeOptions& o);
// what the run makes up, its nonce aside.
ProbeContext probe_context(RouteLookup& routes, const ProbeOptions& o, const Route& route);
// What a finished session proved, told as every reporter tells it.
Outcome describe(const ProbeSession& s, const ProbeKind& kind, Duration timeout, TimePoint start);

// The route to the realserver and the run's context (addresses, MACs, random nonce),
// with every check of the target that needs the kernel's routes. Throws Error.
struct ProbePlan {
    Route route;
    ProbeContext context;
};
ProbePlan plan_probe(const ProbeOptions& options, RouteLookup& routes, const Trace& trace);

// Throws Error for local problems (bad interface, no route, no permission, signal).
// options.timeout counts from `origin`: a tool passes process_deadline_origin()
// (deadline.hpp), so that start-up counts; a long-lived caller, the present.
Outcome run_probe(const ProbeOptions& options, const ProbeKind& kind, const SignalWatch& signals,
                  const Trace& trace, std::chrono::steady_clock::time_point origin = std::chrono::steady_clock::now());

} // namespace vipcheck
