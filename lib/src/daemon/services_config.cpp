#include "daemon/services_config.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "daemon/state_files.hpp"

namespace vipcheck {

namespace {

const std::set<std::string> service_keys{"name",       "vip",       "port",     "planes",      "depool_on",
                                         "rise",       "fall",      "min_up",   "realservers", "encap",
                                         "encap_port", "interface", "source",   "attempts",    "ttl",
                                         "timeout",    "interval",  "vip_http", "mgmt_http"};
const std::set<std::string> realserver_keys{"rip", "mac"};

// Each plane's probe kind.
const char* kind_of(Plane p)
{
    switch (p) {
    case Plane::VipIcmp: return "icmp";
    case Plane::VipSyn: return "syn";
    case Plane::Arp: return "arp";
    case Plane::MgmtHttp: return "mgmt-http";
    case Plane::VipHttp: return "http";
    }
    return nullptr;
}

const KindEntry& kind_entry(const char* name)
{
    for (const auto& k : probe_kinds())
        if (k.name == name)
            return k;
    throw Error(fmt::format("vipcheckd has no probe kind '{}'", name));
}

PlaneSet read_planes(const Reader& r, const YamlNode& n, const std::string& where)
{
    if (n.type != YamlNode::Type::List || n.items.empty())
        r.fail(n, fmt::format("{}: expected a list of planes such as [vip-icmp, vip-syn, arp]", where));
    PlaneSet out;
    for (const std::size_t i : n.items) {
        const YamlNode& item = r.at(i);
        const std::string text = r.scalar(item, where);
        const auto plane = parse_plane(text);
        if (!plane)
            r.fail(item, fmt::format("{}: unknown plane '{}' (known: vip-icmp, vip-syn, vip-http, arp, mgmt-http)",
                                     where, text));
        if (out.contains(*plane))
            r.fail(item, fmt::format("{}: plane '{}' twice", where, text));
        out.insert(*plane);
    }
    return out;
}

// A service's mgmt_http: the request, and the timeout and attempts where the management
// address needs its own.
void check_mgmt_http(const Reader& r, const YamlNode& map, const std::string& where)
{
    if (map.type != YamlNode::Type::Map)
        r.fail(map, fmt::format("{}: expected a map such as {{url: \"http://{{rip}}:8080/health\", expect_status: "
                                "200}}",
                                where));
    for (const auto& entry : map.entries)
        if (entry.key != "timeout" && entry.key != "attempts" &&
            std::find(http_keys().begin(), http_keys().end(), entry.key) == http_keys().end())
            r.fail_at(entry.line, fmt::format("{}: unknown field '{}' (known: url, expect_status, expect_body, "
                                              "digest, max_body, host, method, header, ca, cert, key, insecure, "
                                              "follow, timeout, attempts)",
                                              where, entry.key));
    // One URL for every realserver would check one of them many times.
    if (const YamlNode* url = r.find(map, "url"); url && url->type == YamlNode::Type::Scalar &&
                                                  url->scalar.find("{rip}") == std::string::npos)
        r.fail(*url, fmt::format("{}: field 'url': '{}' has no {{rip}}: each realserver's management address is "
                                 "its rip, as in http://{{rip}}:8080/health",
                                 where, url->scalar));
}

// A service's vip_http: the request at the VIP on the service's port, its path and
// scheme rather than a URL (the URL is the service's), and vip-http-check's request
// options.
constexpr std::array<std::string_view, 14> vip_http_keys{"path",   "scheme",  "host", "expect_status", "expect_body",
                                                         "digest", "max_body", "method", "header", "ca",
                                                         "cert",   "key",     "insecure", "timeout"};

void check_vip_http(const Reader& r, const YamlNode& map, const std::string& where)
{
    if (map.type != YamlNode::Type::Map)
        r.fail(map, fmt::format("{}: expected a map such as {{path: /healthz, host: www.example.test, expect_status: "
                                "200}}",
                                where));
    for (const auto& entry : map.entries) {
        if (entry.key == "follow")
            r.fail_at(entry.line, fmt::format("{}: field 'follow': {}", where, vip_http_no_follow));
        if (entry.key != "attempts" &&
            std::find(vip_http_keys.begin(), vip_http_keys.end(), entry.key) == vip_http_keys.end())
            r.fail_at(entry.line, fmt::format("{}: unknown field '{}' (known: path, scheme, host, expect_status, "
                                              "expect_body, digest, max_body, method, header, ca, cert, key, "
                                              "insecure, timeout, attempts)",
                                              where, entry.key));
    }
}

// The URL of a service's vip_http: scheme://VIP:port/path.
std::string vip_http_url(const Reader& r, const YamlNode& map, const std::string& where, const IpAddress& vip,
                         std::uint16_t port)
{
    std::string scheme = "http";
    if (const YamlNode* n = r.find(map, "scheme")) {
        scheme = r.scalar(*n, where + ": field 'scheme'");
        if (scheme != "http" && scheme != "https")
            r.fail(*n, fmt::format("{}: field 'scheme': '{}' is not http or https", where, scheme));
    }
    std::string path = "/";
    if (const YamlNode* n = r.find(map, "path")) {
        path = r.scalar(*n, where + ": field 'path'");
        if (!path.starts_with('/'))
            r.fail(*n, fmt::format("{}: field 'path': '{}' does not start with '/'", where, path));
    }
    const std::string host = vip.is_v4() ? vip.str() : "[" + vip.str() + "]";
    return fmt::format("{}://{}:{}{}", scheme, host, port, path);
}

void read_mgmt_overrides(const Reader& r, const YamlNode& map, const std::string& where, TargetConfig& t)
{
    if (const YamlNode* n = r.find(map, "timeout"))
        t.options.timeout = r.duration(*n, where + ": field 'timeout'");
    if (const YamlNode* n = r.find(map, "attempts"))
        t.options.attempts = r.integer(*n, where + ": field 'attempts'");
}

MinUp read_min_up(const Reader& r, const YamlNode& n, const std::string& where)
{
    std::string text = r.scalar(n, where);
    const bool share = text.ends_with('%');
    if (share)
        text.pop_back();
    std::size_t used = 0;
    unsigned long value = 0;
    try {
        value = std::stoul(text, &used, 10);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || text.front() == '-' || value > 1'000'000)
        r.fail(n, fmt::format("{}: '{}' is not a count such as 2 or a share such as 50%", where, n.scalar));
    return share ? MinUp::percent(static_cast<unsigned>(value)) : MinUp::count(static_cast<unsigned>(value));
}

void read_service(const Reader& r, const YamlNode& s, std::size_t index, DaemonConfig& config,
                  std::set<std::string>& names, std::set<std::string>& service_names)
{
    if (s.type != YamlNode::Type::Map)
        r.fail(s, fmt::format("services[{}]: expected a map of settings (name, vip, port, planes, realservers, ...)",
                              index));
    ServiceConfig out;
    const YamlNode* name = r.find(s, "name");
    if (!name)
        r.fail(s, fmt::format("services[{}]: missing field 'name'", index));
    out.name = r.scalar(*name, fmt::format("services[{}]: field 'name'", index));
    if (!valid_name(out.name) || out.name.size() > 64)
        r.fail(*name, fmt::format("services[{}]: field 'name': '{}' must be 1 to 64 letters, digits, '.', '_' or '-' "
                                  "(it starts the names of its state files)",
                                  index, out.name));
    if (!service_names.insert(out.name).second)
        r.fail(*name, fmt::format("service '{}': field 'name': duplicate name", out.name));
    const std::string who = fmt::format("service '{}'", out.name);
    const auto field = [&](const char* key) { return fmt::format("{}: field '{}'", who, key); };
    const auto get = [&](const char* key) { return r.find(s, key); };

    for (const auto& entry : s.entries)
        if (!service_keys.contains(entry.key))
            r.fail_at(entry.line, fmt::format("{}: unknown field '{}' (known: name, vip, port, planes, depool_on, "
                                              "rise, fall, min_up, realservers, encap, encap_port, interface, "
                                              "source, attempts, ttl, timeout, interval, vip_http, mgmt_http)",
                                              who, entry.key));
    for (const char* required : {"vip", "planes", "realservers"})
        if (!get(required))
            r.fail(s, fmt::format("{}: missing field '{}'", who, required));

    out.vip = r.address(*get("vip"), field("vip"));
    const YamlNode* port = get("port");
    if (port) {
        out.port = r.fitting<std::uint16_t>(*port, field("port"));
        if (out.port == 0)
            r.fail(*port, fmt::format("{}: 0 is no TCP port (1 to 65535)", field("port")));
    }
    out.rules = default_rules(read_planes(r, *get("planes"), field("planes")));
    if (out.rules.planes.contains(Plane::VipSyn) && !port)
        r.fail(*get("planes"), fmt::format("{}: plane vip-syn needs the service's 'port'", who));
    const YamlNode* mgmt = get("mgmt_http");
    if (out.rules.planes.contains(Plane::MgmtHttp) && !mgmt)
        r.fail(*get("planes"), fmt::format("{}: plane mgmt-http needs the service's 'mgmt_http' (such as {{url: "
                                           "\"http://{{rip}}:8080/health\"}})",
                                           who));
    if (mgmt && !out.rules.planes.contains(Plane::MgmtHttp))
        r.fail(*mgmt, fmt::format("{}: it checks nothing without plane mgmt-http in 'planes'", field("mgmt_http")));
    if (mgmt)
        check_mgmt_http(r, *mgmt, field("mgmt_http"));
    const YamlNode* vip_http = get("vip_http");
    if (out.rules.planes.contains(Plane::VipHttp)) {
        if (!port)
            r.fail(*get("planes"), fmt::format("{}: plane vip-http needs the service's 'port'", who));
        if (!vip_http)
            r.fail(*get("planes"), fmt::format("{}: plane vip-http needs the service's 'vip_http' (such as {{path: "
                                               "/healthz, expect_status: 200}})",
                                               who));
        // The user-space connection goes to the realserver's MAC on this link.
        if (const YamlNode* encap = get("encap"))
            r.fail(*encap, fmt::format("{}: plane vip-http connects to the VIP on this link: a tunnelled "
                                       "realserver has no vip-http plane",
                                       field("encap")));
    }
    if (vip_http && !out.rules.planes.contains(Plane::VipHttp))
        r.fail(*vip_http, fmt::format("{}: it checks nothing without plane vip-http in 'planes'", field("vip_http")));
    if (vip_http)
        check_vip_http(r, *vip_http, field("vip_http"));
    const std::string vip_url =
        vip_http ? vip_http_url(r, *vip_http, field("vip_http"), out.vip, out.port) : std::string();
    if (const YamlNode* n = get("depool_on"))
        out.rules.depool_on = read_planes(r, *n, field("depool_on"));
    if (const YamlNode* n = get("rise"))
        out.rules.rise = r.fitting<std::uint16_t>(*n, field("rise"));
    if (const YamlNode* n = get("fall"))
        out.rules.fall = r.fitting<std::uint16_t>(*n, field("fall"));
    if (const YamlNode* n = get("min_up"))
        out.rules.min_up = read_min_up(r, *n, field("min_up"));
    try {
        check_rules(out.rules);
    } catch (const Error& e) {
        // Each rule's message starts with its setting; the others are about the planes
        // (no plane, or none that can depool with depool_on left to its default).
        const std::string_view message = e.what();
        const YamlNode* at = get("planes");
        for (const char* key : {"depool_on", "rise", "fall", "min_up"})
            if (message.starts_with(std::string(key) + " ") && get(key))
                at = get(key);
        r.fail(*at, fmt::format("{}: {}", who, e.what()));
    }

    // The settings every plane's target shares, read once.
    TargetConfig common;
    common.service = out.name;
    read_probe_settings(r, s, who, config, common);
    common.options.target.vip = out.vip;

    const YamlNode& list = *get("realservers");
    if (list.type != YamlNode::Type::List || list.items.empty())
        r.fail(list, fmt::format("{}: expected a list of at least one realserver ({{rip: ...}})", field("realservers")));
    for (std::size_t i = 0; i < list.items.size(); ++i) {
        const YamlNode& rs = r.at(list.items[i]);
        const std::string where = fmt::format("{}: realservers[{}]", who, i);
        if (rs.type != YamlNode::Type::Map)
            r.fail(rs, fmt::format("{}: expected a map such as {{rip: 192.0.2.11}}", where));
        for (const auto& entry : rs.entries)
            if (!realserver_keys.contains(entry.key))
                r.fail_at(entry.line, fmt::format("{}: unknown field '{}' (known: rip, mac)", where, entry.key));
        const YamlNode* rip = r.find(rs, "rip");
        if (!rip)
            r.fail(rs, fmt::format("{}: missing field 'rip'", where));
        ServiceRealserver server;
        server.key = r.scalar(*rip, where + ": field 'rip'");
        server.rip = r.address(*rip, where + ": field 'rip'");
        for (const auto& other : out.realservers)
            if (other.rip == server.rip)
                r.fail(*rip, fmt::format("{}: field 'rip': {} twice in the service", where, server.key));
        server.file = realserver_state_name(out.name, server.rip);
        if (!valid_name(server.file))
            r.fail(*rip, fmt::format("{}: its state file name '{}' is too long: shorten the service's name", where,
                                     server.file));
        if (!names.insert(server.file).second)
            r.fail(*rip, fmt::format("{}: its state file name '{}' is a target's already: rename that target", where,
                                     server.file));
        TargetConfig base = common;
        base.options.target.rip = server.rip;
        if (const YamlNode* n = r.find(rs, "mac")) {
            const std::string text = r.scalar(*n, where + ": field 'mac'");
            base.options.mac = MacAddress::parse(text);
            if (!base.options.mac)
                r.fail(*n, fmt::format("{}: field 'mac': '{}' is not a MAC address such as 02:00:00:00:00:11", where,
                                       text));
        }
        for (const Plane plane : out.rules.planes.list()) {
            TargetConfig t = base;
            t.kind = &kind_entry(kind_of(plane));
            if (plane == Plane::VipSyn) {
                t.options.target.port = out.port;
                t.options.target.rport = out.port;
            }
            t.name = service_target_name(out.name, server.rip, plane);
            const std::string plane_who = fmt::format("{} realserver {} plane {}", who, server.key, token(plane));
            if (plane == Plane::MgmtHttp)
                read_mgmt_overrides(r, *mgmt, field("mgmt_http"), t);
            if (plane == Plane::VipHttp)
                read_mgmt_overrides(r, *vip_http, field("vip_http"), t);
            if (!valid_name(t.name))
                r.fail(*rip, fmt::format("{}: its state file name '{}' is too long: shorten the service's name",
                                         plane_who, t.name));
            if (!names.insert(t.name).second)
                r.fail(*rip, fmt::format("{}: its target name '{}' is a target's already: rename that target",
                                         plane_who, t.name));
            check_target(r, {&rs, &s}, rs, plane_who, t);
            if (plane == Plane::MgmtHttp)
                read_http_settings(r, *mgmt, plane_who, t);
            if (plane == Plane::VipHttp)
                read_http_settings(r, *vip_http, plane_who, t, &vip_url);
            server.targets.emplace_back(plane, t.name);
            config.targets.push_back(std::move(t));
        }
        out.realservers.push_back(std::move(server));
    }
    config.services.push_back(std::move(out));
}

} // namespace

std::string realserver_state_name(const std::string& service, const IpAddress& rip)
{
    std::string address = rip.str();
    std::replace(address.begin(), address.end(), ':', '-');
    std::replace(address.begin(), address.end(), '%', '_');
    return fmt::format("{}.{}", service, address);
}

std::string service_target_name(const std::string& service, const IpAddress& rip, Plane plane)
{
    return fmt::format("{}.{}", realserver_state_name(service, rip), token(plane));
}

void read_services(const Reader& r, const YamlNode& list, DaemonConfig& config, std::set<std::string>& names)
{
    if (list.type != YamlNode::Type::List || list.items.empty())
        r.fail(list, "setting 'services': expected a list of at least one service");
    std::set<std::string> service_names;
    for (std::size_t i = 0; i < list.items.size(); ++i)
        read_service(r, r.at(list.items[i]), i, config, names, service_names);
}

} // namespace vipcheck
