// What a one-shot check's --timeout counts from.
#pragma once

#include <chrono>

#include "vipcheck/options.hpp"

namespace vipcheck {

// The daemons that run a check time the whole process: keepalived's misc_timeout and
// ldirectord's checktimeout start at fork. A clock read in main misses exec, the
// dynamic loader and static initialisation, several milliseconds on a small VM, so a
// check that honoured --timeout from main would still exit that much past it.
//
// The CPU time a process has used is a lower bound of its age that needs no clock from
// before main (it counts from fork and survives exec), so the origin is `now` moved back
// by it. Never by more than a tenth of the timeout: a wrapper that computed for a while
// and then exec'd the probe must not eat the probe's own time.
std::chrono::steady_clock::time_point deadline_origin(std::chrono::steady_clock::time_point now, Duration cpu_used,
                                                      Duration timeout);

// deadline_origin(now, this process's CPU time so far, timeout). For the tools' mains;
// a long-lived program that runs checks in-process starts each at steady_clock::now().
std::chrono::steady_clock::time_point process_deadline_origin(Duration timeout);

} // namespace vipcheck
