// check_target_rules on typed values: every refusal, in both spellings (the tools'
// options and vipcheckd's fields), and the setting each one blames. The same refusals
// through the entry points are in test_options.cpp (the tools' command line) and
// test_daemon_config.cpp (vipcheckd's file, with its line).
#include <catch2/catch.hpp>

#include <functional>

#include "vipcheck/arp_leak.hpp"
#include "vipcheck/icmp_echo.hpp"
#include "vipcheck/target_rules.hpp"
#include "vipcheck/tcp_syn.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;

namespace {

IpAddress ip(const char* text)
{
    return *IpAddress::parse(text);
}

ProbeOptions good()
{
    ProbeOptions o;
    o.target.vip = ip("198.51.100.10");
    o.target.rip = ip("192.0.2.11");
    return o;
}

const EchoProbe echo;
const SynProbe syn;
const ArpLeakProbe arp;

struct Refusal {
    const char* what;
    std::function<void(ProbeOptions&)> change;
    const ProbeKind& kind;
    PortUse ports;
    const char* field;
    const char* tool_message;   // Spelling::CommandLine, kind named "vip-x-check"
    const char* config_message; // Spelling::Config, kind named "kind x"
};

std::string refusal(const ProbeOptions& o, const TargetKind& kind, Spelling spelling, std::string* field = nullptr)
{
    try {
        check_target_rules(o, kind, spelling);
    } catch (const TargetError& e) {
        if (field)
            *field = e.field();
        return e.what();
    }
    return "(accepted)";
}

} // namespace

TEST_CASE("target rules: a good target of every kind passes")
{
    CHECK(refusal(good(), target_kind("vip-icmp-check", PortUse::None, echo), Spelling::CommandLine) == "(accepted)");
    CHECK(refusal(good(), target_kind("vip-arp-check", PortUse::None, arp), Spelling::CommandLine) == "(accepted)");
    ProbeOptions o = good();
    o.target.port = 443;
    o.source = ip("192.0.2.2");
    o.mac = MacAddress::parse("02:00:00:00:00:11");
    o.interface = "eth1";
    o.ttl = 255;
    o.attempts = 100;
    o.timeout = 1h;
    CHECK(refusal(o, target_kind("vip-tcp-check", PortUse::Required, syn), Spelling::CommandLine) == "(accepted)");
    // A tunnel may carry the VIP's family to a RIP of the other; the source is the
    // outer one, in the RIP's family.
    o = good();
    o.target.vip = ip("2001:db8:100::10");
    o.encap = EncapType::Gue;
    o.encap_port = 5555;
    o.arp_leak = false;
    CHECK(refusal(o, target_kind("vip-icmp-check", PortUse::None, echo), Spelling::CommandLine) == "(accepted)");
    // ldirectord passes its ports to every check, the portless ones too.
    o = good();
    o.target.port = 80;
    o.target.rport = 80;
    o.target.ldirectord_form = true;
    CHECK(refusal(o, target_kind("vip-icmp-check", PortUse::None, echo), Spelling::CommandLine) == "(accepted)");
    // The ARP-leak test rides along on a probe of this link.
    o = good();
    o.arp_leak = true;
    CHECK(refusal(o, target_kind("vip-icmp-check", PortUse::None, echo), Spelling::CommandLine) == "(accepted)");
}

TEST_CASE("target rules: every refusal names the value, the fix and the setting at fault")
{
    const std::vector<Refusal> refusals{
        {"multicast VIP", [](ProbeOptions& o) { o.target.vip = ip("224.0.0.1"); }, echo, PortUse::None, "vip",
         "bad VIP 224.0.0.1: it must be a unicast address, not unspecified, multicast, broadcast or loopback",
         "bad vip 224.0.0.1: it must be a unicast address, not unspecified, multicast, broadcast or loopback"},
        {"unspecified VIP", [](ProbeOptions& o) { o.target.vip = ip("::"); }, echo, PortUse::None, "vip",
         "bad VIP ::: it must be a unicast address, not unspecified, multicast, broadcast or loopback",
         "bad vip ::: it must be a unicast address, not unspecified, multicast, broadcast or loopback"},
        {"broadcast RIP", [](ProbeOptions& o) { o.target.rip = ip("255.255.255.255"); }, echo, PortUse::None, "rip",
         "bad RIP 255.255.255.255: it must be a unicast address, not unspecified, multicast, broadcast or loopback",
         "bad rip 255.255.255.255: it must be a unicast address, not unspecified, multicast, broadcast or loopback"},
        {"loopback RIP", [](ProbeOptions& o) { o.target.rip = ip("127.0.0.1"); }, echo, PortUse::None, "rip",
         "bad RIP 127.0.0.1: it must be a unicast address, not unspecified, multicast, broadcast or loopback",
         "bad rip 127.0.0.1: it must be a unicast address, not unspecified, multicast, broadcast or loopback"},
        {"VIP is RIP", [](ProbeOptions& o) { o.target.vip = o.target.rip; }, echo, PortUse::None, "rip",
         "VIP and RIP are both 192.0.2.11: give the realserver's own (management) address as RIP",
         "vip and rip are both 192.0.2.11: give the realserver's own (management) address as rip"},
        {"families differ", [](ProbeOptions& o) { o.target.rip = ip("2001:db8::11"); }, echo, PortUse::None, "rip",
         "VIP 198.51.100.10 and RIP 2001:db8::11 are of different address families: a direct-routing probe uses "
         "one family (an LVS tunnel may mix them: give --encap)",
         "vip 198.51.100.10 and rip 2001:db8::11 are of different address families: a direct-routing probe uses "
         "one family (an LVS tunnel may mix them: give encap)"},
        {"families differ, not tunnelled", [](ProbeOptions& o) { o.target.rip = ip("2001:db8::11"); }, arp,
         PortUse::None, "rip",
         "VIP 198.51.100.10 and RIP 2001:db8::11 are of different address families: a direct-routing probe uses "
         "one family",
         "vip 198.51.100.10 and rip 2001:db8::11 are of different address families: a direct-routing probe uses "
         "one family"},
        {"port missing", [](ProbeOptions&) {}, syn, PortUse::Required, "port",
         "bad PORT 0: vip-x-check probes a TCP port from 1 to 65535", "missing field 'port' (kind x probes a TCP port)"},
        {"port on a portless kind", [](ProbeOptions& o) { o.target.port = 80; }, echo, PortUse::None, "port",
         "vip-x-check has no port: leave out PORT 80", "kind x has no port: leave out port 80"},
        {"interface name", [](ProbeOptions& o) { o.interface = "eth0/1"; }, echo, PortUse::None, "interface",
         "bad --interface 'eth0/1': an interface name is shorter than 16 characters, without '/', ':' or white "
         "space",
         "bad interface 'eth0/1': an interface name is shorter than 16 characters, without '/', ':' or white "
         "space"},
        {"multicast source", [](ProbeOptions& o) { o.source = ip("224.0.0.2"); }, echo, PortUse::None, "source",
         "bad --source 224.0.0.2: it must be a unicast address of this host, not unspecified, multicast, broadcast "
         "or loopback",
         "bad source 224.0.0.2: it must be a unicast address of this host, not unspecified, multicast, broadcast "
         "or loopback"},
        {"source is the VIP", [](ProbeOptions& o) { o.source = o.target.vip; }, echo, PortUse::None, "source",
         "--source 198.51.100.10 is the VIP: vipcheck never sends from the VIP, since that would pull the VIP's "
         "traffic to this host; use this host's own address",
         "source 198.51.100.10 is the VIP: vipcheck never sends from the VIP, since that would pull the VIP's "
         "traffic to this host; use this host's own address"},
        {"source family", [](ProbeOptions& o) { o.source = ip("2001:db8::2"); }, echo, PortUse::None, "source",
         "--source 2001:db8::2 and RIP 192.0.2.11 are of different address families: give an address of this host "
         "in the RIP's family",
         "source 2001:db8::2 and rip 192.0.2.11 are of different address families: give an address of this host "
         "in the rip's family"},
        {"zero MAC", [](ProbeOptions& o) { o.mac = MacAddress(); }, echo, PortUse::None, "mac",
         "bad --mac 00:00:00:00:00:00: expected the realserver's unicast MAC as xx:xx:xx:xx:xx:xx",
         "bad mac 00:00:00:00:00:00: expected the realserver's unicast MAC as xx:xx:xx:xx:xx:xx"},
        {"multicast MAC", [](ProbeOptions& o) { o.mac = MacAddress::parse("01:00:5e:00:00:01"); }, echo,
         PortUse::None, "mac",
         "bad --mac 01:00:5e:00:00:01: expected the realserver's unicast MAC as xx:xx:xx:xx:xx:xx",
         "bad mac 01:00:5e:00:00:01: expected the realserver's unicast MAC as xx:xx:xx:xx:xx:xx"},
        {"ttl 0", [](ProbeOptions& o) { o.ttl = 0; }, echo, PortUse::None, "ttl", "bad --ttl 0: expected 1 to 255",
         "bad ttl 0: expected 1 to 255"},
        {"timeout too short", [](ProbeOptions& o) { o.timeout = 999ns; }, echo, PortUse::None, "timeout",
         "bad --timeout 999ns: expected a duration from 1us to 1h such as 300ms or 2s",
         "bad timeout 999ns: expected a duration from 1us to 1h such as 300ms or 2s"},
        {"timeout too long", [](ProbeOptions& o) { o.timeout = 1h + 1s; }, echo, PortUse::None, "timeout",
         "bad --timeout 3601s: expected a duration from 1us to 1h such as 300ms or 2s",
         "bad timeout 3601s: expected a duration from 1us to 1h such as 300ms or 2s"},
        {"attempts 0", [](ProbeOptions& o) { o.attempts = 0; }, echo, PortUse::None, "attempts",
         "bad --attempts 0: expected 1 to 100", "bad attempts 0: expected 1 to 100"},
        {"attempts 101", [](ProbeOptions& o) { o.attempts = 101; }, echo, PortUse::None, "attempts",
         "bad --attempts 101: expected 1 to 100", "bad attempts 101: expected 1 to 100"},
        {"arp_leak on the ARP-leak test", [](ProbeOptions& o) { o.arp_leak = true; }, arp, PortUse::None,
         "arp_leak", "vip-x-check is the ARP-leak test itself: leave out --arp-leak",
         "kind x is the ARP-leak test itself: leave out arp_leak"},
        {"the ARP-leak test tunnelled", [](ProbeOptions& o) { o.encap = EncapType::Ipip; }, arp, PortUse::None,
         "encap",
         "vip-x-check is the ARP-leak test, which asks a realserver on this link about the VIP, not one behind "
         "--encap: test the tunnel realserver's ARP from a host on its own link",
         "kind x is the ARP-leak test, which asks a realserver on this link about the VIP, not one behind encap: "
         "test the tunnel realserver's ARP from a host on its own link"},
        {"arp_leak tunnelled",
         [](ProbeOptions& o) {
             o.encap = EncapType::Gre;
             o.arp_leak = true;
         },
         echo, PortUse::None, "arp_leak",
         "--arp-leak: the ARP-leak test asks a realserver on this link about the VIP, not one behind --encap: test "
         "the tunnel realserver's ARP from a host on its own link",
         "arp_leak: the ARP-leak test asks a realserver on this link about the VIP, not one behind encap: test the "
         "tunnel realserver's ARP from a host on its own link"},
        {"GUE without its port", [](ProbeOptions& o) { o.encap = EncapType::Gue; }, echo, PortUse::None,
         "encap_port",
         "--encap gue needs --encap-port: the realserver's GUE port from 1 to 65535 (keepalived's `lvs_method TUN "
         "type gue port NUM`)",
         "encap gue needs encap_port: the realserver's GUE port from 1 to 65535 (keepalived's `lvs_method TUN type "
         "gue port NUM`)"},
        {"a port without GUE",
         [](ProbeOptions& o) {
             o.encap = EncapType::Ipip;
             o.encap_port = 5555;
         },
         echo, PortUse::None, "encap_port", "--encap-port 5555 applies only to --encap gue",
         "encap_port 5555 applies only to encap gue"},
        {"a port without a tunnel", [](ProbeOptions& o) { o.encap_port = 5555; }, echo, PortUse::None, "encap_port",
         "--encap-port 5555 applies only to --encap gue", "encap_port 5555 applies only to encap gue"},
    };
    for (const auto& r : refusals) {
        CAPTURE(r.what);
        ProbeOptions o = good();
        r.change(o);
        std::string field;
        CHECK(refusal(o, target_kind("vip-x-check", r.ports, r.kind), Spelling::CommandLine, &field) ==
              r.tool_message);
        CHECK(field == r.field);
        CHECK(refusal(o, target_kind("kind x", r.ports, r.kind), Spelling::Config) == r.config_message);
    }
}

TEST_CASE("target rules: a kind that cannot be tunnelled refuses encap")
{
    // vip-http-check's user-space TCP speaks to the realserver's MAC on this link.
    ProbeOptions o = good();
    o.target.port = 80;
    o.encap = EncapType::Ipip;
    const TargetKind http{"vip-http-check", PortUse::Required, false, false};
    std::string field;
    CHECK(refusal(o, http, Spelling::CommandLine, &field) ==
          "--encap: vip-http-check speaks to direct-routing realservers only");
    CHECK(field == "encap");
}

TEST_CASE("target rules: what a probe kind tells the rule")
{
    const TargetKind a = target_kind("kind arp", PortUse::None, arp);
    CHECK(a.arp_leak_test);
    CHECK_FALSE(a.tunnels);
    const TargetKind s = target_kind("kind syn", PortUse::Required, syn);
    CHECK_FALSE(s.arp_leak_test);
    CHECK(s.tunnels);
    CHECK(s.ports == PortUse::Required);
}
