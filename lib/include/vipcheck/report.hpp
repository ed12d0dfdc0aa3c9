// What a run concluded and the four ways of telling it: the default line, JSON, the
// Nagios plugin line, and syslog. Pure formatting except Reporter::emit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "vipcheck/options.hpp"
#include "vipcheck/verdict.hpp"

namespace vipcheck {

struct Field {
    std::string key;
    std::variant<std::nullptr_t, bool, std::int64_t, double, std::string> value;
};

struct Outcome {
    Verdict verdict = Verdict::Error;
    std::string subject;           // "198.51.100.10 on 192.0.2.11 [02:..] via eth0 src 192.0.2.2"
    std::string detail;            // "echo reply in 0.21 ms"
    std::optional<double> rtt_ms;  // Nagios perfdata `rtt`
    double elapsed_ms = 0;         // Nagios perfdata `time`
    std::vector<Field> fields;     // JSON members after "verdict", in this order
};

// `TOKEN SUBJECT: DETAIL`, the first word being the verdict token.
std::string format_line(const Outcome& o);
// One JSON object: {"verdict":...,FIELDS...,"rtt_ms":...,"detail":...}.
std::string format_json(const Outcome& o);
// `VIPCHECK OK - line | rtt=0.21ms;;;0 time=1.30ms;;;0`
std::string format_nagios(const Outcome& o);
std::string json_escape(std::string_view s);

class Reporter {
public:
    Reporter(std::string tool, OutputOptions output) : tool_(std::move(tool)), output_(output) {}
    // Prints the outcome as the options ask and returns the process exit status.
    int emit(const Outcome& o) const;
    // A local problem before or during the run: one line on stderr, plus the chosen
    // machine format on stdout. Returns the exit status (1, or 3 with --nagios).
    int emit_error(const std::string& message) const;
    ExitMode exit_mode() const { return output_.nagios ? ExitMode::Nagios : ExitMode::Default; }

private:
    std::string tool_;
    OutputOptions output_;
};

} // namespace vipcheck
