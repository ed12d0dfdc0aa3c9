// The body every VIP-probe binary shares, so that each main() is one call: parse the
// command line (CLI11), run the probe, report, and return the exit status. Every
// exception ends here as verdict `error`, exit 1.
#pragma once

#include "vipcheck/cli.hpp"
#include "vipcheck/options.hpp"
#include "vipcheck/probe.hpp"

namespace vipcheck {

struct ToolSpec {
    const char* name;
    const char* description;
    PortUse ports;
    OptionSet options = vip_probe_options;
};

// The command line of a VIP probe: its synopsis and the options it accepts.
CommandSpec probe_command(const ToolSpec& spec);

// The probe options from a parsed command line: the positional words and the options
// read into typed values, then check_target_rules for `kind`. Throws Error naming the
// bad value.
ProbeOptions tool_probe_options(CommandLine& cli, const ToolSpec& spec, const ProbeKind& kind);

int vip_probe_main(int argc, const char* const* argv, const ToolSpec& spec, const ProbeKind& kind);

} // namespace vipcheck
