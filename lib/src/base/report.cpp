#include "vipcheck/report.hpp"

#include <fmt/format.h>
#include <syslog.h>

#include <cmath>

namespace vipcheck {

std::string json_escape(std::string_view s)
{
    std::string out;
    out.reserve(s.size() + 2);
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20)
                out += fmt::format("\\u{:04x}", c);
            else
                out += static_cast<char>(c);
        }
    }
    return out;
}

namespace {

std::string json_value(const Field& f)
{
    struct Visitor {
        std::string operator()(std::nullptr_t) const { return "null"; }
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(std::int64_t i) const { return fmt::format("{}", i); }
        std::string operator()(double d) const { return std::isfinite(d) ? fmt::format("{:.3f}", d) : "null"; }
        // fmt, not operator+: GCC 12 -O2 warns of a restrict overlap inside std::string operator+
        // (a false positive, GCC bug 105651) where "\"" + s is inlined.
        std::string operator()(const std::string& s) const { return fmt::format("\"{}\"", json_escape(s)); }
    };
    return std::visit(Visitor{}, f.value);
}

} // namespace

std::string format_line(const Outcome& o)
{
    std::string line(token(o.verdict));
    if (!o.subject.empty())
        line += " " + o.subject;
    if (!o.detail.empty())
        line += (o.subject.empty() ? " " : ": ") + o.detail;
    return line;
}

std::string format_json(const Outcome& o)
{
    std::string out = fmt::format("{{\"verdict\":\"{}\"", token(o.verdict));
    for (const auto& f : o.fields)
        out += fmt::format(",\"{}\":{}", json_escape(f.key), json_value(f));
    out += ",\"rtt_ms\":" + (o.rtt_ms ? fmt::format("{:.3f}", *o.rtt_ms) : std::string("null"));
    out += fmt::format(",\"elapsed_ms\":{:.3f}", o.elapsed_ms);
    out += ",\"detail\":\"" + json_escape(o.detail) + "\"}";
    return out;
}

std::string format_nagios(const Outcome& o)
{
    const char* state = o.verdict == Verdict::Up ? "OK" : o.verdict == Verdict::Error ? "UNKNOWN" : "CRITICAL";
    // Nagios reserves '|' for perfdata; a detail must not start a second section.
    std::string text = format_line(o);
    for (auto& c : text)
        if (c == '|')
            c = '/';
    std::string perf;
    if (o.rtt_ms)
        perf += fmt::format("rtt={:.3f}ms;;;0 ", *o.rtt_ms);
    perf += fmt::format("time={:.3f}ms;;;0", o.elapsed_ms);
    return fmt::format("VIPCHECK {} - {} | {}", state, text, perf);
}

int Reporter::emit(const Outcome& o) const
{
    const std::string line = format_line(o);
    if (output_.nagios)
        fmt::print("{}\n", format_nagios(o));
    else if (output_.json)
        fmt::print("{}\n", format_json(o));
    else if (!output_.quiet && o.verdict != Verdict::Error)
        fmt::print("{}\n", line);
    // A local problem is one line on stderr whatever the mode: it names the bad input.
    if (o.verdict == Verdict::Error)
        fmt::print(stderr, "{}: {}\n", tool_, o.detail);
    if (output_.syslog) {
        // keepalived --dont-fork throws a check's output away; syslog keeps the why.
        openlog(tool_.c_str(), LOG_PID, LOG_DAEMON);
        syslog(o.verdict == Verdict::Up ? LOG_INFO : LOG_WARNING, "%s", line.c_str());
        closelog();
    }
    std::fflush(stdout);
    return exit_status(o.verdict, exit_mode());
}

int Reporter::emit_error(const std::string& message) const
{
    Outcome o;
    o.verdict = Verdict::Error;
    o.detail = message;
    return emit(o);
}

} // namespace vipcheck
