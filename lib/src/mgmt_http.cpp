#include <fmt/format.h>

#include <exception>
#include <memory>

#include "vipcheck/cli.hpp"
#include "vipcheck/deadline.hpp"
#include "vipcheck/http_check.hpp"

namespace vipcheck {


int mgmt_http_main(int argc, const char* const* argv)
{
    static constexpr const char* tool = "mgmt-http-check";
    std::unique_ptr<SignalWatch> signals;
    try {
        // First of all, so that a SIGTERM during start-up is read, not fatal.
        signals = std::make_unique<SignalWatch>();
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}: {}\n", tool, e.what());
        return 1;
    }
    CommandLine cli(tool, "Check the application at a realserver's management address over HTTP or HTTPS.");
    HttpArgs args;
    add_http_options(cli.app(), args);
    if (auto status = cli.parse(argc, argv))
        return *status;
    args.mac_given = cli.app().get_option("--mac")->count() > 0;
    args.ttl_given = cli.app().get_option("--ttl")->count() > 0;

    OutputOptions output = cli.common().output;
    // --print-digest owns stdout: the verdict line moves to stderr.
    const bool print_digest = args.print_digest;
    if (print_digest)
        output.quiet = true;
    const Reporter report(tool, output);
    try {
        const HttpOptions options = make_http_options(cli.common(), args, cli.positionals());
        const CurlGlobal curl;
        const Trace trace(tool, options.output.verbose);
        const HttpResult result = run_http_check(tool, options, *signals, trace, process_deadline_origin(options.timeout));
        return report_http_result(report, result, print_digest);
    } catch (const std::exception& e) {
        return report.emit_error(e.what());
    }
}

} // namespace vipcheck
