// vipcheckd's configuration: a YAML file (read with libyaml) of targets, each one of the
// one-shot tools' probes with its options, checked as the tools check their command
// lines. A bad file is one ConfigError naming the file, line, target and field.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/judge.hpp"
#include "vipcheck/address.hpp"
#include "daemon/config_error.hpp"
#include "http/http_options.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/options.hpp"
#include "vipcheck/probe.hpp"

namespace vipcheck {

// The kinds a target may name: adding one is one line in daemon_config.cpp.
struct KindEntry {
    std::string_view name;
    PortUse ports;
    // The frame-based probe the ProbeLoop runs; null for the HTTP kinds, which the
    // HttpFleet runs from TargetConfig::http.
    const ProbeKind* kind;
    // Kind http: the HTTP check at the VIP over a user-space TCP connection to the
    // realserver's MAC (vip_links.hpp); mgmt-http's connects to the rip itself.
    bool at_vip = false;
};
const std::vector<KindEntry>& probe_kinds();

// An HTTP target's request, as mgmt-http-check's (kind mgmt-http) or vip-http-check's
// (kind http) options would say it.
struct HttpSettings {
    HttpArgs args;   // the tool's option values as the file wrote them
    std::string url; // the file's url, with {rip} replaced for kind mgmt-http
    // make_http_options of the above and of the target's timeout, attempts, interface
    // and source: checked once when the file is read, shared by every run. Not compared:
    // it is a function of what is.
    std::shared_ptr<const HttpOptions> options;

    bool operator==(const HttpSettings& other) const { return args == other.args && url == other.url; }
};

// `url` with every "{rip}" replaced by `rip` as a URL's host spells it: bracketed for
// IPv6, a zone's '%' escaped as %25 (RFC 6874).
std::string url_with_rip(std::string_view url, const IpAddress& rip);

struct TargetConfig {
    std::string name;
    const KindEntry* kind = nullptr;
    ProbeOptions options;
    Duration interval = std::chrono::seconds(5);
    std::string service; // the service that made it from one of its planes, else empty
    std::optional<HttpSettings> http; // set for kinds mgmt-http and http only

    // Every setting, resolved: equal targets probe the same way, so a reload keeps the
    // state of a target that compares equal to its old self.
    bool operator==(const TargetConfig&) const = default;
};

// A realserver of a service: one target per plane of the service.
struct ServiceRealserver {
    std::string key; // its rip as written, the judge's key
    IpAddress rip;
    std::string file; // its state file's name, SERVICE.RIP (services_config.hpp)
    std::vector<std::pair<Plane, std::string>> targets; // plane -> target name, in plane order
};

// A `services:` entry: its realservers are judged from their planes together
// (judge.hpp, diagnosis.hpp). Its targets are in DaemonConfig::targets too.
struct ServiceConfig {
    std::string name;
    IpAddress vip;
    std::uint16_t port = 0;
    JudgeRules rules;
    std::vector<ServiceRealserver> realservers;
};

struct DaemonConfig {
    Duration interval = std::chrono::seconds(5);
    Duration timeout = std::chrono::seconds(1);
    double rate = 50'000;
    double realserver_rate = 10'000;
    std::vector<TargetConfig> targets; // those of `targets:`, then those of every service
    std::vector<ServiceConfig> services;
};

// `origin` names the text in messages (the file's path). Throws ConfigError.
DaemonConfig parse_daemon_config(const std::string& text, const std::string& origin);
DaemonConfig load_daemon_config(const std::string& path);

} // namespace vipcheck
