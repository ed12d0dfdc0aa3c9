#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "vipcheck/cli.hpp"
#include "http/http_check.hpp"
#include "vipcheck/tool.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/options.hpp"
#include "vipcheck/arp_leak.hpp"
#include "vipcheck/icmp_echo.hpp"
#include "vipcheck/tcp_syn.hpp"
#include "http/http_options.hpp"
#include "vip_http/vip_http.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;

TEST_CASE("durations")
{
    CHECK(parse_duration("300ms") == Duration(300ms));
    CHECK(parse_duration("2s") == Duration(2s));
    CHECK(parse_duration("2") == Duration(2s));
    CHECK(parse_duration("1.5s") == Duration(1500ms));
    CHECK(parse_duration("250us") == Duration(250us));
    CHECK(parse_duration("1m") == Duration(60s));
    for (const char* bad : {"", "0", "0ms", "-1s", "5parsecs", "1h", "2 s", "s", ".5s", "5.s", "1e3ms", "61m",
                            "999999999999999999s", "0.1us"})
        CHECK_FALSE(parse_duration(bad));
    CHECK(format_duration(300ms) == "300ms");
    CHECK(format_duration(2s) == "2s");
    CHECK(format_duration(250us) == "250us");
}

TEST_CASE("probe targets in both forms")
{
    auto t = parse_probe_target({"198.51.100.10", "192.0.2.11"}, PortUse::None, "");
    CHECK(t.vip.str() == "198.51.100.10");
    CHECK(t.rip.str() == "192.0.2.11");
    CHECK_FALSE(t.ldirectord_form);

    t = parse_probe_target({"198.51.100.10", "80", "192.0.2.11", "8080"}, PortUse::None, "");
    CHECK(t.ldirectord_form);
    CHECK(t.port == 80);
    CHECK(t.rport == 8080);

    t = parse_probe_target({"198.51.100.10", "443", "192.0.2.11"}, PortUse::Required, "");
    CHECK(t.port == 443);
    CHECK(t.rport == 443);

    t = parse_probe_target({"[2001:db8::10]", "80", "[2001:db8::11]", "80"}, PortUse::Required, "");
    CHECK(t.vip.str() == "2001:db8::10");

    SECTION("a fwmark service takes its VIP from --vip and its port from RPORT")
    {
        t = parse_probe_target({"7", "0", "192.0.2.11", "80"}, PortUse::Required, "198.51.100.10");
        CHECK(t.vip.str() == "198.51.100.10");
        CHECK(t.port == 80);
        CHECK_THROWS_WITH(parse_probe_target({"7", "0", "192.0.2.11", "80"}, PortUse::Required, ""),
                          Catch::Contains("fwmark") && Catch::Contains("--vip"));
    }
}

TEST_CASE("bad targets name the bad argument")
{
    using V = std::vector<std::string>;
    CHECK_THROWS_WITH(parse_probe_target(V{"198.51.100.10"}, PortUse::None, ""), Catch::Contains("VIP RIP"));
    CHECK_THROWS_WITH(parse_probe_target(V{"nonsense", "192.0.2.11"}, PortUse::None, ""), Catch::Contains("'nonsense'"));
    CHECK_THROWS_WITH(parse_probe_target(V{"198.51.100.10", "192.0.2.300"}, PortUse::None, ""),
                      Catch::Contains("RIP '192.0.2.300'"));
    CHECK_THROWS_WITH(parse_probe_target(V{"198.51.100.10", "70000", "192.0.2.11"}, PortUse::Required, ""),
                      Catch::Contains("70000"));
    CHECK_THROWS_WITH(parse_probe_target(V{"198.51.100.10", "192.0.2.11"}, PortUse::None, "198.51.100.99"),
                      Catch::Contains("contradicts"));
}

TEST_CASE("common options are read into typed values")
{
    const auto target = parse_probe_target({"198.51.100.10", "192.0.2.11"}, PortUse::None, "");
    CommonOptions c;
    auto o = make_probe_options(c, target);
    CHECK(o.timeout == Duration(1s));
    CHECK(o.attempts == 3);
    CHECK(o.ttl == 1);
    CHECK_FALSE(o.mac);
    CHECK_FALSE(o.source);

    c.mac = "02:00:00:00:00:11";
    c.source = "192.0.2.2";
    c.timeout = "300ms";
    c.ttl = 64;
    o = make_probe_options(c, target);
    CHECK(o.mac->str() == "02:00:00:00:00:11");
    CHECK(o.source->str() == "192.0.2.2");
    CHECK(o.ttl == 64);

    c.encap = "gue";
    c.encap_port = 5555;
    c.arp_leak = true;
    c.attempts = 7;
    c.interface = "eth1";
    o = make_probe_options(c, target);
    CHECK(o.encap == EncapType::Gue);
    CHECK(o.encap_port == 5555);
    CHECK(o.arp_leak);
    CHECK(o.attempts == 7);
    CHECK(o.interface == "eth1");

    // Only text that is no value of its type; the rest is check_target_rules'.
    auto bad = [&](auto change, const char* needle) {
        CommonOptions b;
        change(b);
        CHECK_THROWS_WITH(make_probe_options(b, target), Catch::Contains(needle));
    };
    bad([](CommonOptions& b) { b.timeout = "5parsecs"; }, "'5parsecs'");
    bad([](CommonOptions& b) { b.timeout = "-1s"; }, "--timeout");
    bad([](CommonOptions& b) { b.ttl = 256; }, "--ttl 256");
    bad([](CommonOptions& b) { b.mac = "nonsense"; }, "bad --mac 'nonsense'");
    bad([](CommonOptions& b) { b.source = "here"; }, "bad --source 'here'");
    bad([](CommonOptions& b) { b.encap = "vxlan"; }, "expected ipip, gue or gre");
    bad([](CommonOptions& b) { b.encap_port = 70000; }, "bad --encap-port 70000");
}

namespace {

struct Argv {
    std::vector<std::string> words;
    std::vector<const char*> pointers;
    explicit Argv(std::initializer_list<std::string> w) : words(w)
    {
        for (auto& s : words)
            pointers.push_back(s.c_str());
    }
    int argc() const { return static_cast<int>(pointers.size()); }
    const char* const* argv() const { return pointers.data(); }
};

CommandSpec icmp_command()
{
    return probe_command({"vip-icmp-check", "test", PortUse::None});
}

std::optional<int> parse(CommandLine& cli, std::initializer_list<std::string> words)
{
    Argv a(words);
    return cli.parse(a.argc(), a.argv());
}

} // namespace

TEST_CASE("command line: usage errors exit 1, never CLI11's codes")
{
    {
        CommandLine cli(icmp_command());
        CHECK(parse(cli, {"vip-icmp-check", "--bogus", "198.51.100.10", "192.0.2.11"}) == 1);
    }
    {
        CommandLine cli(icmp_command());
        CHECK(parse(cli, {"vip-icmp-check", "-t", "1s", "-t", "2s", "198.51.100.10", "192.0.2.11"}) == 1);
    }
    {
        CommandLine cli(icmp_command());
        CHECK(parse(cli, {"vip-icmp-check", "--attempts", "many", "198.51.100.10", "192.0.2.11"}) == 1);
    }
    {
        CommandLine cli(icmp_command());
        CHECK(parse(cli, {"vip-icmp-check", "--nagios", "--bogus"}) == 3);
    }
    {
        CommandLine cli(icmp_command());
        CHECK(parse(cli, {"vip-icmp-check", "--json", "--nagios", "198.51.100.10", "192.0.2.11"}) == 3);
    }
    {
        CommandLine cli(icmp_command());
        CHECK(parse(cli, {"vip-icmp-check", "-q", "-a", "5", "--ttl", "2", "198.51.100.10", "192.0.2.11"}) ==
              std::nullopt);
        CHECK(cli.common().attempts == 5);
        CHECK(cli.common().ttl == 2);
        CHECK(cli.common().output.quiet);
        CHECK(cli.positionals() == std::vector<std::string>{"198.51.100.10", "192.0.2.11"});
    }
}

TEST_CASE("command line: an option given an empty value is a usage error, not the default")
{
    // `-i "$IF"` with IF unset must not quietly probe on the kernel's interface.
    for (const char* option : {"-i", "--interface", "-s", "--mac", "--vip", "-t"}) {
        CAPTURE(option);
        CommandLine cli(icmp_command());
        CHECK(parse(cli, {"vip-icmp-check", option, "", "198.51.100.10", "192.0.2.11"}) == 1);
    }
    {
        CommandLine cli(icmp_command());
        CHECK(parse(cli, {"vip-icmp-check", "--nagios", "-i", "", "198.51.100.10", "192.0.2.11"}) == 3);
    }
    {
        // Flags given on the command line carry no empty value of their own.
        CommandLine cli(icmp_command());
        CHECK(parse(cli, {"vip-icmp-check", "-v", "--json", "--syslog", "198.51.100.10", "192.0.2.11"}) ==
              std::nullopt);
    }
}

TEST_CASE("command line: the config file has one section per binary and the command line wins")
{
    char path[] = "/tmp/vipcheck-test-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    {
        std::ofstream f(path);
        f << "; options for checks that ldirectord starts without options\n"
             "[vip-icmp-check]\ntimeout = 300ms\nattempts = 5\ninterface = eth1\n"
             "[vip-syn-check]\ntimeout = 9s\n";
    }
    {
        CommandLine cli(icmp_command());
        REQUIRE(parse(cli, {"vip-icmp-check", "--config", path, "-a", "2", "198.51.100.10", "192.0.2.11"}) ==
                std::nullopt);
        CHECK(cli.common().timeout == "300ms");
        CHECK(cli.common().attempts == 2);
        CHECK(cli.common().interface == "eth1");
    }
    {
        std::ofstream f(path, std::ios::app);
        f << "[vip-icmp-check]\nno-such-option = 1\n";
    }
    {
        CommandLine cli(icmp_command());
        CHECK(parse(cli, {"vip-icmp-check", "--config", path, "198.51.100.10", "192.0.2.11"}) == 1);
    }
    std::remove(path);
    {
        CommandLine cli(icmp_command());
        CHECK(parse(cli, {"vip-icmp-check", "--config", "/nonexistent/vipcheck.conf", "198.51.100.10",
                          "192.0.2.11"}) == 1);
    }
}

TEST_CASE("command line: --help shows each binary's synopsis and only the options it accepts")
{
    const auto help = [](const CommandSpec& spec) {
        CommandLine cli(spec);
        return cli.app().help();
    };
    const std::string icmp = help(icmp_command());
    CHECK_THAT(icmp, Catch::Contains("Usage: vip-icmp-check [OPTIONS] VIP RIP\n"));
    CHECK_THAT(icmp, Catch::Contains("vip-icmp-check [OPTIONS] VIP VPORT RIP RPORT"));
    CHECK_THAT(icmp, !Catch::Contains("[args...]"));
    for (const char* option : {"--mac", "--vip", "--attempts", "--ttl", "--encap", "--encap-port", "--interface"})
        CHECK_THAT(icmp, Catch::Contains(option));

    const std::string syn = help(probe_command({"vip-syn-check", "test", PortUse::Required}));
    CHECK_THAT(syn, Catch::Contains("Usage: vip-syn-check [OPTIONS] VIP PORT RIP [RPORT]\n"));

    const std::string mgmt = help(mgmt_http_command());
    CHECK_THAT(mgmt, Catch::Contains("Usage: mgmt-http-check [OPTIONS] URL\n"));
    for (const char* option : {"--mac", "--vip", "--ttl", "--encap"}) {
        CAPTURE(option);
        CHECK_THAT(mgmt, !Catch::Contains(option));
        // Not listed, so not accepted either: on the command line a usage error.
        CommandLine cli(mgmt_http_command());
        CHECK(parse(cli, {"mgmt-http-check", option, "1", "http://192.0.2.11/"}) == 1);
    }
    CHECK_THAT(mgmt, Catch::Contains("--attempts"));
    CHECK_THAT(mgmt, !Catch::Contains("--arp-leak"));

    // --follow is mgmt-http-check's only: vip-http-check's one connection is one
    // realserver's at the VIP, and a redirect names another URL.
    const auto http_help = [](const CommandSpec& spec, Redirects redirects) {
        CommandLine cli(spec);
        HttpArgs args;
        add_http_options(cli.app(), args, redirects);
        return cli.app().help();
    };
    CHECK_THAT(http_help(mgmt_http_command(), Redirects::Followable), Catch::Contains("--follow"));
    CHECK_THAT(http_help(vip_http_command(), Redirects::Never), !Catch::Contains("--follow"));
    CommandLine vip(vip_http_command());
    HttpArgs args;
    add_http_options(vip.app(), args, Redirects::Never);
    CHECK(parse(vip, {"vip-http-check", "--follow", "http://198.51.100.10/", "192.0.2.11"}) == 1);
    CHECK_FALSE(args.follow);
}

TEST_CASE("command line: --arp-leak on the VIP probes; vip-arp-check is the test itself, on this link")
{
    for (PortUse ports : {PortUse::None, PortUse::Required}) {
        CommandLine cli(probe_command({"vip-icmp-check", "test", ports}));
        CHECK_THAT(cli.app().help(), Catch::Contains("--arp-leak"));
        CHECK(parse(cli, {"vip-icmp-check", "--arp-leak", "198.51.100.10", "192.0.2.11"}) == std::nullopt);
        CHECK(cli.common().arp_leak);
        CHECK(make_probe_options(cli.common(), parse_probe_target(cli.positionals(), PortUse::None, "")).arp_leak);
    }
    const CommandSpec arp = probe_command({"vip-arp-check", "test", PortUse::None, arp_check_options});
    const std::string help = CommandLine(arp).app().help();
    CHECK_THAT(help, Catch::Contains("Usage: vip-arp-check [OPTIONS] VIP RIP\n"));
    for (const char* option : {"--arp-leak", "--encap"}) {
        CAPTURE(option);
        CHECK_THAT(help, !Catch::Contains(option));
        CommandLine cli(arp);
        CHECK(parse(cli, {"vip-arp-check", option, "198.51.100.10", "192.0.2.11"}) == 1);
    }
    CommandLine cli(arp);
    CHECK(parse(cli, {"vip-arp-check", "--mac", "02:00:00:00:00:11", "-a", "5", "198.51.100.10", "192.0.2.11"}) ==
          std::nullopt);
}

namespace {

// What vip_probe_main would refuse, exit 1: the command line read, then the target rule.
std::string tool_refusal(const ToolSpec& spec, const ProbeKind& kind, std::initializer_list<std::string> words)
{
    CommandLine cli(probe_command(spec));
    if (parse(cli, words) != std::nullopt)
        return "(usage error)";
    try {
        tool_probe_options(cli, spec, kind);
    } catch (const Error& e) {
        return e.what();
    }
    return "(accepted)";
}

} // namespace

TEST_CASE("command line: every target rule refuses through the tools' options")
{
    const EchoProbe echo;
    const SynProbe syn;
    const ArpLeakProbe arp;
    const ToolSpec icmp{"vip-icmp-check", "test", PortUse::None};
    const ToolSpec tcp{"vip-tcp-check", "test", PortUse::Required};
    const ToolSpec arp_tool{"vip-arp-check", "test", PortUse::None, arp_check_options};
    const std::string vip = "198.51.100.10";
    const std::string rip = "192.0.2.11";
    const std::string tool = "vip-icmp-check";

    CHECK(tool_refusal(icmp, echo, {tool, "-i", "eth1", "-s", "192.0.2.2", "--mac", "02:00:00:00:00:11", vip, rip}) ==
          "(accepted)");
    CHECK(tool_refusal(icmp, echo, {tool, "--encap", "gue", "--encap-port", "5555", "2001:db8::10", rip}) ==
          "(accepted)");
    CHECK(tool_refusal(tcp, syn, {"vip-tcp-check", vip, "443", rip}) == "(accepted)");
    CHECK(tool_refusal(arp_tool, arp, {"vip-arp-check", vip, rip}) == "(accepted)");

    const auto refused = [&](std::initializer_list<std::string> words, const std::string& message) {
        CAPTURE(message);
        CHECK(tool_refusal(icmp, echo, words) == message);
    };
    const std::string unicast = "it must be a unicast address, not unspecified, multicast, broadcast or loopback";
    refused({tool, "224.0.0.1", rip}, "bad VIP 224.0.0.1: " + unicast);
    refused({tool, "255.255.255.255", rip}, "bad VIP 255.255.255.255: " + unicast);
    refused({tool, vip, "127.0.0.1"}, "bad RIP 127.0.0.1: " + unicast);
    refused({tool, rip, rip}, "VIP and RIP are both 192.0.2.11: give the realserver's own (management) address as "
                              "RIP");
    refused({tool, vip, "2001:db8::11"}, "VIP 198.51.100.10 and RIP 2001:db8::11 are of different address families: "
                                         "a direct-routing probe uses one family (an LVS tunnel may mix them: give "
                                         "--encap)");
    refused({tool, "-i", "eth0:1", vip, rip}, "bad --interface 'eth0:1': an interface name is shorter than 16 "
                                              "characters, without '/', ':' or white space");
    refused({tool, "-s", "0.0.0.0", vip, rip}, "bad --source 0.0.0.0: it must be a unicast address of this host, not "
                                               "unspecified, multicast, broadcast or loopback");
    refused({tool, "-s", vip, vip, rip}, "--source 198.51.100.10 is the VIP: vipcheck never sends from the VIP, since "
                                         "that would pull the VIP's traffic to this host; use this host's own "
                                         "address");
    refused({tool, "-s", "2001:db8::2", vip, rip}, "--source 2001:db8::2 and RIP 192.0.2.11 are of different address "
                                                   "families: give an address of this host in the RIP's family");
    refused({tool, "--mac", "ff:ff:ff:ff:ff:ff", vip, rip},
            "bad --mac ff:ff:ff:ff:ff:ff: expected the realserver's unicast MAC as xx:xx:xx:xx:xx:xx");
    refused({tool, "--mac", "00:00:00:00:00:00", vip, rip},
            "bad --mac 00:00:00:00:00:00: expected the realserver's unicast MAC as xx:xx:xx:xx:xx:xx");
    refused({tool, "--ttl", "0", vip, rip}, "bad --ttl 0: expected 1 to 255");
    refused({tool, "-a", "0", vip, rip}, "bad --attempts 0: expected 1 to 100");
    refused({tool, "-a", "1000", vip, rip}, "bad --attempts 1000: expected 1 to 100");
    refused({tool, "--arp-leak", "--encap", "ipip", vip, rip},
            "--arp-leak: the ARP-leak test asks a realserver on this link about the VIP, not one behind --encap: test "
            "the tunnel realserver's ARP from a host on its own link");
    refused({tool, "--encap", "gue", vip, rip}, "--encap gue needs --encap-port: the realserver's GUE port from 1 to "
                                                "65535 (keepalived's `lvs_method TUN type gue port NUM`)");
    refused({tool, "--encap", "gre", "--encap-port", "5555", vip, rip},
            "--encap-port 5555 applies only to --encap gue");
    refused({tool, "--encap-port", "5555", vip, rip}, "--encap-port 5555 applies only to --encap gue");
    // A port the kind needs, also in ldirectord's form (a fwmark service with RPORT 0).
    CHECK(tool_refusal(tcp, syn, {"vip-tcp-check", vip, "0", rip}) ==
          "bad PORT 0: vip-tcp-check probes a TCP port from 1 to 65535");
    CHECK(tool_refusal(tcp, syn, {"vip-tcp-check", "--vip", vip, "7", "0", rip, "0"}) ==
          "bad PORT 0: vip-tcp-check probes a TCP port from 1 to 65535");
    // vip-arp-check, the ARP-leak test itself, has neither --encap nor --arp-leak to
    // give: both are usage errors before any rule (and the rule refuses both, see
    // test_target_rules.cpp).
    CHECK(tool_refusal(arp_tool, arp, {"vip-arp-check", "--encap", "ipip", vip, rip}) == "(usage error)");
    CHECK(tool_refusal(arp_tool, arp, {"vip-arp-check", "--arp-leak", vip, rip}) == "(usage error)");
    CHECK(tool_refusal(arp_tool, arp, {"vip-arp-check", vip, "2001:db8::11"}) ==
          "VIP 198.51.100.10 and RIP 2001:db8::11 are of different address families: a direct-routing probe uses "
          "one family");
}

namespace {

ProbeOptions vip_http_options(const std::vector<std::string>& positionals, const CommonOptions& common = {},
                              const HttpArgs& args = {})
{
    const VipHttpPositionals p = split_vip_http_positionals(positionals, common.vip);
    return vip_http_probe_options(common, p, parse_http_target(p.url, args));
}

} // namespace

TEST_CASE("vip-http-check: the VIP read once, and the same target rule")
{
    auto o = vip_http_options({"http://198.51.100.10:8080/health", "192.0.2.11"});
    CHECK(o.target.vip == *IpAddress::parse("198.51.100.10"));
    CHECK(o.target.rip == *IpAddress::parse("192.0.2.11"));
    CHECK(o.target.port == 8080);
    CHECK_FALSE(o.target.ldirectord_form);

    // ldirectord's form: the VIP is the one read from the arguments, the port the
    // URL's (--port may override VPORT).
    HttpArgs port;
    port.port = "8081";
    o = vip_http_options({"[2001:db8::10]", "80", "2001:db8::11", "80"}, {}, port);
    CHECK(o.target.vip == *IpAddress::parse("2001:db8::10"));
    CHECK(o.target.port == 8081);
    CHECK(o.target.ldirectord_form);
    CommonOptions fwmark;
    fwmark.vip = "198.51.100.10";
    o = vip_http_options({"7", "0", "192.0.2.11", "80"}, fwmark);
    CHECK(o.target.vip == *IpAddress::parse("198.51.100.10"));
    CHECK(o.target.port == 80);

    CHECK_THROWS_WITH(vip_http_options({"http://192.0.2.11/", "192.0.2.11"}),
                      "VIP and RIP are both 192.0.2.11: give the realserver's own (management) address as RIP");
    CHECK_THROWS_WITH(vip_http_options({"http://224.0.0.1/", "192.0.2.11"}),
                      Catch::StartsWith("bad VIP 224.0.0.1: it must be a unicast address"));
    CHECK_THROWS_WITH(vip_http_options({"http://www.example.org/", "192.0.2.11"}),
                      "the URL's host 'www.example.org' must be the VIP's address (give a name with --host)");
    CommonOptions source;
    source.source = "198.51.100.10";
    CHECK_THROWS_WITH(vip_http_options({"http://198.51.100.10/", "192.0.2.11"}, source),
                      Catch::StartsWith("--source 198.51.100.10 is the VIP"));
    // Its command line has no --encap; the rule refuses it all the same.
    CommonOptions encap;
    encap.encap = "ipip";
    CHECK_THROWS_WITH(vip_http_options({"http://198.51.100.10/", "192.0.2.11"}, encap),
                      "--encap: vip-http-check speaks to direct-routing realservers only");
}
