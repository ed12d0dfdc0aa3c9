// Command-line handling shared by the three binaries: the common options, the
// configuration file (CLI11's INI support, one section per binary) and the rule that a
// usage error exits 1 (or 3 with --nagios), never CLI11's own codes.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "vipcheck/options.hpp"

namespace vipcheck {

inline constexpr const char* default_config_file = "/etc/vipcheck.conf";

class CommandLine {
public:
    CommandLine(std::string tool, std::string description);

    CLI::App& app() { return app_; }
    CommonOptions& common() { return common_; }
    const std::string& tool() const { return tool_; }
    // Positional words (addresses, ports, a URL) in the order given.
    std::vector<std::string>& positionals() { return positionals_; }

    // Parses argv, then the config file. Returns the exit status when the run ends here
    // (help, version, usage error: the message already printed), nullopt to go on.
    std::optional<int> parse(int argc, const char* const* argv);

private:
    std::string tool_;
    CLI::App app_;
    CommonOptions common_;
    std::vector<std::string> positionals_;
};

} // namespace vipcheck
