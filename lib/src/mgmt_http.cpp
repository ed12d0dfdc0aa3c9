#include "vipcheck/cli.hpp"
#include "vipcheck/deadline.hpp"
#include "vipcheck/http_check.hpp"

namespace vipcheck {

int mgmt_http_main(int argc, const char* const* argv)
{
    static constexpr const char* tool = "mgmt-http-check";
    return http_tool_main(argc, argv, tool,
                          "Check the application at a realserver's management address over HTTP or HTTPS.",
                          [](CommandLine& cli, HttpArgs& args, const SignalWatch& signals) {
                              args.mac_given = cli.app().get_option("--mac")->count() > 0;
                              args.ttl_given = cli.app().get_option("--ttl")->count() > 0;
                              const HttpOptions options = make_http_options(cli.common(), args, cli.positionals());
                              const Trace trace(tool, options.output.verbose);
                              return run_http_check(tool, options, signals, trace,
                                                    process_deadline_origin(options.timeout));
                          });
}

} // namespace vipcheck
