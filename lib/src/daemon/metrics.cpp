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

double unix_seconds(std::chrono::system_clock::time_point t)
{
    return std::chrono::duration<double>(t.time_since_epoch()).count();
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

void daemon_families(std::string& out, const DaemonMetrics& d)
{
    family(out, "vipcheck_build_info", "gauge", "Always 1; the version of vipcheckd in its label.");
    out += fmt::format("vipcheck_build_info{{version=\"{}\"}} 1\n", prometheus_label(d.version));
    family(out, "vipcheckd_config_last_reload_successful", "gauge",
           "1 if the last reading of the configuration file (start or SIGHUP) was taken, 0 if it was refused.");
    out += fmt::format("vipcheckd_config_last_reload_successful {}\n", d.reload_successful ? 1 : 0);
    family(out, "vipcheckd_config_last_reload_success_timestamp_seconds", "gauge",
           "When the configuration in use was taken, in seconds since the epoch.");
    out += fmt::format("vipcheckd_config_last_reload_success_timestamp_seconds {:.3f}\n", d.reload_success_seconds);
    family(out, "vipcheckd_last_result_timestamp_seconds", "gauge",
           "When the newest probe result of any target came, in seconds since the epoch (the start time before "
           "the first).");
    out += fmt::format("vipcheckd_last_result_timestamp_seconds {:.3f}\n", d.last_result_seconds);
}

} // namespace

std::string format_metrics(const DaemonMetrics& daemon, const std::vector<TargetMetrics>& targets)
{
    std::string out;
    daemon_families(out, daemon);
    family(out, "vipcheck_probe_success", "gauge", "1 if the last probe proved the realserver answers for the VIP.");
    for (const auto& t : targets)
        if (t.verdict)
            out += fmt::format("vipcheck_probe_success{{{}}} {}\n", labels(t), *t.verdict == Verdict::Up ? 1 : 0);
    family(out, "vipcheck_probe_duration_seconds", "gauge", "How long the last probe took.");
    for (const auto& t : targets)
        if (t.verdict)
            out += fmt::format("vipcheck_probe_duration_seconds{{{}}} {:.6f}\n", labels(t), t.duration_seconds);
    family(out, "vipcheck_rtt_seconds", "gauge",
           "The reply time of the last probe, if it had a reply (icmp and syn targets: an arp target's "
           "duration is its whole timeout).");
    for (const auto& t : targets)
        if (t.rtt_seconds)
            out += fmt::format("vipcheck_rtt_seconds{{{}}} {:.6f}\n", labels(t), *t.rtt_seconds);
    family(out, "vipcheck_probe_verdict", "gauge", "1 for the verdict token of the last probe.");
    for (const auto& t : targets)
        if (t.verdict)
            out += fmt::format("vipcheck_probe_verdict{{{},verdict=\"{}\"}} 1\n", labels(t), token(*t.verdict));
    // Present from a target's start, at 0, so that rate() sees the first failure.
    family(out, "vipcheck_runs_total", "counter", "Probes of the target since it started.");
    for (const auto& t : targets)
        out += fmt::format("vipcheck_runs_total{{{}}} {}\n", labels(t), t.runs);
    family(out, "vipcheck_failed_runs_total", "counter",
           "Probes of the target since it started whose verdict was not up.");
    for (const auto& t : targets)
        out += fmt::format("vipcheck_failed_runs_total{{{}}} {}\n", labels(t), t.failed);
    family(out, "vipcheck_probes_total", "counter", "Probes run since the target started, by the verdicts it had.");
    for (const auto& t : targets)
        for (const auto& [verdict, n] : t.by_verdict)
            out += fmt::format("vipcheck_probes_total{{{},verdict=\"{}\"}} {}\n", labels(t), token(verdict), n);
    return out;
}

namespace {

std::string labels(const ServiceView& s, const RealserverView& r)
{
    return fmt::format("service=\"{}\",vip=\"{}\",port=\"{}\",rip=\"{}\"", prometheus_label(s.name), s.vip.str(),
                       s.port, prometheus_label(r.rip));
}

} // namespace

std::string format_realserver_metrics(const std::vector<ServiceView>& services)
{
    std::string out;
    // Every series of a realserver is there from its start (learning is 0 in _up), so that
    // an alert on == 0 or on a state fires without waiting for a first change.
    family(out, "vipcheck_realserver_up", "gauge",
           "1 while the realserver is pooled (state up or held), 0 otherwise (learning or down).");
    for (const auto& s : services)
        for (const auto& r : s.realservers)
            out += fmt::format("vipcheck_realserver_up{{{}}} {}\n", labels(s, r), pooled(r.state) ? 1 : 0);
    family(out, "vipcheck_realserver_state", "gauge", "1 for the realserver's state (learning, up, down, held).");
    for (const auto& s : services)
        for (const auto& r : s.realservers)
            for (const RsState state : {RsState::Learning, RsState::Up, RsState::Down, RsState::Held})
                out += fmt::format("vipcheck_realserver_state{{{},state=\"{}\"}} {}\n", labels(s, r), token(state),
                                   r.state == state ? 1 : 0);
    family(out, "vipcheck_realserver_diagnosis", "gauge",
           "1 for each diagnosis code of the realserver's last round (no-result before its first).");
    for (const auto& s : services)
        for (const auto& r : s.realservers)
            for (const Code c : r.diagnosis.codes)
                out += fmt::format("vipcheck_realserver_diagnosis{{{},code=\"{}\"}} 1\n", labels(s, r), token(c));
    family(out, "vipcheck_realserver_transitions_total", "counter",
           "Changes of the realserver's state since it started learning.");
    for (const auto& s : services)
        for (const auto& r : s.realservers)
            out += fmt::format("vipcheck_realserver_transitions_total{{{}}} {}\n", labels(s, r), r.transitions);
    family(out, "vipcheck_realserver_rounds_total", "counter",
           "Rounds of the realserver judged since it started learning (a round: every plane reported once).");
    for (const auto& s : services)
        for (const auto& r : s.realservers)
            out += fmt::format("vipcheck_realserver_rounds_total{{{}}} {}\n", labels(s, r), r.rounds);
    family(out, "vipcheck_realserver_last_change_timestamp_seconds", "gauge",
           "When the realserver's state last changed (when it started learning before), in seconds since the "
           "epoch.");
    for (const auto& s : services)
        for (const auto& r : s.realservers)
            out += fmt::format("vipcheck_realserver_last_change_timestamp_seconds{{{}}} {:.3f}\n", labels(s, r),
                               r.since_seconds);
    family(out, "vipcheck_service_realservers", "gauge", "The service's realservers in each state.");
    for (const auto& s : services)
        for (const RsState state : {RsState::Learning, RsState::Up, RsState::Down, RsState::Held})
            out += fmt::format("vipcheck_service_realservers{{service=\"{}\",state=\"{}\"}} {}\n",
                               prometheus_label(s.name), token(state), s.count(state));
    family(out, "vipcheck_service_min_up_holding", "gauge",
           "1 while min_up keeps a realserver of the service pooled that rise and fall would take out.");
    for (const auto& s : services)
        out += fmt::format("vipcheck_service_min_up_holding{{service=\"{}\"}} {}\n", prometheus_label(s.name),
                           s.count(RsState::Held) > 0 ? 1 : 0);
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
