#include "vipcheck/tool.hpp"

#include <fmt/format.h>

#include <exception>
#include <memory>

#include "vipcheck/cli.hpp"
#include "vipcheck/deadline.hpp"
#include "vipcheck/engine.hpp"
#include "vipcheck/report.hpp"
#include "vipcheck/signals.hpp"
#include "vipcheck/target_rules.hpp"

namespace vipcheck {

CommandSpec probe_command(const ToolSpec& spec)
{
    // The forms parse_probe_target accepts for each PortUse.
    std::vector<std::string> synopsis{"VIP PORT RIP [RPORT]"};
    if (spec.ports == PortUse::None)
        synopsis = {"VIP RIP", "VIP VPORT RIP RPORT      (ldirectord's form: the ports are ignored)"};
    return {spec.name, spec.description, std::move(synopsis), spec.options};
}

ProbeOptions tool_probe_options(CommandLine& cli, const ToolSpec& spec, const ProbeKind& kind)
{
    ProbeOptions options =
        make_probe_options(cli.common(), parse_probe_target(cli.positionals(), spec.ports, cli.common().vip));
    check_target_rules(options, target_kind(spec.name, spec.ports, kind), Spelling::CommandLine);
    return options;
}

int vip_probe_main(int argc, const char* const* argv, const ToolSpec& spec, const ProbeKind& kind)
{
    const std::unique_ptr<SignalWatch> signals = start_signal_watch(spec.name);
    if (!signals)
        return 1;
    CommandLine cli(probe_command(spec));
    if (auto status = cli.parse(argc, argv))
        return *status;
    const Reporter report(cli.tool(), cli.common().output);
    try {
        const ProbeOptions options = tool_probe_options(cli, spec, kind);
        const ProbeTarget& target = options.target;
        const Trace trace(cli.tool(), options.output.verbose);
        // DR and TUN keep the destination port: the realserver listens on the virtual one.
        if (spec.ports == PortUse::Required && target.rport != 0 && target.rport != target.port)
            trace.step("target", "RPORT {} differs from VPORT {}: probing the virtual port {}, which a DR/TUN "
                       "realserver must listen on",
                       target.rport, target.port, target.port);
        return report.emit(run_probe(options, kind, *signals, trace, process_deadline_origin(options.timeout)));
    } catch (const std::exception& e) {
        return report.emit_error(e.what());
    }
}

} // namespace vipcheck
