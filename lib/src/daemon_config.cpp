#include "vipcheck/daemon_config.hpp"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "vipcheck/arp_leak.hpp"
#include "vipcheck/icmp_echo.hpp"
#include "vipcheck/tcp_syn.hpp"

namespace vipcheck {

const std::vector<KindEntry>& probe_kinds()
{
    // Stateless probe kinds, so one shared instance each.
    static const EchoProbe icmp;
    static const SynProbe syn;
    static const ArpLeakProbe arp;
    static const std::vector<KindEntry> kinds{
        {"icmp", PortUse::None, icmp},
        {"syn", PortUse::Required, syn},
        {"arp", PortUse::None, arp},
    };
    return kinds;
}

namespace {

const std::set<std::string> top_keys{"interval", "timeout", "rate", "realserver_rate", "targets"};
const std::set<std::string> target_keys{"name",    "kind", "vip",      "rip",        "port",     "interface",
                                        "source",  "mac",  "attempts", "ttl",        "encap",    "encap_port",
                                        "arp_leak", "interval", "timeout"};

class Reader {
public:
    explicit Reader(std::string origin) : origin_(std::move(origin)) {}

    [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const
    {
        const auto mark = at.Mark();
        if (mark.line >= 0)
            throw ConfigError(fmt::format("{}:{}: {}", origin_, mark.line + 1, message));
        throw ConfigError(fmt::format("{}: {}", origin_, message));
    }

    std::string scalar(const YAML::Node& n, const std::string& where) const
    {
        if (!n.IsScalar())
            fail(n, fmt::format("{}: expected a single value", where));
        return n.Scalar();
    }

    int integer(const YAML::Node& n, const std::string& where) const
    {
        const std::string text = scalar(n, where);
        std::size_t used = 0;
        int value = 0;
        try {
            value = std::stoi(text, &used, 10);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != text.size())
            fail(n, fmt::format("{}: '{}' is not a whole number", where, text));
        return value;
    }

    bool boolean(const YAML::Node& n, const std::string& where) const
    {
        const std::string text = scalar(n, where);
        if (text == "true" || text == "yes")
            return true;
        if (text == "false" || text == "no")
            return false;
        fail(n, fmt::format("{}: '{}' is not true or false", where, text));
    }

    Duration duration(const YAML::Node& n, const std::string& where) const
    {
        const std::string text = scalar(n, where);
        const auto d = parse_duration(text);
        if (!d)
            fail(n, fmt::format("{}: '{}' is not a duration from 1us to 1h such as 300ms or 5s", where, text));
        return *d;
    }

    double positive(const YAML::Node& n, const std::string& where) const
    {
        const int v = integer(n, where);
        if (v < 1 || v > 10'000'000)
            fail(n, fmt::format("{}: {} is out of range (1 to 10000000 starts per second)", where, v));
        return v;
    }

    const std::string& origin() const { return origin_; }

private:
    std::string origin_;
};

bool valid_name(const std::string& name)
{
    return !name.empty() && name.size() <= 128 && name != "." && name != ".." &&
           name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
               std::string::npos;
}

TargetConfig read_target(const Reader& r, const YAML::Node& t, std::size_t index, const DaemonConfig& defaults)
{
    if (!t.IsMap())
        r.fail(t, fmt::format("targets[{}]: expected a map of settings (name, kind, vip, rip, ...)", index));
    TargetConfig out;
    // The name first, so that every later message can name the target.
    const YAML::Node name = t["name"];
    if (!name)
        r.fail(t, fmt::format("targets[{}]: missing field 'name'", index));
    out.name = r.scalar(name, fmt::format("targets[{}]: field 'name'", index));
    if (!valid_name(out.name))
        r.fail(name, fmt::format("targets[{}]: field 'name': '{}' must be letters, digits, '.', '_' or '-' (it "
                                 "names the state file)",
                                 index, out.name));
    const std::string who = fmt::format("target '{}'", out.name);
    const auto field = [&](const char* key) { return fmt::format("{}: field '{}'", who, key); };

    for (const auto& entry : t) {
        const std::string key = entry.first.as<std::string>();
        if (!target_keys.contains(key))
            r.fail(entry.first, fmt::format("{}: unknown field '{}' (known: name, kind, vip, rip, port, interface, "
                                            "source, mac, attempts, ttl, encap, encap_port, arp_leak, interval, timeout)",
                                            who, key));
    }
    for (const char* required : {"kind", "vip", "rip"})
        if (!t[required])
            r.fail(t, fmt::format("{}: missing field '{}'", who, required));

    const std::string kind = r.scalar(t["kind"], field("kind"));
    for (const auto& k : probe_kinds())
        if (k.name == kind)
            out.kind = &k;
    if (!out.kind) {
        std::string known;
        for (const auto& k : probe_kinds())
            known += (known.empty() ? "" : ", ") + std::string(k.name);
        r.fail(t["kind"], fmt::format("{}: unknown kind '{}' (known: {})", field("kind"), kind, known));
    }

    std::vector<std::string> args{r.scalar(t["vip"], field("vip"))};
    if (out.kind->ports == PortUse::Required) {
        if (!t["port"])
            r.fail(t, fmt::format("{}: missing field 'port' (kind {} probes a TCP port)", who, kind));
        args.push_back(r.scalar(t["port"], field("port")));
    } else if (t["port"]) {
        r.fail(t["port"], fmt::format("{}: kind {} has no port", field("port"), kind));
    }
    args.push_back(r.scalar(t["rip"], field("rip")));

    CommonOptions common;
    common.timeout = format_duration(defaults.timeout);
    if (t["interface"])
        common.interface = r.scalar(t["interface"], field("interface"));
    if (t["source"])
        common.source = r.scalar(t["source"], field("source"));
    if (t["mac"])
        common.mac = r.scalar(t["mac"], field("mac"));
    if (t["attempts"])
        common.attempts = r.integer(t["attempts"], field("attempts"));
    if (t["ttl"])
        common.ttl = r.integer(t["ttl"], field("ttl"));
    if (t["encap"])
        common.encap = r.scalar(t["encap"], field("encap"));
    if (t["encap_port"])
        common.encap_port = r.integer(t["encap_port"], field("encap_port"));
    if (t["arp_leak"]) {
        common.arp_leak = r.boolean(t["arp_leak"], field("arp_leak"));
        if (out.kind->kind.is_arp_leak_test())
            r.fail(t["arp_leak"], fmt::format("{}: kind {} is the ARP-leak test itself", field("arp_leak"), kind));
    }
    if (t["timeout"])
        common.timeout = format_duration(r.duration(t["timeout"], field("timeout")));
    out.interval = t["interval"] ? r.duration(t["interval"], field("interval")) : defaults.interval;

    try {
        out.options = make_probe_options(common, parse_probe_target(args, out.kind->ports, ""));
    } catch (const Error& e) {
        // The one-shot tools' own check and message, which names the bad value.
        r.fail(t, fmt::format("{}: {}", who, e.what()));
    }
    if (out.options.timeout > out.interval)
        r.fail(t, fmt::format("{}: timeout {} is longer than its interval {}", who, format_duration(out.options.timeout),
                              format_duration(out.interval)));
    const ProbeOptions& o = out.options;
    out.identity = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", kind, o.target.vip.str(), o.target.rip.str(),
                               o.target.port, o.interface, o.source ? o.source->str() : "",
                               o.mac ? o.mac->str() : "", o.timeout.count(), o.attempts, o.ttl,
                               o.encap ? encap_name(*o.encap) : "", o.encap_port);
    out.identity += fmt::format("|{}|{}", o.arp_leak, out.interval.count());
    return out;
}

} // namespace

DaemonConfig parse_daemon_config(const std::string& text, const std::string& origin)
{
    const Reader r(origin);
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw ConfigError(fmt::format("{}:{}: not valid YAML: {}", origin, e.mark.line + 1, e.msg));
    }
    if (!root.IsMap())
        throw ConfigError(fmt::format("{}: expected a map with 'targets' (and interval, timeout)", origin));
    for (const auto& entry : root) {
        const std::string key = entry.first.as<std::string>();
        if (!top_keys.contains(key))
            r.fail(entry.first, fmt::format("unknown setting '{}' (known: interval, timeout, rate, realserver_rate, "
                                            "targets)",
                                            key));
    }
    DaemonConfig config;
    if (root["interval"])
        config.interval = r.duration(root["interval"], "setting 'interval'");
    if (root["timeout"])
        config.timeout = r.duration(root["timeout"], "setting 'timeout'");
    if (root["rate"])
        config.rate = r.positive(root["rate"], "setting 'rate'");
    if (root["realserver_rate"])
        config.realserver_rate = r.positive(root["realserver_rate"], "setting 'realserver_rate'");
    const YAML::Node targets = root["targets"];
    if (!targets)
        throw ConfigError(fmt::format("{}: missing setting 'targets' (a list of targets)", origin));
    if (!targets.IsSequence() || targets.size() == 0)
        r.fail(targets, "setting 'targets': expected a list of at least one target");
    std::set<std::string> names;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        auto target = read_target(r, targets[i], i, config);
        if (!names.insert(target.name).second)
            r.fail(targets[i]["name"], fmt::format("target '{}': field 'name': duplicate name", target.name));
        config.targets.push_back(std::move(target));
    }
    return config;
}

DaemonConfig load_daemon_config(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw ConfigError(fmt::format("cannot read config file {}: {}", path, std::strerror(errno)));
    std::stringstream text;
    text << in.rdbuf();
    return parse_daemon_config(text.str(), path);
}

} // namespace vipcheck
