#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "vipcheck/cli.hpp"
#include "http/http_check.hpp"
#include "vipcheck/tool.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/options.hpp"

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
    CHECK_THROWS_WITH(parse_probe_target(V{"198.51.100.10", "0", "192.0.2.11"}, PortUse::Required, ""),
                      Catch::Contains("PORT 0"));
    CHECK_THROWS_WITH(parse_probe_target(V{"192.0.2.11", "192.0.2.11"}, PortUse::None, ""),
                      Catch::Contains("both 192.0.2.11"));
    CHECK_THROWS_WITH(parse_probe_target(V{"224.0.0.1", "192.0.2.11"}, PortUse::None, ""),
                      Catch::Contains("unicast"));
    CHECK_THROWS_WITH(parse_probe_target(V{"255.255.255.255", "192.0.2.11"}, PortUse::None, ""),
                      Catch::Contains("unicast"));
    CHECK_THROWS_WITH(parse_probe_target(V{"198.51.100.10", "192.0.2.11"}, PortUse::None, "198.51.100.99"),
                      Catch::Contains("contradicts"));
}

TEST_CASE("common options are checked")
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

    auto bad = [&](auto change, const char* needle) {
        CommonOptions b;
        change(b);
        CHECK_THROWS_WITH(make_probe_options(b, target), Catch::Contains(needle));
    };
    bad([](CommonOptions& b) { b.timeout = "5parsecs"; }, "'5parsecs'");
    bad([](CommonOptions& b) { b.timeout = "-1s"; }, "--timeout");
    bad([](CommonOptions& b) { b.attempts = 0; }, "--attempts 0");
    bad([](CommonOptions& b) { b.attempts = 1000; }, "--attempts 1000");
    bad([](CommonOptions& b) { b.ttl = 0; }, "--ttl 0");
    bad([](CommonOptions& b) { b.ttl = 256; }, "--ttl 256");
    bad([](CommonOptions& b) { b.mac = "ff:ff:ff:ff:ff:ff"; }, "--mac");
    bad([](CommonOptions& b) { b.mac = "nonsense"; }, "'nonsense'");
    bad([](CommonOptions& b) { b.source = "198.51.100.10"; }, "is the VIP");
    bad([](CommonOptions& b) { b.source = "2001:db8::2"; }, "different address families");
    bad([](CommonOptions& b) { b.interface = std::string(40, 'x'); }, "bad interface name");
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

TEST_CASE("check_probe_target: a target built without parse_probe_target meets the same rules")
{
    // vip-http-check takes the VIP from a URL; it must not escape the VIP checks.
    ProbeTarget t;
    t.rip = *IpAddress::parse("192.0.2.11");
    t.port = 80;
    t.vip = *IpAddress::parse("198.51.100.10");
    CHECK_NOTHROW(check_probe_target(t));
    t.vip = *IpAddress::parse("224.0.0.1");
    CHECK_THROWS_WITH(check_probe_target(t), Catch::StartsWith("bad VIP 224.0.0.1: it must be a unicast address"));
    t.vip = t.rip;
    CHECK_THROWS_WITH(check_probe_target(t), Catch::StartsWith("VIP and RIP are both 192.0.2.11"));
    t.vip = *IpAddress::parse("198.51.100.10");
    t.rip = *IpAddress::parse("127.0.0.1");
    CHECK_THROWS_WITH(check_probe_target(t), Catch::StartsWith("bad RIP 127.0.0.1"));
}
