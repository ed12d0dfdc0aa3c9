// The HTTP checks' transfer loop: --attempts requests within one --timeout deadline
// through libcurl's multi interface, so that the wait also watches the SignalWatch fd
// (and a connector's descriptors). Lives in the separate vipcheck-http library so that
// the VIP probes never load libcurl.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "vipcheck/cli.hpp"
#include "http/http_judge.hpp"
#include "http/http_options.hpp"
#include "http/http_transport.hpp"
#include "http/md5.hpp"
#include "vipcheck/report.hpp"
#include "vipcheck/signals.hpp"
#include "vipcheck/trace.hpp"

namespace vipcheck {

struct HttpResult {
    Outcome outcome;
    std::optional<std::string> md5; // of the body that decided the verdict, if complete
};

// The rules of --attempts, shared by mgmt-http-check's own loop and vipcheckd's fleet
// (daemon/http_fleet.hpp), so that both give the same verdict for the same answers.
// An up or error verdict ends the check: the other attempts cannot change it.
bool conclusive(Verdict v);
// Whether a finished attempt's judgement `next` decides the check rather than the one
// that does so far (none: `current` empty). An answer outranks silence.
bool decides_over(const std::optional<Judgement>& current, const Judgement& next);
// The check's outcome: the deciding attempt's verdict and fields, or no-reply when no
// attempt finished (`decided` null). `attempts`: how many were started.
HttpResult http_result(const HttpOptions& options, const std::optional<Judgement>& verdict, const Transfer* decided,
                       std::size_t attempts, double elapsed_ms);

// Runs --attempts requests within --timeout. Throws Error for local problems and when a
// signal arrives. options.timeout counts from `origin`, as for run_probe (engine.hpp).
// `tool` names the User-Agent; `connector` null: libcurl connects by itself.
HttpResult run_http_check(const char* tool, const HttpOptions& options, const SignalWatch& signals,
                          const Trace& trace, std::chrono::steady_clock::time_point origin,
                          Connector* connector = nullptr);

// Prints the result as the options ask (--print-digest: the digest alone on stdout, the
// verdict line on stderr) and returns the exit status.
int report_http_result(const Reporter& report, const HttpResult& result, bool print_digest);

// The body both HTTP tools' main() share: signals watched first, the command line with
// the HTTP options, libcurl set up, `run` for the result, the report (with
// --print-digest, the verdict line on stderr), and every exception as verdict error.
using HttpRun = std::function<HttpResult(CommandLine& cli, HttpArgs& args, const SignalWatch& signals)>;
int http_tool_main(int argc, const char* const* argv, const CommandSpec& command, Redirects redirects,
                   const HttpRun& run);

// mgmt-http-check's command line: its synopsis and the options it accepts.
CommandSpec mgmt_http_command();
// The whole of mgmt-http-check's main().
int mgmt_http_main(int argc, const char* const* argv);

} // namespace vipcheck
