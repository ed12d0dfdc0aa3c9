// vipcheckd's kind http: vip-http-check's options read from the YAML, the VIP taken from
// the URL, the tool's own refusals (make_http_options, vip_http_probe_options and its
// check_target_rules) at the field's line, and reload equality over every setting.
#include <catch2/catch.hpp>

#include <algorithm>

#include "daemon/config_reader.hpp"
#include "daemon/daemon_config.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;

namespace {

std::string error_of(const std::string& text)
{
    try {
        parse_daemon_config(text, "v.yaml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(accepted)";
}

const char* full = R"(timeout: 2s
targets:
  - name: web1
    kind: http
    rip: 192.0.2.11
    url: "https://198.51.100.10:8443/healthz"
    host: www.example.test
    expect_status: 200-299
    expect_body: "^OK$"
    max_body: 64k
    ca: /etc/ssl/certs/ca-certificates.crt
    ttl: 2
    mac: 02:00:00:00:00:11
    interface: eth1
    attempts: 4
    timeout: 900ms
    interval: 10s
  - {name: web6, kind: http, vip: "2001:db8:100::10", rip: "2001:db8::12", url: "http://[2001:db8:100::10]/",
     method: head, header: "Connection: keep-alive"}
)";

} // namespace

TEST_CASE("kind http: vip-http-check's options, the VIP and port from the URL", "[daemon-vip-http]")
{
    const auto c = parse_daemon_config(full, "v.yaml");
    REQUIRE(c.targets.size() == 2);
    const TargetConfig& t = c.targets[0];
    CHECK(t.kind->name == "http");
    CHECK(t.kind->at_vip);
    CHECK(t.kind->kind == nullptr);
    CHECK(t.options.target.vip.str() == "198.51.100.10");
    CHECK(t.options.target.rip.str() == "192.0.2.11");
    CHECK(t.options.target.port == 8443);
    CHECK(t.options.ttl == 2);
    REQUIRE(t.options.mac);
    CHECK(t.options.mac->str() == "02:00:00:00:00:11");
    CHECK(t.options.interface == "eth1");
    CHECK(t.options.attempts == 4); // the neighbour resolution's, as the tool's --attempts
    CHECK(t.options.timeout == 900ms);
    REQUIRE(t.http);
    const HttpOptions& o = *t.http->options;
    CHECK(t.http->url == "https://198.51.100.10:8443/healthz");
    CHECK(o.target.url == "https://www.example.test:8443/healthz");
    CHECK(o.expect_status.str() == "200-299");
    CHECK(o.max_body == 64 * 1024);
    CHECK(o.timeout == 900ms);
    // vip-http-check's request: one transfer, the realserver closes first.
    CHECK(o.attempts == 1);
    CHECK(std::count(o.headers.begin(), o.headers.end(), "Connection: close") == 1);

    const TargetConfig& v6 = c.targets[1];
    CHECK(v6.options.target.vip.str() == "2001:db8:100::10");
    CHECK(v6.options.target.port == 80);
    CHECK(v6.options.timeout == 2s);
    CHECK(v6.http->options->method == HttpMethod::Head);
    CHECK(v6.http->options->headers == std::vector<std::string>{"Connection: keep-alive"});
}

TEST_CASE("kind http: refusals are the tool's, at the field's line", "[daemon-vip-http]")
{
    const std::string head = "targets:\n  - name: w\n    kind: http\n    rip: 192.0.2.11\n";
    CHECK(error_of(head + "    url: http://198.51.100.10/\n    port: 81\n") ==
          "v.yaml:6: target 'w': field 'port': kind http takes the port from its url");
    CHECK(error_of(head + "    url: http://198.51.100.10/\n    encap: ipip\n").find(
              "v.yaml:6: target 'w': field 'encap': kind http connects to the VIP on this link") == 0);
    CHECK(error_of(head + "    url: http://198.51.100.10/\n    vip: 198.51.100.11\n") ==
          "v.yaml:6: target 'w': field 'vip': 198.51.100.11 is not the URL's host 198.51.100.10: the URL names "
          "the VIP");
    CHECK(error_of(head + "    url: http://www.example.test/\n") ==
          "v.yaml:5: target 'w': the URL's host 'www.example.test' must be the VIP's address (give a name with host)");
    CHECK(error_of(head + "    url: http://198.51.100.10/\n    ttl: 0\n").find("v.yaml:6: target 'w': ") == 0);
    CHECK(error_of(head + "    url: http://198.51.100.10/\n    expect_status: 99\n").find(
              "v.yaml:6: target 'w': bad expect_status") == 0);
    CHECK(error_of(head + "    url: http://198.51.100.10/\n    rip: 198.51.100.10\n").find("v.yaml") == 0);
    CHECK(error_of(head) == "v.yaml:2: target 'w': missing field 'url' (such as http://{rip}:8080/health)");
    // vip-http-check has no --follow: a redirect names another URL, not this realserver at the VIP.
    CHECK(error_of(head + "    url: http://198.51.100.10/\n    follow: false\n") ==
          std::string("v.yaml:6: target 'w': field 'follow': ") + vip_http_no_follow);
    CHECK(error_of("services:\n  - name: web\n    vip: 198.51.100.10\n    port: 80\n    planes: [vip-http]\n"
                   "    vip_http: {path: /, follow: true}\n    realservers: [192.0.2.11]\n") ==
          std::string("v.yaml:6: service 'web': field 'vip_http': field 'follow': ") + vip_http_no_follow);
    CHECK(error_of("targets:\n  - {name: i, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11, url: http://x/}\n") ==
          "v.yaml:2: target 'i': field 'url': 'url' belongs to kinds mgmt-http and http");
}

TEST_CASE("kind http: equal settings compare equal, any change does not", "[daemon-vip-http]")
{
    const auto a = parse_daemon_config(full, "v.yaml");
    const auto b = parse_daemon_config(full, "v.yaml");
    CHECK(a.targets[0] == b.targets[0]);
    for (const auto& [from, to] : {std::pair<const char*, const char*>{"expect_body: \"^OK$\"", "expect_body: OK"},
                                   {"ttl: 2", "ttl: 3"},
                                   {"mac: 02:00:00:00:00:11", "mac: 02:00:00:00:00:12"},
                                   {"healthz", "health"},
                                   {"host: www.example.test", "host: web.example.test"},
                                   {"attempts: 4", "attempts: 3"}}) {
        std::string text = full;
        text.replace(text.find(from), std::string(from).size(), to);
        CAPTURE(to);
        CHECK_FALSE(parse_daemon_config(text, "v.yaml").targets[0] == a.targets[0]);
    }
}
