// The Prometheus text exposition format (version 0.0.4) of vipcheckd's targets, and
// the blackbox_exporter-shaped answer of /probe. Pure formatting: written here rather
// than with a client library because Debian 12 packages no C++ Prometheus client, and
// the format is a few lines of text whose one subtlety, label escaping, is tested.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "vipcheck/report.hpp"

namespace vipcheck {

// A label value as the format wants it: backslash, double quote and newline escaped.
std::string prometheus_label(std::string_view value);

struct TargetMetrics {
    std::string name;
    std::string kind;
    std::string vip;
    std::string rip;
    bool probed = false;                       // false until the first verdict
    Verdict verdict = Verdict::Error;
    double duration_seconds = 0;
    std::map<std::string, std::uint64_t> totals; // verdict token -> runs
};

std::string format_metrics(const std::vector<TargetMetrics>& targets);
std::string format_probe(const Outcome& outcome, double duration_seconds);

} // namespace vipcheck
