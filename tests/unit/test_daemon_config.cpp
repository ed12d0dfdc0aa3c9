// vipcheckd's YAML configuration: what it accepts, and the one line it says for each
// kind of bad file.
#include <catch2/catch.hpp>

#include "daemon/config_reader.hpp"
#include "daemon/daemon_config.hpp"
#include "daemon/yaml_tree.hpp"

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
    CHECK(c.targets[0].kind->kind->is_arp_leak_test());
    CHECK(c.targets[1].options.arp_leak);
    CHECK(error_of("targets:\n  - {name: web.proven, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11}\n") ==
          "t.yaml:2: targets[0]: field 'name': 'web.proven' ends with '.proven', the suffix of every target's second "
          "state file: choose another name");
    CHECK(error_of("targets:\n  - {name: a, kind: arp, vip: 192.0.2.20, rip: 192.0.2.11, arp_leak: true}\n") ==
          "t.yaml:2: target 'a': kind arp is the ARP-leak test itself: leave out arp_leak");
    CHECK(error_of("targets:\n  - {name: a, kind: syn, port: 80, vip: 192.0.2.20, rip: 192.0.2.11, arp_leak: 2}\n") ==
          "t.yaml:2: target 'a': field 'arp_leak': '2' is not true or false");
}

TEST_CASE("config: keys take - or _ alike (arp-leak as in the options file), but not both at once")
{
    const auto c = parse_daemon_config("realserver-rate: 500\ntargets:\n"
                                       "  - {name: b, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11, arp-leak: true}\n"
                                       "  - {name: c, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.12, encap: gue,\n"
                                       "     encap-port: 5555}\n",
                                       "t.yaml");
    CHECK(c.realserver_rate == 500);
    CHECK(c.targets[0].options.arp_leak);
    CHECK(c.targets[1].options.encap_port == 5555);
    CHECK(error_of("targets:\n  - {name: a, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11, arp_leak: true,\n"
                   "     arp-leak: false}\n") == "t.yaml:3: 'arp_leak' is given twice");
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
          "mac, attempts, ttl, encap, encap_port, arp_leak, interval, timeout; for kinds mgmt-http and http: url, "
          "expect_status, expect_body, digest, max_body, host, method, header, ca, cert, key, insecure, follow)");
    CHECK(error_of(head + "    kind: ping\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n") ==
          "t.yaml:3: target 'rs1': field 'kind': unknown kind 'ping' (known: icmp, syn, arp, mgmt-http, http)");
    const auto bad_vip = error_of(head + "    kind: icmp\n    vip: 192.0.2.300\n    rip: 192.0.2.11\n");
    CHECK(bad_vip == "t.yaml:4: target 'rs1': field 'vip': '192.0.2.300' is not an IPv4 or IPv6 address");
    CHECK(error_of(head + "    kind: icmp\n    rip: 192.0.2.11\n") == "t.yaml:2: target 'rs1': missing field 'vip'");
    CHECK(error_of(head + "    kind: syn\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n") ==
          "t.yaml:2: target 'rs1': missing field 'port' (kind syn probes a TCP port)");
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
          "t.yaml:2: unknown setting 'colour' (known: interval, timeout, rate, realserver_rate, targets, "
          "services)");
    CHECK(error_of("interval: 5s\n") ==
          "t.yaml: missing setting 'targets' (a list of targets) or 'services' (a list of services)");
    CHECK(error_of("targets: []\n") == "t.yaml:1: setting 'targets': expected a list of at least one target");
    CHECK_THAT(error_of("targets: [\n"), Catch::StartsWith("t.yaml:2: not valid YAML: "));
    CHECK(error_of("") == "t.yaml: expected a map with 'targets' or 'services' (and interval, timeout)");
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
    // A YAML parser may keep either value of a doubled key; the reader refuses it.
    CHECK(error_of("targets:\n  - name: rs1\n    kind: icmp\n    kind: syn\n") ==
          "t.yaml:4: 'kind' is given twice");
    CHECK(error_of("targets:\n  - name: rs1\n    ? [a, b]\n    : c\n") ==
          "t.yaml:3: a key must be a single plain value, not a map or a list");
    CHECK(error_of("targets: []\n---\ntargets: []\n") == "t.yaml: more than one YAML document");
    CHECK_THAT(error_of("targets: *nowhere\n"), Catch::StartsWith("t.yaml:1: "));
}

TEST_CASE("config: YAML's nulls, aliases, keys and errors as libyaml's events give them")
{
    // yaml-cpp's nulls, kept: a plain value with no tag that is empty, ~, null, Null or
    // NULL. Quoted or tagged, the same text is a string.
    const YamlTree t = YamlTree::parse("empty:\n"
                                       "tilde: ~\n"
                                       "lower: null\n"
                                       "title: Null\n"
                                       "upper: NULL\n"
                                       "mixed: nUll\n"
                                       "double: \"null\"\n"
                                       "single: '~'\n"
                                       "str: !!str null\n"
                                       "bang: ! null\n"
                                       "tagged_empty: !!str\n"
                                       "quoted_empty: ''\n"
                                       "in_flow: [~, \"\", null]\n",
                                       "t.yaml");
    const auto type_of = [&](std::string_view key) { return t.find(t.root(), key)->type; };
    for (const auto* key : {"empty", "tilde", "lower", "title", "upper"}) {
        INFO(key);
        CHECK(type_of(key) == YamlNode::Type::Null);
    }
    for (const auto& [key, text] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
             {"mixed", "nUll"},
             {"double", "null"},
             {"single", "~"},
             {"str", "null"},
             {"bang", "null"},
             {"tagged_empty", ""},
             {"quoted_empty", ""}}) {
        INFO(key);
        REQUIRE(type_of(key) == YamlNode::Type::Scalar);
        CHECK(t.find(t.root(), key)->scalar == text);
    }
    const YamlNode& in_flow = *t.find(t.root(), "in_flow");
    REQUIRE(in_flow.items.size() == 3);
    CHECK(t.at(in_flow.items[0]).type == YamlNode::Type::Null);
    CHECK(t.at(in_flow.items[1]).type == YamlNode::Type::Scalar);
    CHECK(t.at(in_flow.items[2]).type == YamlNode::Type::Null);
    // A value left empty is a null at its key's line (yaml-cpp said the next line's).
    CHECK(t.find(t.root(), "empty")->line == 1);
    CHECK(error_of("interval: 5s\ntimeout:\ntargets: []\n") == "t.yaml:2: setting 'timeout': expected a single value");
    CHECK(error_of("targets:\n  - name: rs1\n    kind: null\n    vip: 192.0.2.20\n") ==
          "t.yaml:3: target 'rs1': field 'kind': expected a single value");
    CHECK(error_of("targets:\n  - name: \"null\"\n    kind: icmp\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n") ==
          "(accepted)");

    // An anchored map used twice, and an anchor given again: the aliases after it see
    // the new one.
    const auto c = parse_daemon_config("targets:\n"
                                       "  - {name: a, kind: icmp, vip: &ip 192.0.2.20, rip: 192.0.2.11}\n"
                                       "  - {name: b, kind: icmp, vip: *ip, rip: &ip 192.0.2.12}\n"
                                       "  - {name: c, kind: icmp, vip: 192.0.2.21, rip: *ip}\n",
                                       "t.yaml");
    REQUIRE(c.targets.size() == 3);
    CHECK(c.targets[1].options.target.vip.str() == "192.0.2.20");
    CHECK(c.targets[2].options.target.rip.str() == "192.0.2.12");
    const YamlTree reuse = YamlTree::parse("a: &m {k: v}\nb: *m\nc: &s one\nd: *s\nc2: &s two\ne: *s\n", "t.yaml");
    const YamlNode& b = *reuse.find(reuse.root(), "b");
    REQUIRE(b.type == YamlNode::Type::Map);
    CHECK(reuse.find(b, "k")->scalar == "v");
    CHECK(reuse.find(reuse.root(), "d")->scalar == "one");
    CHECK(reuse.find(reuse.root(), "e")->scalar == "two");

    CHECK(error_of("interval: 5s\ntargets: *nowhere\n") == "t.yaml:2: an alias to an unknown anchor");
    CHECK(error_of("targets:\n  - name: a\n    &k kind: icmp\n") == "t.yaml:3: an anchor on a key");
    CHECK(error_of("targets:\n  - name: rs1\n    ? {a: 1}\n    : c\n") ==
          "t.yaml:3: a key must be a single plain value, not a map or a list");
    CHECK(error_of("targets:\n  - name: rs1\n    ~: c\n") ==
          "t.yaml:3: a key must be a single plain value, not a map or a list");
    // One document between markers is one document.
    CHECK(error_of("---\ntargets:\n  - name: a\n    kind: icmp\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n...\n") ==
          "(accepted)");
    CHECK(error_of("---\ntargets: []\n...\n---\ntargets: []\n...\n") == "t.yaml: more than one YAML document");

    // libyaml's problem at its line, and the line of a byte that is not UTF-8, which
    // libyaml gives as an offset.
    CHECK_THAT(error_of("interval: 5s\ntargets:\n  - name: a\n    kind: icmp: syn\n"),
               Catch::StartsWith("t.yaml:4: not valid YAML: "));
    CHECK_THAT(error_of("interval: 5s\ntargets:\n  - name: a\n\tkind: icmp\n"),
               Catch::StartsWith("t.yaml:4: not valid YAML: "));
    CHECK_THAT(error_of("interval: 5s\ntargets:\n  - name: a\n   kind: icmp\n"),
               Catch::StartsWith("t.yaml:4: not valid YAML: "));
    CHECK_THAT(error_of("interval: 5s\ntimeout: 1s\ntargets:\n  - name: caf\xe9\n"),
               Catch::StartsWith("t.yaml:4: not valid YAML: "));
}

TEST_CASE("config: a missing file names the file")
{
    CHECK_THROWS_WITH(load_daemon_config("/nonexistent/vipcheckd.yaml"),
                      "cannot read config file /nonexistent/vipcheckd.yaml: No such file or directory");
}

namespace {

// One target; `extra` holds more of its fields, from line 6 of the file on.
std::string one_target(const std::string& kind, const std::string& vip, const std::string& rip,
                       const std::string& extra = "")
{
    return "targets:\n  - name: a\n    kind: " + kind + "\n    vip: " + vip + "\n    rip: " + rip + "\n" + extra;
}

const std::string vip = "198.51.100.10";
const std::string rip = "192.0.2.11";

} // namespace

TEST_CASE("config: every target rule refuses at the line of the field at fault")
{
    const std::string unicast = "it must be a unicast address, not unspecified, multicast, broadcast or loopback";
    const std::string on_link = "asks a realserver on this link about the VIP, not one behind encap: test the tunnel "
                                "realserver's ARP from a host on its own link";
    const std::vector<std::pair<std::string, std::string>> rows{
        {one_target("icmp", "224.0.0.1", rip), "t.yaml:4: target 'a': bad vip 224.0.0.1: " + unicast},
        {one_target("icmp", vip, "127.0.0.1"), "t.yaml:5: target 'a': bad rip 127.0.0.1: " + unicast},
        {one_target("icmp", rip, rip),
         "t.yaml:5: target 'a': vip and rip are both 192.0.2.11: give the realserver's own (management) address as "
         "rip"},
        {one_target("icmp", vip, "2001:db8::11"),
         "t.yaml:5: target 'a': vip 198.51.100.10 and rip 2001:db8::11 are of different address families: a "
         "direct-routing probe uses one family (an LVS tunnel may mix them: give encap)"},
        {one_target("syn", vip, rip), "t.yaml:2: target 'a': missing field 'port' (kind syn probes a TCP port)"},
        {one_target("icmp", vip, rip, "    port: 80\n"),
         "t.yaml:6: target 'a': kind icmp has no port: leave out port 80"},
        {one_target("icmp", vip, rip, "    interface: eth0/1\n"),
         "t.yaml:6: target 'a': bad interface 'eth0/1': an interface name is shorter than 16 characters, without "
         "'/', ':' or white space"},
        {one_target("icmp", vip, rip, "    source: 224.0.0.2\n"),
         "t.yaml:6: target 'a': bad source 224.0.0.2: it must be a unicast address of this host, not unspecified, "
         "multicast, broadcast or loopback"},
        {one_target("icmp", vip, rip, "    source: 198.51.100.10\n"),
         "t.yaml:6: target 'a': source 198.51.100.10 is the VIP: vipcheck never sends from the VIP, since that would "
         "pull the VIP's traffic to this host; use this host's own address"},
        {one_target("icmp", vip, rip, "    source: 2001:db8::2\n"),
         "t.yaml:6: target 'a': source 2001:db8::2 and rip 192.0.2.11 are of different address families: give an "
         "address of this host in the rip's family"},
        {one_target("icmp", vip, rip, "    mac: 00:00:00:00:00:00\n"),
         "t.yaml:6: target 'a': bad mac 00:00:00:00:00:00: expected the realserver's unicast MAC as "
         "xx:xx:xx:xx:xx:xx"},
        {one_target("icmp", vip, rip, "    mac: 01:00:5e:00:00:01\n"),
         "t.yaml:6: target 'a': bad mac 01:00:5e:00:00:01: expected the realserver's unicast MAC as "
         "xx:xx:xx:xx:xx:xx"},
        {one_target("icmp", vip, rip, "    ttl: 0\n"), "t.yaml:6: target 'a': bad ttl 0: expected 1 to 255"},
        {one_target("icmp", vip, rip, "    attempts: 0\n"), "t.yaml:6: target 'a': bad attempts 0: expected 1 to 100"},
        {one_target("icmp", vip, rip, "    attempts: 101\n"),
         "t.yaml:6: target 'a': bad attempts 101: expected 1 to 100"},
        {one_target("arp", vip, rip, "    arp_leak: true\n"),
         "t.yaml:6: target 'a': kind arp is the ARP-leak test itself: leave out arp_leak"},
        {one_target("arp", vip, rip, "    encap: ipip\n"),
         "t.yaml:6: target 'a': kind arp is the ARP-leak test, which " + on_link},
        {one_target("icmp", vip, rip, "    encap: gre\n    arp_leak: true\n"),
         "t.yaml:7: target 'a': arp_leak: the ARP-leak test " + on_link},
        {one_target("syn", vip, rip, "    port: 80\n    arp_leak: true\n    encap: ipip\n"),
         "t.yaml:7: target 'a': arp_leak: the ARP-leak test " + on_link},
        {one_target("icmp", vip, rip, "    encap: gue\n"),
         "t.yaml:2: target 'a': encap gue needs encap_port: the realserver's GUE port from 1 to 65535 (keepalived's "
         "`lvs_method TUN type gue port NUM`)"},
        {one_target("icmp", vip, rip, "    encap: ipip\n    encap_port: 5555\n"),
         "t.yaml:7: target 'a': encap_port 5555 applies only to encap gue"},
        {one_target("icmp", vip, rip, "    encap_port: 5555\n"),
         "t.yaml:6: target 'a': encap_port 5555 applies only to encap gue"},
    };
    for (const auto& [text, message] : rows) {
        CAPTURE(text);
        CHECK(error_of(text) == message);
    }
}

TEST_CASE("config: a value that is no value of its field's type")
{
    const std::vector<std::pair<std::string, std::string>> rows{
        {one_target("icmp", "192.0.2.300", rip),
         "t.yaml:4: target 'a': field 'vip': '192.0.2.300' is not an IPv4 or IPv6 address"},
        {one_target("icmp", vip, "rs1.example"),
         "t.yaml:5: target 'a': field 'rip': 'rs1.example' is not an IPv4 or IPv6 address"},
        {one_target("syn", vip, rip, "    port: 0\n"), "t.yaml:6: target 'a': field 'port': 0 is no TCP port (1 to 65535)"},
        {one_target("syn", vip, rip, "    port: 70000\n"),
         "t.yaml:6: target 'a': field 'port': 70000 is out of range (0 to 65535)"},
        {one_target("icmp", vip, rip, "    source: here\n"),
         "t.yaml:6: target 'a': field 'source': 'here' is not an IPv4 or IPv6 address"},
        {one_target("icmp", vip, rip, "    mac: nonsense\n"),
         "t.yaml:6: target 'a': field 'mac': 'nonsense' is not a MAC address such as 02:00:00:00:00:11"},
        {one_target("icmp", vip, rip, "    ttl: 256\n"), "t.yaml:6: target 'a': field 'ttl': 256 is out of range (0 to 255)"},
        {one_target("icmp", vip, rip, "    encap: vxlan\n"),
         "t.yaml:6: target 'a': field 'encap': 'vxlan' is not ipip, gue or gre (the realserver's LVS tunnel type)"},
        {one_target("icmp", vip, rip, "    encap: gue\n    encap_port: -1\n"),
         "t.yaml:7: target 'a': field 'encap_port': -1 is out of range (0 to 65535)"},
    };
    for (const auto& [text, message] : rows) {
        CAPTURE(text);
        CHECK(error_of(text) == message);
    }
}

TEST_CASE("config: targets are read as the tools read them, typed")
{
    // A tunnel may mix the families; the source is the outer one, in the RIP's.
    const auto c = parse_daemon_config(one_target("syn", "2001:db8:100::10", rip,
                                                  "    port: 443\n    encap: gue\n    encap_port: 6080\n"
                                                  "    source: 192.0.2.2\n    ttl: 255\n"),
                                       "t.yaml");
    const ProbeOptions& o = c.targets[0].options;
    CHECK(o.target.vip == *IpAddress::parse("2001:db8:100::10"));
    CHECK(o.target.port == 443);
    CHECK(o.target.rport == 443);
    CHECK_FALSE(o.target.ldirectord_form);
    CHECK(o.encap == EncapType::Gue);
    CHECK(o.encap_port == 6080);
    CHECK(o.source == IpAddress::parse("192.0.2.2"));
    CHECK(o.ttl == 255);
    CHECK(o.timeout == 1s); // the file's default
}

TEST_CASE("a name fit for a state file is letters, digits, '.', '_' and '-', at most 128")
{
    using vipcheck::valid_name;
    for (const char* good : {"rs1-198.18.0.1", "Web_80", "0", "a..b", "ZZ.-_z"})
        CHECK(valid_name(good));
    for (const char* bad : {"", ".", "..", "a b", "a/b", "a:b", "tab\there", "caf\xc3\xa9", "a@b", "[x]", "a\n"})
        CHECK_FALSE(valid_name(bad));
    CHECK(valid_name(std::string(128, 'a')));
    CHECK_FALSE(valid_name(std::string(129, 'a')));
    CHECK_FALSE(valid_name(std::string("a\0b", 3)));
}
