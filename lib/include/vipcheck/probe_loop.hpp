// Many probe runs on one loop (vipcheckd): each run is the same ProbeSession the
// one-shot tools drive, but the captures stay open (one per interface, shared with
// vipcheckd's other readers of frames: capture_set.hpp), a frame goes only to the
// session its nonce key names (demux.hpp), each next hop is resolved once
// for every run that starts while its resolution lives (a round), and session starts
// are paced, overall and per realserver, by a pacer the caller shares with its other
// kinds of runs (start_pacer.hpp). The caller owns the clock and the poll.
#pragma once

#include <poll.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "vipcheck/engine.hpp"

namespace vipcheck {

class CaptureSet;
class StartPacer;

struct ProbeResult {
    std::uint64_t id = 0; // the caller's, from submit()
    Outcome outcome;
};

class ProbeLoop {
public:
    // `captures` (which outlive the loop) are where its frames come from and go out;
    // `pacer` (which outlives it too) paces the starts of its runs beside those of its
    // other users. The caller runs the captures before run().
    ProbeLoop(CaptureSet& captures, StartPacer& pacer, const Trace& trace);
    ~ProbeLoop();
    ProbeLoop(const ProbeLoop&) = delete;
    ProbeLoop& operator=(const ProbeLoop&) = delete;

    // Queues one run of `kind` with `options`; it starts when pacing allows. A local
    // problem of this target (no route, no capture) comes back as its `error` result.
    void submit(std::uint64_t id, const ProbeKind& kind, const ProbeOptions& options, TimePoint now);
    // Sends what is due, starts what pacing allows. Never blocks.
    void run(TimePoint now);
    std::vector<ProbeResult> take_results();

    // When run() has work next (TimePoint::max() when idle).
    TimePoint next_wakeup() const;
    bool idle() const;
    std::size_t in_flight() const;

private:
    // The captures, the pacing (start_pacer), the shared resolutions (neighbour_cache),
    // the kernel's cached answers (route_cache) and the runs, beside probe_loop.cpp.
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace vipcheck
