// vipcheckd: many VIP probes from one resident process (or one round with --once),
// reported as lines or NDJSON, keepalived state files and Prometheus metrics. See
// vipcheckd(8).
#pragma once

#include <optional>
#include <string>

#include "daemon/daemon_config.hpp"
#include "daemon/http_server.hpp"
#include "vipcheck/signals.hpp"

namespace vipcheck {

struct DaemonOptions {
    std::string config;                  // the file, read again on SIGHUP
    bool once = false;                   // one round, one line per target, then exit
    bool json = false;                   // with once: NDJSON
    bool verbose = false;
    std::optional<ListenAddress> listen; // resident: serve /metrics and /probe
    std::string state_dir;               // resident: keepalived's state files, if not empty
};

// Runs the configuration already read: one round (options.once), or resident until
// SIGTERM or SIGINT. Returns the exit status; throws Error for a start-up failure.
int run_daemon(const DaemonOptions& options, DaemonConfig config, const SignalWatch& signals);

// The command line (command_line.cpp).
int vipcheckd_main(int argc, const char* const* argv);
// What --check prints of a valid configuration: "12 targets (8 icmp, 4 syn) on 3
// realservers and 1 VIP, every 5s, timeout 1s".
std::string describe_config(const DaemonConfig& config);

} // namespace vipcheck
