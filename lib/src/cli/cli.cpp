#include "vipcheck/cli.hpp"

#include <fmt/format.h>

#include <cstring>

#include "vipcheck/usage.hpp"
#include "vipcheck/version.hpp"

namespace vipcheck {

namespace {

// CLI11's INI reader, keeping only this binary's section. (CLI11 2.1's own
// ConfigBase::section() drops every key of a section after the first.)
class SectionConfig : public CLI::ConfigINI {
public:
    explicit SectionConfig(std::string section) : section_(std::move(section)) {}

    std::vector<CLI::ConfigItem> from_config(std::istream& input) const override
    {
        std::vector<CLI::ConfigItem> mine;
        for (auto& item : CLI::ConfigINI::from_config(input)) {
            // "++" and "--" mark where sections begin and end; they name no option.
            if (item.parents.size() != 1 || item.parents.front() != section_ || item.name == "++" ||
                item.name == "--")
                continue;
            item.parents.clear();
            mine.push_back(std::move(item));
        }
        return mine;
    }

private:
    std::string section_;
};

// CLI11 2.1 prints "Usage: TOOL [OPTIONS] [args...]"; an operator needs the forms the
// positional words take, one line each.
class SynopsisFormatter : public CLI::Formatter {
public:
    explicit SynopsisFormatter(std::vector<std::string> synopsis) : synopsis_(std::move(synopsis)) {}

    std::string make_usage(const CLI::App* app, std::string name) const override
    {
        if (synopsis_.empty())
            return CLI::Formatter::make_usage(app, std::move(name));
        std::string out;
        const std::string label = get_label("Usage") + ": ";
        for (std::size_t i = 0; i < synopsis_.size(); ++i)
            out += fmt::format("{:{}}{} [OPTIONS] {}\n", i == 0 ? label : "", label.size(), name, synopsis_[i]);
        return out;
    }

private:
    std::vector<std::string> synopsis_;
};

} // namespace

CommandLine::CommandLine(const CommandSpec& spec) : tool_(spec.tool), app_(spec.description, tool_)
{
    auto& c = common_;
    const OptionSet& set = spec.options;
    app_.formatter(std::make_shared<SynopsisFormatter>(spec.synopsis));
    app_.add_option("-i,--interface", c.interface, "Interface to probe on (default: the kernel's route to RIP)");
    app_.add_option("-s,--source", c.source, "Source address (default: the kernel's preferred source)");
    if (set.frames)
        app_.add_option("--mac", c.mac, "The realserver's MAC: skip ARP / neighbour discovery");
    if (set.fwmark_vip)
        app_.add_option("--vip", c.vip, "The VIP when the VIP argument is an ldirectord fwmark number");
    app_.add_option("-t,--timeout", c.timeout, "Deadline for the whole run, e.g. 300ms, 2s")->capture_default_str();
    if (set.attempts)
        app_.add_option("-a,--attempts", c.attempts, "Probes spread within the deadline; the first proof ends the run")
            ->capture_default_str();
    if (set.frames)
        app_.add_option("--ttl", c.ttl, "TTL / hop limit of the probe")->capture_default_str();
    if (set.encap) {
        app_.add_option("--encap", c.encap,
                        "LVS-TUN realserver: probe the VIP inside an ipip, gue or gre tunnel to RIP (routed, via a "
                        "gateway if need be); it must answer from the VIP directly. Inner family: the VIP's, outer: "
                        "the RIP's")
            ->check(CLI::IsMember({"ipip", "gue", "gre"}));
        app_.add_option("--encap-port", c.encap_port, "GUE's UDP port on the realserver (required with --encap gue)");
    }
    if (set.arp_leak)
        app_.add_flag("--arp-leak", c.arp_leak,
                      "Also ask the realserver about the VIP (unicast ARP / ND) and watch its ARP sender address: up "
                      "only if it also stays silent for the VIP until the deadline (see vip-arp-check(8))");
    auto* quiet = app_.add_flag("-q,--quiet", c.output.quiet, "Print nothing; the exit status tells");
    app_.add_flag("-v,--verbose", c.output.verbose, "Trace each step with its timing on stderr");
    auto* json = app_.add_flag("--json", c.output.json, "Print one JSON object on stdout");
    auto* nagios = app_.add_flag("--nagios", c.output.nagios, "Nagios plugin output and exit codes (0/2/3)");
    app_.add_flag("--syslog", c.output.syslog, "Also send the verdict line to syslog (facility daemon)");
    json->excludes(nagios);
    quiet->excludes(json)->excludes(nagios);
    app_.set_version_flag("--version", std::string(tool_) + " " + version_string);
    app_.add_option("args", positionals_,
                    "The words of the synopsis above. Addresses: IPv4 or IPv6, ldirectord's [2001:db8::1] and a "
                    "link-local fe80::1%IF accepted");

    // ldirectord cannot pass options, so every option can also live in a file:
    // `[vip-icmp-check]` then `timeout = 300ms`. The command line wins.
    app_.set_config("--config", default_config_file, "Read options from this INI file, section [" + tool_ + "]");
    app_.config_formatter(std::make_shared<SectionConfig>(tool_));
    app_.allow_config_extras(CLI::config_extras_mode::error);
}

std::optional<int> CommandLine::parse(int argc, const char* const* argv)
{
    bool nagios = false;
    for (int i = 1; i < argc; ++i)
        nagios = nagios || std::strcmp(argv[i], "--nagios") == 0;
    if (auto status = parse_arguments(app_, tool_, argc, argv, nagios))
        return status;
    // `-i ""` is usually an unset variable in a check script or an empty key in the
    // config file. Reading it as "not given" would quietly probe with the kernel's
    // choice instead of what the operator meant: refuse it.
    for (const CLI::Option* opt : app_.get_options()) {
        if (!opt->nonpositional())
            continue;
        for (const auto& value : opt->results())
            if (value.empty())
                return usage_error(tool_,
                                   fmt::format("bad {} '': an empty value (leave the option out for the default)",
                                               opt->get_name()),
                                   nagios);
    }
    return std::nullopt;
}

} // namespace vipcheck
