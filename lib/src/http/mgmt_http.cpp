#include "vipcheck/cli.hpp"
#include "vipcheck/deadline.hpp"
#include "http/http_check.hpp"

namespace vipcheck {

CommandSpec mgmt_http_command()
{
    return {"mgmt-http-check",
            "Check the application at a realserver's management address over HTTP or HTTPS.",
            {"URL", "VIP VPORT RIP RPORT      (ldirectord's form: fetches from RIP, see --scheme, --port, --path)"},
            {.attempts = true}};
}

int mgmt_http_main(int argc, const char* const* argv)
{
    static constexpr const char* tool = "mgmt-http-check";
    return http_tool_main(argc, argv, mgmt_http_command(), Redirects::Followable,
                          [](CommandLine& cli, HttpArgs& args, const SignalWatch& signals) {
                              const HttpOptions options = make_http_options(cli.common(), args, cli.positionals());
                              const Trace trace(tool, options.output.verbose);
                              return run_http_check(tool, options, signals, trace,
                                                    process_deadline_origin(options.timeout));
                          });
}

} // namespace vipcheck
