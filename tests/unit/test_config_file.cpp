// The options file is as strict as vipcheckd's YAML (vip-icmp-check(8), FILES): every
// line it does not understand is an error naming the file, the line and the fix.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "cli/options_file.hpp"
#include "http/http_check.hpp"
#include "http/http_options.hpp"
#include "vipcheck/cli.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/tool.hpp"

using namespace vipcheck;
using Catch::Contains;
using Catch::StartsWith;

namespace {

constexpr const char* conf = "/etc/vipcheck.conf";

// A vip-icmp-check command line already parsed, ready for the file.
struct Icmp {
    CommandLine cli{probe_command({"vip-icmp-check", "test", PortUse::None})};
    explicit Icmp(std::vector<std::string> words = {})
    {
        words.insert(words.begin(), "vip-icmp-check");
        words.insert(words.end(), {"--config", "/dev/null", "198.51.100.10", "192.0.2.11"});
        std::vector<const char*> argv;
        for (const auto& w : words)
            argv.push_back(w.c_str());
        REQUIRE(cli.parse(static_cast<int>(argv.size()), argv.data()) == std::nullopt);
    }
    void apply(std::string_view text) { cli.apply_options_file(parse_options_file(text, conf)); }
};

std::string error_of(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("options file: an unknown section is an error with its line, not skipped", "[config-file]")
{
    const std::string e = error_of([] { parse_options_file("; typo\n\n[vip-icmp-chek]\ntimeout = 5parsecs\n", conf); });
    CHECK_THAT(e, StartsWith("/etc/vipcheck.conf:3: unknown section [vip-icmp-chek]: did you mean [vip-icmp-check]?"));
    CHECK_THAT(error_of([] { parse_options_file("[vipcheckd]\n", conf); }),
               StartsWith("/etc/vipcheck.conf:1: unknown section [vipcheckd]: the sections are [vip-icmp-check]"));
    // CLI11 reads an unclosed header as a bare key (a flag); it is still no section.
    CHECK_THAT(error_of([] { parse_options_file("[vip-icmp-check\n", conf); }),
               StartsWith("/etc/vipcheck.conf:1: '[vip-icmp-check' opens a section but does not close it"));
    CHECK_THAT(error_of([] { parse_options_file("[vip-icmp-check]\ntimeout = 1s\n[vip-syn-check\n", conf); }),
               StartsWith("/etc/vipcheck.conf:3: '[vip-syn-check' opens a section but does not close it"));
    // CLI11 takes [default] for "outside any section": not a binary's section either.
    CHECK_THAT(error_of([] { parse_options_file("[default]\n", conf); }),
               StartsWith("/etc/vipcheck.conf:1: unknown section [default]"));
    CHECK_THAT(error_of([] { parse_options_file("[vip-icmp-check]\n[DEFAULT]\ntimeout = 1s\n", conf); }),
               StartsWith("/etc/vipcheck.conf:2: unknown section [DEFAULT]"));
}

TEST_CASE("options file: every binary's section is allowed in the one file", "[config-file]")
{
    const OptionsFile f = parse_options_file("[vip-icmp-check]\ntimeout = 1s\n[vip-syn-check]\n[vip-arp-check]\n"
                                             "[vip-http-check]\n[mgmt-http-check]\npath = /health\n",
                                             conf);
    REQUIRE(f.settings.size() == 2);
    CHECK(f.settings[1].section == "mgmt-http-check");
    CHECK(f.settings[1].line == 7);
    // Another binary's settings are left to it.
    Icmp icmp;
    CHECK_NOTHROW(icmp.apply("[mgmt-http-check]\nexpect-status = 200\n[vip-icmp-check]\ntimeout = 2s\n"));
    CHECK(icmp.cli.common().timeout == "2s");
}

TEST_CASE("options file: a key outside any section is an error", "[config-file]")
{
    CHECK_THAT(error_of([] { parse_options_file("# header\ntimeout = 1s\n[vip-icmp-check]\n", conf); }),
               StartsWith("/etc/vipcheck.conf:2: 'timeout = 1s' is outside any section: put it under the section"));
}

TEST_CASE("options file: a line that is no setting, section or comment is an error", "[config-file]")
{
    // CLI11 skips a line under three characters; the file's reader does not.
    CHECK_THAT(error_of([] { parse_options_file("[vip-icmp-check]\ntimeout = 1s\nab\n", conf); }),
               StartsWith("/etc/vipcheck.conf:3: 'ab' is not KEY = VALUE"));
    CHECK_THAT(error_of([] { parse_options_file("[vip-icmp-check]\nt\ntimeout = 1s\n", conf); }),
               StartsWith("/etc/vipcheck.conf:2: 't' is not KEY = VALUE"));
    CHECK_THAT(error_of([] { parse_options_file("[vip-icmp-check]\nx=\n", conf); }),
               StartsWith("/etc/vipcheck.conf:2: 'x=' is not KEY = VALUE"));
    CHECK_THAT(error_of([] { parse_options_file("[vip-icmp-check]\nttl = 3\x01\n", conf); }),
               StartsWith("/etc/vipcheck.conf:2: control character 0x01"));
    CHECK_THAT(error_of([] { parse_options_file("[vip-icmp-check]\n= 1s\n", conf); }),
               StartsWith("/etc/vipcheck.conf:2: '= 1s' is not KEY = VALUE"));
    CHECK_THAT(error_of([] { parse_options_file("[vip-icmp-check]\ninterface =\n", conf); }),
               StartsWith("/etc/vipcheck.conf:2: 'interface' has an empty value: leave the line out"));
}

TEST_CASE("options file: comments, blanks, quotes, CRLF and both spellings of a key", "[config-file]")
{
    const OptionsFile f =
        parse_options_file("; one\n# two\n\n[ vip-icmp-check ]\r\n  timeout=\"300ms\"  \r\narp_leak = yes\n", conf);
    REQUIRE(f.settings.size() == 2);
    CHECK(f.settings[0].key == "timeout");
    CHECK(f.settings[0].values == std::vector<std::string>{"300ms"});
    CHECK(f.settings[0].line == 5);
    CHECK(f.settings[1].key == "arp-leak");
    Icmp icmp;
    icmp.cli.apply_options_file(f);
    CHECK(icmp.cli.common().timeout == "300ms");
    CHECK(icmp.cli.common().arp_leak);
    // A bare key is a flag set to true, as CLI11 reads INI.
    for (const char* text : {"[vip-icmp-check]\narp-leak = true\n", "[vip-icmp-check]\narp_leak = true\n",
                             "[vip-icmp-check]\narp-leak\n"}) {
        Icmp other;
        other.apply(text);
        CHECK(other.cli.common().arp_leak);
    }
}

TEST_CASE("options file: an unknown key is an error naming the line and the likely key", "[config-file]")
{
    Icmp icmp;
    const std::string e = error_of([&] { icmp.apply("[vip-icmp-check]\ntimeout = 1s\ntimeuot = 2s\n"); });
    CHECK_THAT(e, StartsWith("/etc/vipcheck.conf:3: unknown setting 'timeuot' in [vip-icmp-check]: did you mean "
                             "'timeout'?"));
    CHECK_THAT(e, Contains("arp-leak"));
    // Not a setting: the file is not a command line.
    for (const char* key : {"config", "help", "version", "args", "t"}) {
        CAPTURE(key);
        Icmp other;
        CHECK_THAT(error_of([&] { other.apply(std::string("[vip-icmp-check]\n") + key + " = 1\n"); }),
                   StartsWith(std::string("/etc/vipcheck.conf:2: unknown setting '") + key + "'"));
    }
    // vip-arp-check has no --arp-leak: the same key in its section is unknown there.
    CommandLine arp(probe_command({"vip-arp-check", "test", PortUse::None, arp_check_options}));
    CHECK_THAT(error_of([&] { arp.apply_options_file(parse_options_file("[vip-arp-check]\narp-leak = true\n", conf)); }),
               StartsWith("/etc/vipcheck.conf:2: unknown setting 'arp-leak' in [vip-arp-check]"));
}

TEST_CASE("options file: a bad value is an error with its line", "[config-file]")
{
    const auto bad = [](const std::string& setting, const std::string& want) {
        CAPTURE(setting);
        Icmp icmp;
        CHECK_THAT(error_of([&] { icmp.apply("[vip-icmp-check]\n\n" + setting + "\n"); }),
                   StartsWith("/etc/vipcheck.conf:3: " + want));
    };
    bad("timeout = 5parsecs", "bad --timeout '5parsecs': expected a duration");
    bad("attempts = many", "bad attempts = many: ");
    bad("attempts = 1000", "bad --attempts 1000: expected 1 to 100");
    bad("ttl = 0", "bad --ttl 0: expected 1 to 255");
    bad("mac = ff:ff:ff:ff:ff:ff", "bad --mac 'ff:ff:ff:ff:ff:ff'");
    bad("source = 224.0.0.1", "bad --source '224.0.0.1'");
    bad("interface = eth0/1", "bad interface name 'eth0/1'");
    bad("encap = vxlan", "bad encap = vxlan: ");
    bad("arp-leak = maybe", "bad arp-leak = maybe: ");
    Icmp icmp;
    CHECK_THAT(error_of([&] { icmp.apply("[vip-icmp-check]\n\ntimeout = 1s\nttl = 3\ntimeout = 2s\n"); }),
               StartsWith("/etc/vipcheck.conf:5: 'timeout' is set again (first on line 3): keep one"));
    // CLI11 makes one setting of consecutive lines of one key: its first line is named.
    Icmp twice;
    CHECK_THAT(error_of([&] { twice.apply("[vip-icmp-check]\n\ntimeout = 1s\ntimeout = 2s\n"); }),
               StartsWith("/etc/vipcheck.conf:3: 'timeout' takes one value, not 2"));
}

TEST_CASE("options file: the command line wins, and the file's value is still checked", "[config-file]")
{
    Icmp icmp({"-t", "700ms", "-a", "2"});
    icmp.apply("[vip-icmp-check]\ntimeout = 2s\nattempts = 5\nttl = 3\n");
    CHECK(icmp.cli.common().timeout == "700ms");
    CHECK(icmp.cli.common().attempts == 2);
    CHECK(icmp.cli.common().ttl == 3);
    Icmp strict({"-t", "700ms"});
    CHECK_THAT(error_of([&] { strict.apply("[vip-icmp-check]\ntimeout = 5parsecs\n"); }),
               StartsWith("/etc/vipcheck.conf:2: bad --timeout '5parsecs'"));
}

TEST_CASE("options file: options that exclude each other, one of them from the file", "[config-file]")
{
    Icmp icmp({"--nagios"});
    CHECK(error_of([&] { icmp.apply("[vip-icmp-check]\n\njson = true\n"); }) ==
          "--json (/etc/vipcheck.conf:3) excludes --nagios (the command line): keep one");
}

TEST_CASE("options file: parse() fails closed with exit 1 (3 with --nagios) on a bad file", "[config-file]")
{
    char path[] = "/tmp/vipcheck-test-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(path) << "[vip-icmp-chek]\ntimeout = 5parsecs\n";
    const auto run = [&](std::vector<std::string> extra) {
        std::vector<std::string> words{"vip-icmp-check", "--config", path};
        words.insert(words.end(), extra.begin(), extra.end());
        words.insert(words.end(), {"198.51.100.10", "192.0.2.11"});
        std::vector<const char*> argv;
        for (const auto& w : words)
            argv.push_back(w.c_str());
        CommandLine cli(probe_command({"vip-icmp-check", "test", PortUse::None}));
        return cli.parse(static_cast<int>(argv.size()), argv.data());
    };
    CHECK(run({}) == 1);
    CHECK(run({"--nagios"}) == 3);
    std::ofstream(path) << "[vip-icmp-check]\ntimeout = 5s\n";
    CHECK(run({}) == std::nullopt);
    std::remove(path);
    CHECK(run({}) == 1); // a --config that names no file
}

TEST_CASE("options file: a value is whole to the end of the line, one value a line", "[config-file]")
{
    const OptionsFile f = parse_options_file("[mgmt-http-check]\nexpect-body = ^status: ready #1$\n"
                                             "header = \"X-Health-Check: 1, 2\"\nheader = 'Accept: text/plain'\n"
                                             "path = /a.b\n",
                                             conf);
    REQUIRE(f.settings.size() == 3);
    CHECK(f.settings[0].values == std::vector<std::string>{"^status: ready #1$"});
    CHECK(f.settings[1].values == std::vector<std::string>{"X-Health-Check: 1, 2", "Accept: text/plain"});
    CHECK(f.settings[1].line == 3);
    CHECK(f.settings[2].values == std::vector<std::string>{"/a.b"});
    CHECK(f.settings[2].line == 5);
    CHECK_THAT(error_of([] { parse_options_file("[mgmt-http-check]\nheader = \"X-A: 1\n", conf); }),
               StartsWith("/etc/vipcheck.conf:2: \" opens the value of 'header' and no \" closes it"));
    CHECK_THAT(error_of([] { parse_options_file("[mgmt-http-check]\nheader = \"X-A: 1\" 'X-B'\n", conf); }),
               StartsWith("/etc/vipcheck.conf:2: \" opens the value of 'header' and no \" closes it"));
    CHECK_THAT(error_of([] {
                   parse_options_file("[mgmt-http-check]\npath = /\nheader = \"X-A: 1\" \"X-B: 2\"\n", conf);
               }),
               StartsWith("/etc/vipcheck.conf:3: 'header' has several quoted values on one line"));
    CHECK_THAT(error_of([] { parse_options_file("[mgmt-http-check]\npath = \"\"\n", conf); }),
               StartsWith("/etc/vipcheck.conf:2: 'path' has an empty value"));
    // A value past the first of a run of lines is checked on its own line.
    CHECK_THAT(error_of([] { parse_options_file("[mgmt-http-check]\nheader = X-A: 1\nheader =\n", conf); }),
               StartsWith("/etc/vipcheck.conf:3: 'header' has an empty value"));
    Icmp flag;
    CHECK_THAT(error_of([&] { flag.apply("[vip-icmp-check]\narp-leak = true\narp_leak = false\n"); }),
               StartsWith("/etc/vipcheck.conf:3: 'arp-leak' is set again (first on line 2)"));
}

TEST_CASE("options file: a repeatable option takes one line per value", "[config-file]")
{
    CommandLine cli(mgmt_http_command());
    HttpArgs args;
    add_http_options(cli.app(), args, Redirects::Followable);
    const char* argv[] = {"mgmt-http-check", "--config", "/dev/null", "http://192.0.2.11/"};
    REQUIRE(cli.parse(4, argv) == std::nullopt);
    cli.apply_options_file(parse_options_file("[mgmt-http-check]\nheader = \"X-A: 1\"\nheader = X-B: 2\n"
                                              "expect_body = ^status: ready$\nheader = X-C: 3\n",
                                              conf));
    CHECK(args.headers == std::vector<std::string>{"X-A: 1", "X-B: 2", "X-C: 3"});
    CHECK(args.expect_body == "^status: ready$");
}

TEST_CASE("options file: a typo's likely meaning is within two edits", "[config-file]")
{
    const std::vector<std::string> keys{"timeout", "attempts", "arp-leak"};
    CHECK(nearest_choice("timeuot", keys) == "timeout");
    CHECK(nearest_choice("arp_lek", keys) == "arp-leak");
    CHECK(nearest_choice("ttl", keys) == std::nullopt);
}
