// The probe engine: the only loop that touches the kernel and the clock. It looks up
// the route, opens the link, runs a ProbeSession against real frames and time, and
// turns what the session proved into an Outcome.
#pragma once

#include "vipcheck/options.hpp"
#include "vipcheck/probe.hpp"
#include "vipcheck/report.hpp"
#include "vipcheck/signals.hpp"
#include "vipcheck/trace.hpp"

namespace vipcheck {

// Throws Error for local problems (bad interface, no route, no permission, signal).
Outcome run_probe(const ProbeOptions& options, const ProbeKind& kind, const SignalWatch& signals,
                  const Trace& trace);

} // namespace vipcheck
