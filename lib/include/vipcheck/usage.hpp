// How every binary ends a run at its command line: --help and --version exit 0, and a
// usage error is one line, "TOOL: what is wrong (see --help)", and exit status 1 (3 with
// --nagios), never CLI11's own codes (100 and up), which keepalived's misc_dynamic would
// read as success with a weight. See vipcheck(7), EXIT STATUS.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace vipcheck {

// Prints the usage error (and, with `nagios`, the plugin's UNKNOWN line on stdout) and
// returns the exit status.
int usage_error(std::string_view tool, std::string message, bool nagios = false);

// app.parse(argc, argv): the exit status when the run ends here (help, version, a
// usage error, already printed), nullopt to go on.
std::optional<int> parse_arguments(CLI::App& app, std::string_view tool, int argc, const char* const* argv,
                                   bool nagios = false);

} // namespace vipcheck
