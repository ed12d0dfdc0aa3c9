// vipcheckd's YAML configuration: what it accepts, and the one line it says for each
// kind of bad file.
#include <catch2/catch.hpp>

#include "daemon/daemon_config.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;

namespace {

std::string error_of(const std::string& text)
{
    try {
        parse_daemon_config(text, "t.yaml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(accepted)";
}

const char* good = R"(interval: 10s
timeout: 300ms
targets:
  - name: web-rs1
    kind: icmp
    vip: 192.0.2.20
    rip: 192.0.2.11
  - name: web_rs1.syn
    kind: syn
    vip: 192.0.2.20
    rip: 192.0.2.11
    port: 443
    timeout: 2s
    attempts: 2
    interface: eth1
    source: 192.0.2.2
    mac: 02:00:00:00:00:11
    ttl: 2
    interval: 30s
  - name: v6
    kind: icmp
    vip: 2001:db8:100::10
    rip: 2001:db8::11
    encap: gue
    encap_port: 5555
)";

} // namespace

TEST_CASE("config: defaults, per-target settings and the kinds")
{
    const auto c = parse_daemon_config(good, "t.yaml");
    REQUIRE(c.targets.size() == 3);
    CHECK(c.interval == 10s);
    CHECK(c.timeout == 300ms);
    const auto& a = c.targets[0];
    CHECK(a.name == "web-rs1");
    CHECK(a.kind->name == "icmp");
    CHECK(a.options.target.vip.str() == "192.0.2.20");
    CHECK(a.options.target.rip.str() == "192.0.2.11");
    CHECK(a.options.timeout == 300ms);
    CHECK(a.interval == 10s);
    CHECK(a.options.attempts == 3);
    CHECK(a.options.ttl == 1);
    const auto& b = c.targets[1];
    CHECK(b.kind->name == "syn");
    CHECK(b.options.target.port == 443);
    CHECK(b.options.timeout == 2s);
    CHECK(b.options.attempts == 2);
    CHECK(b.options.interface == "eth1");
    CHECK(b.options.source->str() == "192.0.2.2");
    CHECK(b.options.mac->str() == "02:00:00:00:00:11");
    CHECK(b.options.ttl == 2);
    CHECK(b.interval == 30s);
    CHECK(c.targets[2].options.encap == EncapType::Gue);
    CHECK(c.targets[2].options.encap_port == 5555);
    CHECK_FALSE(a.options.arp_leak);
}

TEST_CASE("config: the arp kind, and arp_leak on the others")
{
    const auto c = parse_daemon_config("targets:\n"
                                       "  - {name: a, kind: arp, vip: 192.0.2.20, rip: 192.0.2.11}\n"
                                       "  - {name: b, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11, arp_leak: true}\n",
                                       "t.yaml");
    CHECK(c.targets[0].kind->name == "arp");
    CHECK(c.targets[0].kind->kind.is_arp_leak_test());
    CHECK(c.targets[1].options.arp_leak);
    CHECK(error_of("targets:\n  - {name: web.proven, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11}\n") ==
          "t.yaml:2: targets[0]: field 'name': 'web.proven' ends with '.proven', the suffix of every target's second "
          "state file: choose another name");
    CHECK(error_of("targets:\n  - {name: a, kind: arp, vip: 192.0.2.20, rip: 192.0.2.11, arp_leak: true}\n") ==
          "t.yaml:2: target 'a': kind arp is the ARP-leak test itself: leave out arp_leak");
    CHECK(error_of("targets:\n  - {name: a, kind: syn, port: 80, vip: 192.0.2.20, rip: 192.0.2.11, arp_leak: 2}\n") ==
          "t.yaml:2: target 'a': field 'arp_leak': '2' is not true or false");
}

TEST_CASE("config: a target compares equal to its old self until any of its settings changes")
{
    const auto before = parse_daemon_config(good, "t.yaml");
    CHECK(parse_daemon_config(good, "t.yaml").targets[1] == before.targets[1]);
    std::string changed = good;
    changed.replace(changed.find("port: 443"), 9, "port: 444");
    const auto after = parse_daemon_config(changed, "t.yaml");
    CHECK(after.targets[0] == before.targets[0]);
    CHECK(after.targets[1] != before.targets[1]);
    // A default that a target inherits is part of it.
    std::string timeout = good;
    timeout.replace(timeout.find("timeout: 300ms"), 14, "timeout: 400ms");
    CHECK(parse_daemon_config(timeout, "t.yaml").targets[0] != before.targets[0]);
}

TEST_CASE("config: a bad file is one message naming the line, the target and the field")
{
    const std::string head = "targets:\n  - name: rs1\n";
    CHECK(error_of(head + "    kind: icmp\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n    colour: red\n") ==
          "t.yaml:6: target 'rs1': unknown field 'colour' (known: name, kind, vip, rip, port, interface, source, "
          "mac, attempts, ttl, encap, encap_port, arp_leak, interval, timeout)");
    CHECK(error_of(head + "    kind: ping\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n") ==
          "t.yaml:3: target 'rs1': field 'kind': unknown kind 'ping' (known: icmp, syn, arp)");
    const auto bad_vip = error_of(head + "    kind: icmp\n    vip: 192.0.2.300\n    rip: 192.0.2.11\n");
    CHECK(bad_vip == "t.yaml:4: target 'rs1': field 'vip': '192.0.2.300' is not an IPv4 or IPv6 address");
    CHECK(error_of(head + "    kind: icmp\n    rip: 192.0.2.11\n") == "t.yaml:2: target 'rs1': missing field 'vip'");
    CHECK(error_of(head + "    kind: syn\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n") ==
          "t.yaml:2: target 'rs1': kind syn probes a TCP port: give port from 1 to 65535");
    CHECK(error_of(head + "    kind: icmp\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n    port: 80\n") ==
          "t.yaml:6: target 'rs1': kind icmp has no port: leave out port 80");
    CHECK(error_of(head + "    kind: icmp\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n    attempts: many\n") ==
          "t.yaml:6: target 'rs1': field 'attempts': 'many' is not a whole number");
    CHECK(error_of(head + "    kind: icmp\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n    timeout: soon\n") ==
          "t.yaml:6: target 'rs1': field 'timeout': 'soon' is not a duration from 1us to 1h such as 300ms or 5s");
    CHECK(error_of(head + "    kind: icmp\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n    timeout: 10s\n") ==
          "t.yaml:2: target 'rs1': timeout 10s is longer than its interval 5s");
    CHECK(error_of(head + "    kind: icmp\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n    attempts: 0\n") ==
          "t.yaml:6: target 'rs1': bad attempts 0: expected 1 to 100");
    const std::string twice = head + "    kind: icmp\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n" +
                              "  - name: rs1\n    kind: icmp\n    vip: 192.0.2.21\n    rip: 192.0.2.11\n";
    CHECK(error_of(twice) == "t.yaml:6: target 'rs1': field 'name': duplicate name");
    CHECK(error_of("targets:\n  - name: a/b\n    kind: icmp\n") ==
          "t.yaml:2: targets[0]: field 'name': 'a/b' must be letters, digits, '.', '_' or '-' (it names the state "
          "file)");
    CHECK(error_of("targets:\n  - kind: icmp\n") == "t.yaml:2: targets[0]: missing field 'name'");
    CHECK(error_of("interval: 5s\ncolour: red\ntargets: []\n") ==
          "t.yaml:2: unknown setting 'colour' (known: interval, timeout, rate, realserver_rate, targets)");
    CHECK(error_of("interval: 5s\n") == "t.yaml: missing setting 'targets' (a list of targets)");
    CHECK(error_of("targets: []\n") == "t.yaml:1: setting 'targets': expected a list of at least one target");
    CHECK_THAT(error_of("targets: [\n"), Catch::StartsWith("t.yaml:2: not valid YAML: "));
    CHECK(error_of("") == "t.yaml: expected a map with 'targets' (and interval, timeout)");
}

TEST_CASE("config: YAML's own shapes: anchors, aliases, a key given twice, several documents")
{
    // An anchored map of shared settings, and aliases to it and to a scalar.
    const auto c = parse_daemon_config("targets:\n"
                                       "  - &first {name: a, kind: icmp, vip: &vip 192.0.2.20, rip: 192.0.2.11}\n"
                                       "  - {name: b, kind: icmp, vip: *vip, rip: 192.0.2.12}\n",
                                       "t.yaml");
    REQUIRE(c.targets.size() == 2);
    CHECK(c.targets[1].options.target.vip.str() == "192.0.2.20");
    // yaml-cpp would keep either value of a doubled key; the reader refuses it.
    CHECK(error_of("targets:\n  - name: rs1\n    kind: icmp\n    kind: syn\n") ==
          "t.yaml:4: 'kind' is given twice");
    CHECK(error_of("targets:\n  - name: rs1\n    ? [a, b]\n    : c\n") ==
          "t.yaml:3: a key must be a single plain value, not a map or a list");
    CHECK(error_of("targets: []\n---\ntargets: []\n") == "t.yaml: more than one YAML document");
    CHECK_THAT(error_of("targets: *nowhere\n"), Catch::StartsWith("t.yaml:1: "));
}

TEST_CASE("config: a missing file names the file")
{
    CHECK_THROWS_WITH(load_daemon_config("/nonexistent/vipcheckd.yaml"),
                      "cannot read config file /nonexistent/vipcheckd.yaml: No such file or directory");
}
