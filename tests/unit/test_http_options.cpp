// mgmt-http-check's option rules: pure parsing, no network.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "vipcheck/cli.hpp"
#include "vipcheck/error.hpp"
#include "http/http_check.hpp"
#include "http/http_options.hpp"

using namespace vipcheck;

TEST_CASE("status sets: codes, lists and ranges", "[http][options]")
{
    const auto one = StatusSet::parse("200");
    CHECK(one.contains(200));
    CHECK_FALSE(one.contains(201));
    CHECK(one.str() == "200");

    const auto many = StatusSet::parse("200,204,300-399");
    CHECK(many.contains(204));
    CHECK(many.contains(300));
    CHECK(many.contains(350));
    CHECK(many.contains(399));
    CHECK_FALSE(many.contains(205));
    CHECK_FALSE(many.contains(400));
    CHECK_FALSE(many.contains(0));
    CHECK(many.str() == "200,204,300-399");

    CHECK(StatusSet::parse(" 200 , 301 - 302 ").str() == "200,301-302");
    CHECK(StatusSet::parse("100-599").contains(599));
}

TEST_CASE("status sets: malformed text is an error naming it", "[http][options]")
{
    for (const char* bad : {"", "abc", "99", "600", "2000", "20a", "300-200", "200,", ",200", "200-", "-200",
                            "200--300", "2 00"}) {
        INFO("text: '" << bad << "'");
        CHECK_THROWS_AS(StatusSet::parse(bad), Error);
    }
    CHECK_THROWS_WITH(StatusSet::parse("200,abc"), Catch::Contains("'abc'"));
}

TEST_CASE("byte sizes take binary suffixes and stay within 1 GiB", "[http][options]")
{
    CHECK(parse_byte_size("0") == 0u);
    CHECK(parse_byte_size("1048576") == 1048576u);
    CHECK(parse_byte_size("64k") == 65536u);
    CHECK(parse_byte_size("64K") == 65536u);
    CHECK(parse_byte_size("64KiB") == 65536u);
    CHECK(parse_byte_size("1M") == 1048576u);
    CHECK(parse_byte_size("1MiB") == 1048576u);
    CHECK(parse_byte_size("1mb") == 1048576u);
    CHECK(parse_byte_size("1G") == 1073741824u);
    CHECK(parse_byte_size("512B") == 512u);
    for (const char* bad : {"", "k", "1.5M", "-1", "1T", "2G", "1025M", "1 M", "9999999999999"}) {
        INFO("text: '" << bad << "'");
        CHECK_FALSE(parse_byte_size(bad));
    }
    CHECK(format_byte_size(1 << 20) == "1 MiB");
    CHECK(format_byte_size(65536) == "64 KiB");
    CHECK(format_byte_size(1000) == "1000 bytes");
}

TEST_CASE("MD5 digests are 32 hex digits, normalised to lower case", "[http][options]")
{
    CHECK(parse_md5_hex("D41D8CD98F00B204E9800998ECF8427E") == std::string("d41d8cd98f00b204e9800998ecf8427e"));
    CHECK_FALSE(parse_md5_hex("d41d8cd98f00b204e9800998ecf8427"));   // 31
    CHECK_FALSE(parse_md5_hex("d41d8cd98f00b204e9800998ecf8427e0")); // 33
    CHECK_FALSE(parse_md5_hex("g41d8cd98f00b204e9800998ecf8427e"));
    CHECK_FALSE(parse_md5_hex(""));
}

TEST_CASE("body patterns are POSIX extended, line-anchored, NUL-safe", "[http][options]")
{
    const BodyPattern ok("^OK$");
    CHECK(ok.search("status\nOK\n"));
    CHECK_FALSE(ok.search("status: OK\n"));
    CHECK_FALSE(BodyPattern("a.b").search("a\nb"));
    CHECK(BodyPattern("a.b").search("xxaxbxx"));
    CHECK(BodyPattern("(up|ready)+").search("state=ready"));
    using namespace std::string_view_literals;
    CHECK(BodyPattern("tail").search("head\0tail"sv));
    CHECK_FALSE(BodyPattern("x").search(""));
    CHECK(BodyPattern("^$").search(""));
    CHECK_THROWS_AS(BodyPattern("("), Error);
    CHECK_THROWS_WITH(BodyPattern("a{2,1}"), Catch::Contains("--expect-body"));
}

namespace {

HttpArgs no_args()
{
    return HttpArgs{};
}

} // namespace

TEST_CASE("URL form: scheme, host and port come from the URL", "[http][target]")
{
    auto t = parse_http_target({"http://192.0.2.11:8080/"}, no_args());
    CHECK(t.url == "http://192.0.2.11:8080/");
    CHECK(t.display == t.url);
    CHECK(t.host == "192.0.2.11");
    CHECK(t.port == 8080);
    CHECK_FALSE(t.https);
    REQUIRE(t.literal);
    CHECK(t.literal->is_v4());
    CHECK(t.connect_to.empty());
    CHECK_FALSE(t.ldirectord_form);

    t = parse_http_target({"https://[2001:db8::11]/health?x=1"}, no_args());
    CHECK(t.https);
    CHECK(t.port == 443);
    REQUIRE(t.literal);
    CHECK_FALSE(t.literal->is_v4());
    CHECK(t.display == "https://[2001:db8::11]/health?x=1");

    t = parse_http_target({"http://rs1.example.test"}, no_args());
    CHECK(t.port == 80);
    CHECK_FALSE(t.literal);
    CHECK(t.display == "http://rs1.example.test/");
}

TEST_CASE("URL form: only http and https, with a host", "[http][target]")
{
    for (const char* bad : {"ftp://192.0.2.11/", "file:///etc/passwd", "192.0.2.11", "http://", "http://:80/",
                            "http://192.0.2.11:0/", "http://192.0.2.11:99999/", "http://a b/", "gopher://x/"}) {
        INFO("url: " << bad);
        CHECK_THROWS_AS(parse_http_target({bad}, no_args()), Error);
    }
    HttpArgs a;
    a.path = "/health";
    CHECK_THROWS_WITH(parse_http_target({"http://192.0.2.11/"}, a), Catch::Contains("VIP VPORT RIP RPORT"));
    CHECK_THROWS_WITH(parse_http_target({}, no_args()), Catch::Contains("0 arguments"));
    CHECK_THROWS_WITH(parse_http_target({"a", "b"}, no_args()), Catch::Contains("2 arguments"));
}

TEST_CASE("ldirectord form: VIP VPORT RIP RPORT fetches from RIP", "[http][target]")
{
    auto t = parse_http_target({"198.51.100.10", "80", "192.0.2.11", "8080"}, no_args());
    CHECK(t.ldirectord_form);
    CHECK(t.url == "http://192.0.2.11:8080/");

    HttpArgs a;
    a.scheme = "https";
    a.port = "8443";
    a.path = "/health";
    t = parse_http_target({"198.51.100.10", "443", "192.0.2.11", "443"}, a);
    CHECK(t.url == "https://192.0.2.11:8443/health");
    CHECK(t.https);

    t = parse_http_target({"[2001:db8::10]", "80", "[2001:db8::11]", "80"}, no_args());
    CHECK(t.url == "http://[2001:db8::11]:80/");

    // A fwmark service: nothing goes to the VIP, so no --vip is needed.
    t = parse_http_target({"7", "0", "192.0.2.11", "80"}, no_args());
    CHECK(t.url == "http://192.0.2.11:80/");

    CHECK_THROWS_WITH(parse_http_target({"7", "0", "192.0.2.11", "0"}, no_args()), Catch::Contains("--port"));
    a = {};
    a.port = "81";
    CHECK(parse_http_target({"7", "0", "192.0.2.11", "0"}, a).port == 81);
    a = {};
    a.scheme = "ftp";
    CHECK_THROWS_WITH(parse_http_target({"198.51.100.10", "80", "192.0.2.11", "80"}, a), Catch::Contains("--scheme"));
    a = {};
    a.path = "health";
    CHECK_THROWS_WITH(parse_http_target({"198.51.100.10", "80", "192.0.2.11", "80"}, a), Catch::Contains("--path"));
    CHECK_THROWS_WITH(parse_http_target({"vip", "80", "192.0.2.11", "80"}, no_args()), Catch::Contains("VIP"));
    CHECK_THROWS_WITH(parse_http_target({"198.51.100.10", "80", "rs1", "80"}, no_args()), Catch::Contains("RIP"));
    CHECK_THROWS_WITH(parse_http_target({"198.51.100.10", "80", "192.0.2.11", "x"}, no_args()),
                      Catch::Contains("RPORT"));
    CHECK_THROWS_WITH(parse_http_target({"198.51.100.10", "80", "0.0.0.0", "80"}, no_args()),
                      Catch::Contains("RIP"));
}

TEST_CASE("--host names the virtual host while the connection stays on the RIP", "[http][target]")
{
    HttpArgs a;
    a.host = "www.example.test";
    auto t = parse_http_target({"https://192.0.2.11:8443/x"}, a);
    CHECK(t.url == "https://www.example.test:8443/x");
    CHECK(t.display == "https://192.0.2.11:8443/x");
    CHECK(t.connect_to == "www.example.test:8443:192.0.2.11:8443");
    CHECK(t.host_header == "www.example.test");

    t = parse_http_target({"http://[2001:db8::11]/"}, a);
    CHECK(t.connect_to == "www.example.test:80:[2001:db8::11]:80");

    a.host = "bad host";
    CHECK_THROWS_WITH(parse_http_target({"http://192.0.2.11/"}, a), Catch::Contains("--host"));
    a.host = "a:b";
    CHECK_THROWS_AS(parse_http_target({"http://192.0.2.11/"}, a), Error);
}

TEST_CASE("make_http_options: defaults", "[http][options]")
{
    const CommonOptions common;
    const auto o = make_http_options(common, HttpArgs{}, {"http://192.0.2.11/"});
    CHECK(o.method == HttpMethod::Get);
    CHECK(o.expect_status.str() == "200");
    CHECK(o.max_body == 1u << 20);
    CHECK(o.timeout == std::chrono::seconds(1));
    CHECK(o.attempts == 3);
    CHECK_FALSE(o.expect_body);
    CHECK_FALSE(o.digest);
    CHECK_FALSE(o.source);
    CHECK(o.interface.empty());
    CHECK_FALSE(o.insecure);
    CHECK_FALSE(o.follow);
}

TEST_CASE("make_http_options: values are checked and combined", "[http][options]")
{
    CommonOptions common;
    common.timeout = "300ms";
    common.attempts = 2;
    common.source = "192.0.2.2";
    common.interface = "eth0";
    HttpArgs a;
    a.method = "head";
    a.expect_status = "200-299";
    a.max_body = "64k";
    a.headers = {"X-Check: 1", "X-Empty;", "Accept:"};
    a.follow = true;
    const auto o = make_http_options(common, a, {"http://192.0.2.11/"});
    CHECK(o.method == HttpMethod::Head);
    CHECK(o.timeout == std::chrono::milliseconds(300));
    CHECK(o.attempts == 2);
    REQUIRE(o.source);
    CHECK(o.source->str() == "192.0.2.2");
    CHECK(o.interface == "eth0");
    CHECK(o.max_body == 65536u);
    CHECK(o.headers.size() == 3);
    CHECK(o.follow);

    HttpArgs d;
    d.digest = "D41D8CD98F00B204E9800998ECF8427E";
    d.expect_body = "^ok";
    const auto od = make_http_options(CommonOptions{}, d, {"http://192.0.2.11/"});
    CHECK(od.digest == std::string("d41d8cd98f00b204e9800998ecf8427e"));
    REQUIRE(od.expect_body);
    CHECK(od.expect_body->search("ok\n"));
}

TEST_CASE("make_http_options: contradictions and bad values are errors", "[http][options]")
{
    const std::vector<std::string> url{"http://192.0.2.11/"};
    const auto fails = [&](CommonOptions c, HttpArgs a, const char* needle) {
        INFO("expecting an error containing: " << needle);
        CHECK_THROWS_WITH(make_http_options(c, a, url), Catch::Contains(needle));
    };
    HttpArgs a;
    a.method = "POST";
    fails({}, a, "--method");
    a = {};
    a.method = "HEAD";
    a.expect_body = "x";
    fails({}, a, "HEAD");
    a = {};
    a.method = "HEAD";
    a.print_digest = true;
    fails({}, a, "HEAD");
    a = {};
    a.print_digest = true;
    a.digest = "d41d8cd98f00b204e9800998ecf8427e";
    fails({}, a, "--print-digest");
    CommonOptions json;
    json.output.json = true;
    a = {};
    a.print_digest = true;
    fails(json, a, "--print-digest");
    a = {};
    a.digest = "abc";
    fails({}, a, "--digest");
    a = {};
    a.max_body = "lots";
    fails({}, a, "--max-body");
    a = {};
    a.expect_status = "2xx";
    fails({}, a, "--expect-status");
    a = {};
    a.expect_body = "[";
    fails({}, a, "--expect-body");
    for (const char* h : {"NoColon", ": value", "X-A: 1\r\nX-B: 2", "X A: 1", "X-A;b"}) {
        a = {};
        a.headers = {h};
        fails({}, a, "--header");
    }
    a = {};
    a.insecure = true;
    a.ca = "/etc/hostname";
    fails({}, a, "--insecure");
    a = {};
    a.key = "/etc/hostname";
    fails({}, a, "--key needs --cert");
    a = {};
    a.ca = "/nonexistent/ca.pem";
    fails({}, a, "/nonexistent/ca.pem");
    CommonOptions c;
    c.source = "2001:db8::2";
    fails(c, {}, "different address families");
    c = {};
    c.source = "not-an-ip";
    fails(c, {}, "--source");
    c = {};
    c.timeout = "5parsecs";
    fails(c, {}, "--timeout");
    c = {};
    c.attempts = 0;
    fails(c, {}, "--attempts");
    c = {};
    c.interface = "a/b";
    fails(c, {}, "interface");
}

TEST_CASE("the command line and the [mgmt-http-check] config section", "[http][cli]")
{
    char path[] = "/tmp/vipcheck-unit-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    {
        std::ofstream ini(path);
        ini << "[vip-icmp-check]\ntimeout = 5s\n"
               "[mgmt-http-check]\nscheme = https\npath = /health\nexpect-status = 200-299\ntimeout = 2s\n"
               "insecure = true\n";
    }
    CommandLine cli(mgmt_http_command());
    HttpArgs args;
    add_http_options(cli.app(), args, Redirects::Followable);
    // -H takes one word: the positional arguments after it stay positional.
    const char* argv[] = {"mgmt-http-check", "--config", path,        "-t",          "300ms",
                          "-H",              "X-A: 1",   "-H",        "X-B: 2",      "198.51.100.10",
                          "80",              "192.0.2.11", "8443"};
    const auto status = cli.parse(static_cast<int>(std::size(argv)), argv);
    std::remove(path);
    REQUIRE_FALSE(status);
    CHECK(args.scheme == "https");
    CHECK(args.path == "/health");
    CHECK(args.expect_status == "200-299");
    CHECK(args.insecure);
    CHECK(cli.common().timeout == "300ms"); // the command line wins over the file
    CHECK(args.headers == std::vector<std::string>{"X-A: 1", "X-B: 2"});
    REQUIRE(cli.positionals().size() == 4);
    const auto o = make_http_options(cli.common(), args, cli.positionals());
    CHECK(o.target.url == "https://192.0.2.11:8443/health");
    CHECK(o.timeout == std::chrono::milliseconds(300));
}

TEST_CASE("config file: unknown keys in the own section, unknown sections and keys outside one fail closed",
          "[http][cli]")
{
    char path[] = "/tmp/vipcheck-unit-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    const auto run = [&](const char* text, HttpArgs& args, CommonOptions& common) {
        std::ofstream(path) << text;
        CommandLine cli(mgmt_http_command());
        add_http_options(cli.app(), args, Redirects::Followable);
        const char* argv[] = {"mgmt-http-check", "--config", path, "http://192.0.2.11/"};
        const auto status = cli.parse(4, argv);
        common = cli.common();
        return status;
    };
    HttpArgs args;
    CommonOptions common;
    CHECK(run("[mgmt-http-check]\nbogus = 1\n", args, common) == 1);
    CHECK(run("timeout = 9s\n[mgmt-http-check]\nmethod = HEAD\n", args, common) == 1);
    CHECK(run("[other]\n[mgmt-http-check]\nmethod = HEAD\n", args, common) == 1);
    args = {};
    // Another binary's section is its own business: its keys are not read here.
    CHECK_FALSE(run("[vip-icmp-check]\nbogus = 1\ntimeout = 7s\n[mgmt-http-check]\nmethod = HEAD\n"
                    "timeout = 2s\nattempts = 5\n[vip-syn-check]\ntimeout = 8s\n",
                    args, common));
    CHECK(args.method == "HEAD");
    CHECK(common.timeout == "2s");
    CHECK(common.attempts == 5);
    std::remove(path);
}
