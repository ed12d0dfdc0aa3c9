// The Prometheus text exposition format (version 0.0.4) of vipcheckd's targets, and
// the blackbox_exporter-shaped answer of /probe. Pure formatting: written here rather
// than with a client library because Debian 12 packages no C++ Prometheus client, and
// the format is a few lines of text whose one subtlety, label escaping, is tested.
// Every family is listed in vipcheckd(8), METRICS.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/service_board.hpp"
#include "vipcheck/report.hpp"

namespace vipcheck {

// A label value as the format wants it: backslash, double quote and newline escaped.
std::string prometheus_label(std::string_view value);

// Seconds since the Unix epoch, with fractions: the unit of a *_timestamp_seconds.
double unix_seconds(std::chrono::system_clock::time_point t);

// The process's own series: what alerts on a reload that failed, or on a daemon that
// stopped producing results, read.
struct DaemonMetrics {
    std::string version;
    bool reload_successful = true;     // the last (re)load of the configuration
    double reload_success_seconds = 0; // Unix time of the last configuration taken
    double last_result_seconds = 0;    // Unix time of the newest result; the start time before one
};

struct TargetMetrics {
    std::string name;
    std::string kind;
    std::string vip;
    std::string rip;
    std::optional<Verdict> verdict;     // none until the first result
    double duration_seconds = 0;
    std::optional<double> rtt_seconds;  // only where the reply time means something
    std::uint64_t runs = 0;
    std::uint64_t failed = 0;
    std::map<Verdict, std::uint64_t> by_verdict;
};

std::string format_metrics(const DaemonMetrics& daemon, const std::vector<TargetMetrics>& targets);
// The services' realservers as vipcheckd judges them (service_board.hpp), appended to
// the above on /metrics.
std::string format_realserver_metrics(const std::vector<ServiceView>& services);
std::string format_probe(const Outcome& outcome, double duration_seconds);

} // namespace vipcheck
