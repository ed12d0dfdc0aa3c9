#include "vipcheck/cli.hpp"

#include <unistd.h>

#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/options_file.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/usage.hpp"
#include "vipcheck/version.hpp"

namespace vipcheck {

namespace {

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

// The checks make_probe_options makes of one shared option at a time, made as the file
// is read so that a bad value is reported with its line. (Options that only make sense
// together, and the HTTP checks' own, are checked when the run starts.)
void check_setting(const std::string& key, const CommonOptions& c)
{
    if (key == "interface") {
        checked_interface(c.interface);
    } else if (key == "source") {
        checked_source(c.source);
    } else if (key == "timeout") {
        checked_timeout(c.timeout);
    } else if (key == "attempts") {
        checked_attempts(c.attempts);
    } else if (key == "ttl" && (c.ttl < 1 || c.ttl > 255)) {
        throw Error(fmt::format("bad --ttl {}: expected 1 to 255", c.ttl));
    } else if (key == "mac") {
        const auto mac = MacAddress::parse(c.mac);
        if (!mac || mac->is_zero() || mac->is_multicast())
            throw Error(fmt::format("bad --mac '{}': expected the realserver's unicast MAC as xx:xx:xx:xx:xx:xx",
                                    c.mac));
    }
}

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
    // `[vip-icmp-check]` then `timeout = 300ms`. The command line wins. The file is read
    // here rather than by CLI11, whose INI reader skips unknown sections and keys
    // outside one, and reports neither file nor line.
    app_.add_option("--config", config_file_,
                    fmt::format("Read options from this INI file, section [{}] (default {}, if it exists)", tool_,
                                default_config_file))
        ->configurable(false);
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
    // A missing default file is no error (most hosts have none); an unreadable one is:
    // the options it holds were meant to apply.
    std::string path = config_file_;
    if (path.empty() && access(default_config_file, F_OK) == 0)
        path = default_config_file;
    try {
        if (!path.empty())
            apply_options_file(read_options_file(path));
    } catch (const Error& e) {
        if (nagios)
            fmt::print("VIPCHECK UNKNOWN - {}\n", e.what());
        fmt::print(stderr, "{}: {}\n", tool_, e.what());
        return nagios ? 3 : 1;
    }
    return std::nullopt;
}

std::vector<std::string> CommandLine::file_settings() const
{
    std::vector<std::string> out;
    for (const CLI::Option* opt : app_.get_options())
        if (opt->nonpositional() && opt->get_configurable() && !opt->get_lnames().empty())
            out.push_back(opt->get_lnames().front());
    return out;
}

void CommandLine::apply_options_file(const OptionsFile& file)
{
    std::set<const CLI::Option*> on_command_line;
    for (const CLI::Option* opt : app_.get_options())
        if (opt->count() > 0)
            on_command_line.insert(opt);
    std::map<const CLI::Option*, int> line_of; // an option set by the file: its first line
    for (const auto& s : file.settings) {
        if (s.section != tool_)
            continue; // another binary's; it checks them when it runs
        const std::string where = fmt::format("{}:{}", file.path, s.line);
        CLI::Option* opt = app_.get_option_no_throw("--" + s.key);
        if (!opt || !opt->nonpositional() || !opt->get_configurable() || opt->get_lnames().empty() ||
            opt->get_lnames().front() != s.key) {
            const auto choices = file_settings();
            const auto near = nearest_choice(s.key, choices);
            throw Error(fmt::format("{}: unknown setting '{}' in [{}]: {}the settings are the long options: {}", where,
                                    s.key, tool_, near ? fmt::format("did you mean '{}'? ", *near) : "",
                                    fmt::join(choices, ", ")));
        }
        const bool repeatable = opt->get_expected_max() > 1;
        if (const auto [first, fresh] = line_of.emplace(opt, s.line); !fresh && !repeatable)
            throw Error(fmt::format("{}: '{}' is set again (first on line {}): keep one of the lines", where, s.key,
                                    first->second));
        if (s.values.size() > 1 && !repeatable)
            throw Error(fmt::format("{}: '{}' takes one value, not {}: keep one of the lines", where, s.key,
                                    s.values.size()));
        // The command line wins, but the file's value is checked all the same: it is
        // what a run without that option would use.
        const bool overridden = on_command_line.count(opt) > 0;
        const std::vector<std::string> given = opt->results();
        if (overridden)
            opt->clear();
        try {
            // A flag takes true/false, yes/no, on/off or 1/0, as CLI11 reads it.
            for (const auto& value : s.values)
                opt->add_result(opt->get_expected_min() == 0 ? opt->get_flag_value(s.key, value) : value);
            opt->run_callback();
            check_setting(s.key, common_);
        } catch (const CLI::ParseError& e) {
            throw Error(fmt::format("{}: bad {} = {}: {}", where, s.key, fmt::join(s.values, " "), e.what()));
        } catch (const Error& e) {
            throw Error(fmt::format("{}: {}", where, e.what()));
        }
        if (overridden) {
            opt->clear();
            opt->add_result(given);
            opt->run_callback();
        }
    }
    // Options that exclude or need one another, now that the file's count too.
    const auto line = [&](const CLI::Option* opt) {
        const auto it = line_of.find(opt);
        return it == line_of.end() || on_command_line.count(opt) ? std::string("the command line")
                                                                    : fmt::format("{}:{}", file.path, it->second);
    };
    for (const CLI::Option* opt : app_.get_options()) {
        if (opt->count() == 0)
            continue;
        for (const CLI::Option* other : opt->get_excludes())
            if (other->count() > 0 && (line_of.count(opt) || line_of.count(other)))
                throw Error(fmt::format("{} ({}) excludes {} ({}): keep one", opt->get_name(), line(opt),
                                        other->get_name(), line(other)));
        for (const CLI::Option* other : opt->get_needs())
            if (other->count() == 0 && line_of.count(opt))
                throw Error(fmt::format("{}: {} needs {}", line(opt), opt->get_name(), other->get_name()));
    }
}

} // namespace vipcheck
