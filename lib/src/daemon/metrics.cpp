#include "daemon/metrics.hpp"

#include <fmt/format.h>

namespace vipcheck {

std::string prometheus_label(std::string_view value)
{
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        default: out += c;
        }
    }
    return out;
}

namespace {

std::string labels(const TargetMetrics& t)
{
    return fmt::format("target=\"{}\",kind=\"{}\",vip=\"{}\",rip=\"{}\"", prometheus_label(t.name),
                       prometheus_label(t.kind), prometheus_label(t.vip), prometheus_label(t.rip));
}

void family(std::string& out, const char* name, const char* type, const char* help)
{
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

} // namespace

std::string format_metrics(const std::vector<TargetMetrics>& targets)
{
    std::string out;
    family(out, "vipcheck_probe_success", "gauge", "1 if the last probe proved the realserver answers for the VIP.");
    for (const auto& t : targets)
        if (t.probed)
            out += fmt::format("vipcheck_probe_success{{{}}} {}\n", labels(t), t.verdict == Verdict::Up ? 1 : 0);
    family(out, "vipcheck_probe_duration_seconds", "gauge", "How long the last probe took.");
    for (const auto& t : targets)
        if (t.probed)
            out += fmt::format("vipcheck_probe_duration_seconds{{{}}} {:.6f}\n", labels(t), t.duration_seconds);
    family(out, "vipcheck_probe_verdict", "gauge", "1 for the verdict token of the last probe.");
    for (const auto& t : targets)
        if (t.probed)
            out += fmt::format("vipcheck_probe_verdict{{{},verdict=\"{}\"}} 1\n", labels(t), token(t.verdict));
    family(out, "vipcheck_probes_total", "counter", "Probes run since vipcheckd started, by verdict.");
    for (const auto& t : targets)
        for (const auto& [verdict, n] : t.totals)
            out += fmt::format("vipcheck_probes_total{{{},verdict=\"{}\"}} {}\n", labels(t), prometheus_label(verdict),
                               n);
    return out;
}

std::string format_probe(const Outcome& o, double duration_seconds)
{
    std::string out;
    family(out, "probe_success", "gauge", "Whether the probe proved the realserver answers for the VIP.");
    out += fmt::format("probe_success {}\n", o.verdict == Verdict::Up ? 1 : 0);
    family(out, "probe_duration_seconds", "gauge", "How long the probe took.");
    out += fmt::format("probe_duration_seconds {:.6f}\n", duration_seconds);
    family(out, "vipcheck_probe_verdict", "gauge", "1 for the verdict token of this probe.");
    out += fmt::format("vipcheck_probe_verdict{{verdict=\"{}\"}} 1\n", token(o.verdict));
    return out;
}

} // namespace vipcheck
