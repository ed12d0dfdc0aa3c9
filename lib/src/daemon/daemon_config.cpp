#include "daemon/daemon_config.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "vipcheck/arp_leak.hpp"
#include "vipcheck/icmp_echo.hpp"
#include "vipcheck/target_rules.hpp"
#include "vipcheck/tcp_syn.hpp"
#include "daemon/state_files.hpp"
#include "daemon/config_reader.hpp"
#include "daemon/services_config.hpp"
#include "daemon/yaml_tree.hpp"
#include "vip_http/vip_http.hpp"

namespace vipcheck {

const std::vector<KindEntry>& probe_kinds()
{
    // Stateless probe kinds, so one shared instance each.
    static const EchoProbe icmp;
    static const SynProbe syn;
    static const ArpLeakProbe arp;
    static const std::vector<KindEntry> kinds{
        {"icmp", PortUse::None, &icmp},
        {"syn", PortUse::Required, &syn},
        {"arp", PortUse::None, &arp},
        {"mgmt-http", PortUse::None, nullptr},
        {"http", PortUse::None, nullptr, true},
    };
    return kinds;
}

std::string url_with_rip(std::string_view url, const IpAddress& rip)
{
    std::string host = rip.str();
    if (!rip.is_v4()) {
        std::string escaped;
        for (const char c : host)
            escaped += c == '%' ? std::string("%25") : std::string(1, c);
        host = "[" + escaped + "]";
    }
    static constexpr std::string_view placeholder = "{rip}";
    std::string out;
    for (;;) {
        const auto at = url.find(placeholder);
        out += url.substr(0, at);
        if (at == std::string_view::npos)
            return out;
        out += host;
        url.remove_prefix(at + placeholder.size());
    }
}

std::span<const std::string_view> http_keys()
{
    static constexpr std::array<std::string_view, 13> keys{"url",  "expect_status", "expect_body", "digest",
                                                           "max_body", "host", "method", "header", "ca",
                                                           "cert", "key",  "insecure",    "follow"};
    return keys;
}

namespace {

// mgmt-http-check's options as its messages spell them, and the field each is here.
struct HttpOptionName {
    std::string_view option;
    const char* field;
};
constexpr std::array<HttpOptionName, 18> http_option_names{{
    {"--ttl", "ttl"},
    {"--mac", "mac"},
    {"--vip", "vip"},
    {"--expect-status", "expect_status"},
    {"--expect-body", "expect_body"},
    {"--max-body", "max_body"},
    {"--digest", "digest"},
    {"--method", "method"},
    {"--header", "header"},
    {"--host", "host"},
    {"--insecure", "insecure"},
    {"--ca", "ca"},
    {"--cert", "cert"},
    {"--key", "key"},
    {"--interface", "interface"},
    {"--source", "source"},
    {"--attempts", "attempts"},
    {"--timeout", "timeout"},
}};

// The tool's message in the file's words ("bad --max-body" -> "bad max_body") and the
// field to point at: the first one it names, "url" for a bad URL.
std::pair<std::string, const char*> config_words(std::string message)
{
    const char* field = message.find("URL") != std::string::npos ? "url" : nullptr;
    std::size_t first = std::string::npos;
    for (const auto& name : http_option_names) {
        for (auto at = message.find(name.option); at != std::string::npos; at = message.find(name.option, at)) {
            // "--ca" is not the start of "--cert"'s neighbour: a whole option name only.
            const std::size_t end = at + name.option.size();
            if (end < message.size() && (std::isalnum(static_cast<unsigned char>(message[end])) || message[end] == '-')) {
                at = end;
                continue;
            }
            if (at < first) {
                first = at;
                field = name.field;
            }
            message.replace(at, name.option.size(), name.field);
        }
    }
    return {message, field};
}

} // namespace

void read_http_settings(const Reader& r, const YamlNode& map, const std::string& who, TargetConfig& out,
                        const std::string* given_url)
{
    const auto field = [&](const char* key) { return fmt::format("{}: field '{}'", who, key); };
    const auto get = [&](const char* key) { return r.find(map, key); };
    HttpSettings http;
    HttpArgs& a = http.args;
    const YamlNode* url = get("url");
    if (!url && !given_url)
        r.fail(map, fmt::format("{}: missing field 'url' (such as http://{{rip}}:8080/health)", who));
    const bool at_vip = out.kind->at_vip;
    // Kind http's URL names the VIP, which the connection goes to; {rip} is mgmt-http's.
    const std::string text = given_url ? *given_url : r.scalar(*url, field("url"));
    http.url = at_vip ? text : url_with_rip(text, out.options.target.rip);
    for (const auto& [key, text] : {std::pair<const char*, std::string*>{"method", &a.method},
                                    {"expect_status", &a.expect_status},
                                    {"expect_body", &a.expect_body},
                                    {"digest", &a.digest},
                                    {"max_body", &a.max_body},
                                    {"host", &a.host},
                                    {"ca", &a.ca},
                                    {"cert", &a.cert},
                                    {"key", &a.key}})
        if (const YamlNode* n = get(key))
            *text = r.scalar(*n, field(key));
    if (const YamlNode* n = get("header")) {
        if (n->type == YamlNode::Type::List)
            for (const std::size_t i : n->items)
                a.headers.push_back(r.scalar(r.at(i), field("header")));
        else
            a.headers.push_back(r.scalar(*n, field("header")));
    }
    if (const YamlNode* n = get("insecure"))
        a.insecure = r.boolean(*n, field("insecure"));
    if (const YamlNode* n = get("follow")) {
        if (at_vip)
            r.fail(*n, fmt::format("{}: {}", field("follow"), vip_http_no_follow));
        a.follow = r.boolean(*n, field("follow"));
    }

    // The target's own settings, in the words make_http_options reads; the timeout is
    // the file's duration already, so it is set after rather than spelt again.
    const ProbeOptions& o = out.options;
    CommonOptions common;
    common.interface = o.interface;
    common.source = o.source ? o.source->str() : "";
    common.attempts = o.attempts;
    std::optional<ProbeOptions> probe; // kind http's, vip-http-check's reading
    try {
        auto options = std::make_shared<HttpOptions>(make_http_options(common, a, {http.url}));
        options->timeout = o.timeout;
        if (at_vip) {
            // vip-http-check's own reading of the URL, the RIP and the probe options
            // (check_target_rules included), from the file's typed values spelt back.
            common.mac = o.mac ? o.mac->str() : "";
            common.ttl = o.ttl;
            VipHttpPositionals positionals;
            positionals.url = {http.url};
            positionals.rip = o.target.rip;
            probe = vip_http_probe_options(common, positionals, options->target);
            probe->timeout = o.timeout;
            vip_http_request(*options);
        }
        http.options = std::move(options);
    } catch (const Error& e) {
        const auto [message, key] = config_words(e.what());
        const YamlNode* at = key ? get(key) : nullptr;
        // "give a name with host" in a message about the URL: the URL is at fault.
        if (!at && message.find("URL") != std::string::npos)
            at = get("url");
        r.fail(at ? *at : map, fmt::format("{}: {}", who, message));
    }
    if (probe) {
        if (const YamlNode* vip = get("vip"); vip && !(o.target.vip == probe->target.vip))
            r.fail(*vip, fmt::format("{}: {} is not the URL's host {}: the URL names the VIP", field("vip"),
                                     o.target.vip.str(), probe->target.vip.str()));
        out.options = *probe;
    }
    out.http = std::move(http);
}

bool valid_name(const std::string& name)
{
    // A loop, not find_first_not_of's search of a 65-letter set per character.
    return !name.empty() && name.size() <= 128 && name != "." && name != ".." &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-';
           });
}

void read_probe_settings(const Reader& r, const YamlNode& map, const std::string& who, const DaemonConfig& defaults,
                         TargetConfig& out)
{
    const auto field = [&](const char* key) { return fmt::format("{}: field '{}'", who, key); };
    const auto get = [&](const char* key) { return r.find(map, key); };
    ProbeOptions& o = out.options;
    o.timeout = defaults.timeout;
    if (const YamlNode* n = get("interface"))
        o.interface = r.scalar(*n, field("interface"));
    if (const YamlNode* n = get("source"))
        o.source = r.address(*n, field("source"));
    if (const YamlNode* n = get("mac")) {
        const std::string text = r.scalar(*n, field("mac"));
        o.mac = MacAddress::parse(text);
        if (!o.mac)
            r.fail(*n, fmt::format("{}: '{}' is not a MAC address such as 02:00:00:00:00:11", field("mac"), text));
    }
    if (const YamlNode* n = get("attempts"))
        o.attempts = r.integer(*n, field("attempts"));
    if (const YamlNode* n = get("ttl"))
        o.ttl = r.fitting<std::uint8_t>(*n, field("ttl"));
    if (const YamlNode* n = get("encap")) {
        const std::string text = r.scalar(*n, field("encap"));
        o.encap = parse_encap(text);
        if (!o.encap)
            r.fail(*n, fmt::format("{}: '{}' is not ipip, gue or gre (the realserver's LVS tunnel type)",
                                   field("encap"), text));
    }
    if (const YamlNode* n = get("encap_port"))
        o.encap_port = r.fitting<std::uint16_t>(*n, field("encap_port"));
    if (const YamlNode* n = get("arp_leak"))
        o.arp_leak = r.boolean(*n, field("arp_leak"));
    if (const YamlNode* n = get("timeout"))
        o.timeout = r.duration(*n, field("timeout"));
    const YamlNode* interval = get("interval");
    out.interval = interval ? r.duration(*interval, field("interval")) : defaults.interval;
}

void check_target(const Reader& r, std::initializer_list<const YamlNode*> maps, const YamlNode& fallback,
                  const std::string& who, const TargetConfig& out)
{
    try {
        // An HTTP target's rules are mgmt-http-check's, applied by read_http_settings.
        if (out.kind->kind)
            check_target_rules(out.options,
                               target_kind("kind " + std::string(out.kind->name), out.kind->ports, *out.kind->kind),
                               Spelling::Config);
    } catch (const TargetError& e) {
        // At the field at fault when the file has it (a missing port has no line).
        for (const YamlNode* map : maps)
            if (const YamlNode* at = r.find(*map, e.field()))
                r.fail(*at, fmt::format("{}: {}", who, e.what()));
        r.fail(fallback, fmt::format("{}: {}", who, e.what()));
    }
    if (out.options.timeout > out.interval)
        r.fail(fallback, fmt::format("{}: timeout {} is longer than its interval {}", who,
                                     format_duration(out.options.timeout), format_duration(out.interval)));
}

namespace {

const std::set<std::string> top_keys{"interval", "timeout", "rate", "realserver_rate", "targets", "services"};
const std::set<std::string> target_keys{"name",    "kind", "vip",      "rip",        "port",     "interface",
                                        "source",  "mac",  "attempts", "ttl",        "encap",    "encap_port",
                                        "arp_leak", "interval", "timeout"};
const std::set<std::string> frame_only_keys{"vip", "port", "mac", "ttl", "encap", "encap_port", "arp_leak"};
const std::set<std::string> vip_http_refused_keys{"port", "encap", "encap_port", "arp_leak"};

TargetConfig read_target(const Reader& r, const YamlNode& t, std::size_t index, const DaemonConfig& defaults)
{
    if (t.type != YamlNode::Type::Map)
        r.fail(t, fmt::format("targets[{}]: expected a map of settings (name, kind, vip, rip, ...)", index));
    TargetConfig out;
    // The name first, so that every later message can name the target.
    const YamlNode* name = r.find(t, "name");
    if (!name)
        r.fail(t, fmt::format("targets[{}]: missing field 'name'", index));
    out.name = r.scalar(*name, fmt::format("targets[{}]: field 'name'", index));
    if (!valid_name(out.name))
        r.fail(*name, fmt::format("targets[{}]: field 'name': '{}' must be letters, digits, '.', '_' or '-' (it "
                                  "names the state file)",
                                  index, out.name));
    if (out.name.ends_with(proven_suffix))
        r.fail(*name, fmt::format("targets[{}]: field 'name': '{}' ends with '{}', the suffix of every target's "
                                  "second state file: choose another name",
                                  index, out.name, proven_suffix));
    const std::string who = fmt::format("target '{}'", out.name);
    const auto field = [&](const char* key) { return fmt::format("{}: field '{}'", who, key); };

    const auto is_http_key = [](const std::string& key) {
        return std::find(http_keys().begin(), http_keys().end(), key) != http_keys().end();
    };
    for (const auto& entry : t.entries)
        if (!target_keys.contains(entry.key) && !is_http_key(entry.key))
            r.fail_at(entry.line, fmt::format("{}: unknown field '{}' (known: name, kind, vip, rip, port, interface, "
                                              "source, mac, attempts, ttl, encap, encap_port, arp_leak, interval, "
                                              "timeout; for kinds mgmt-http and http: url, expect_status, expect_body, digest, "
                                              "max_body, host, method, header, ca, cert, key, insecure, follow)",
                                              who, entry.key));
    if (!r.find(t, "kind"))
        r.fail(t, fmt::format("{}: missing field 'kind'", who));
    const auto get = [&](const char* key) { return r.find(t, key); };

    const YamlNode& kind_node = *get("kind");
    const std::string kind = r.scalar(kind_node, field("kind"));
    for (const auto& k : probe_kinds())
        if (k.name == kind)
            out.kind = &k;
    if (!out.kind) {
        std::string known;
        for (const auto& k : probe_kinds())
            known += (known.empty() ? "" : ", ") + std::string(k.name);
        r.fail(kind_node, fmt::format("{}: unknown kind '{}' (known: {})", field("kind"), kind, known));
    }

    // A field of the other family of kinds is a mistake, not a setting to ignore.
    const bool http = !out.kind->kind;
    const bool at_vip = out.kind->at_vip;
    for (const auto& entry : t.entries) {
        if (at_vip && vip_http_refused_keys.contains(entry.key))
            r.fail_at(entry.line, fmt::format("{}: kind http {}", field(entry.key.c_str()),
                                              entry.key == "port" ? "takes the port from its url"
                                                                  : "connects to the VIP on this link: no tunnel, no "
                                                                    "ARP-leak test"));
        else if (http && !at_vip && frame_only_keys.contains(entry.key))
            r.fail_at(entry.line, fmt::format("{}: kind mgmt-http connects from the kernel's own TCP to the rip: "
                                              "it has no '{}'",
                                              field(entry.key.c_str()), entry.key));
        if (!http && is_http_key(entry.key))
            r.fail_at(entry.line, fmt::format("{}: '{}' belongs to kinds mgmt-http and http", field(entry.key.c_str()),
                                              entry.key));
    }
    for (const char* required : {"vip", "rip"})
        if (!(http && std::string_view(required) == "vip") && !r.find(t, required))
            r.fail(t, fmt::format("{}: missing field '{}'", who, required));

    // Each value straight into its typed field; what the values may be together is the
    // tools' own rule, check_target_rules (mgmt-http-check's make_http_options for HTTP).
    ProbeOptions& o = out.options;
    if (get("vip") && (!http || at_vip))
        o.target.vip = r.address(*get("vip"), field("vip"));
    o.target.rip = r.address(*get("rip"), field("rip"));
    if (const YamlNode* n = get("port")) {
        o.target.port = r.fitting<std::uint16_t>(*n, field("port"));
        if (o.target.port == 0)
            r.fail(*n, fmt::format("{}: 0 is no TCP port (1 to 65535)", field("port")));
        o.target.rport = o.target.port;
    }
    read_probe_settings(r, t, who, defaults, out);
    check_target(r, {&t}, t, who, out);
    if (http)
        read_http_settings(r, t, who, out);
    return out;
}

} // namespace

DaemonConfig parse_daemon_config(const std::string& text, const std::string& origin)
{
    const YamlTree tree = YamlTree::parse(text, origin);
    const Reader r(tree, origin);
    const YamlNode& root = tree.root();
    if (root.type != YamlNode::Type::Map)
        throw ConfigError(fmt::format("{}: expected a map with 'targets' or 'services' (and interval, timeout)", origin));
    for (const auto& entry : root.entries)
        if (!top_keys.contains(entry.key))
            r.fail_at(entry.line, fmt::format("unknown setting '{}' (known: interval, timeout, rate, realserver_rate, "
                                              "targets, services)",
                                              entry.key));
    DaemonConfig config;
    if (const YamlNode* n = r.find(root, "interval"))
        config.interval = r.duration(*n, "setting 'interval'");
    if (const YamlNode* n = r.find(root, "timeout"))
        config.timeout = r.duration(*n, "setting 'timeout'");
    if (const YamlNode* n = r.find(root, "rate"))
        config.rate = r.positive(*n, "setting 'rate'");
    if (const YamlNode* n = r.find(root, "realserver_rate"))
        config.realserver_rate = r.positive(*n, "setting 'realserver_rate'");
    const YamlNode* targets = r.find(root, "targets");
    const YamlNode* services = r.find(root, "services");
    if (!targets && !services)
        throw ConfigError(fmt::format("{}: missing setting 'targets' (a list of targets) or 'services' (a list of "
                                      "services)",
                                      origin));
    std::set<std::string> names;
    if (targets) {
        if (targets->type != YamlNode::Type::List || targets->items.empty())
            r.fail(*targets, "setting 'targets': expected a list of at least one target");
        config.targets.reserve(targets->items.size());
        for (std::size_t i = 0; i < targets->items.size(); ++i) {
            const YamlNode& node = r.at(targets->items[i]);
            auto target = read_target(r, node, i, config);
            if (!names.insert(target.name).second)
                r.fail(*r.find(node, "name"), fmt::format("target '{}': field 'name': duplicate name", target.name));
            config.targets.push_back(std::move(target));
        }
    }
    if (services)
        read_services(r, *services, config, names);
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
