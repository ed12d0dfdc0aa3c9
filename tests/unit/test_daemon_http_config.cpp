// vipcheckd's kind mgmt-http and the services plane mgmt-http: mgmt-http-check's options
// read from the YAML, {rip} in the URL, the tool's own refusals at the field's line, and
// reload equality over the HTTP settings (vipcheckd(8), kind mgmt-http).
#include <catch2/catch.hpp>

#include "daemon/daemon_config.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;

namespace {

std::string error_of(const std::string& text)
{
    try {
        parse_daemon_config(text, "h.yaml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(accepted)";
}

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

const char* full = R"(timeout: 2s
targets:
  - name: mgmt1
    kind: mgmt-http
    rip: 192.0.2.11
    url: "https://{rip}:8443/health?rs={rip}"
    expect_status: 200-299,304
    expect_body: "^OK$"
    max_body: 64k
    host: www.example.test
    header:
      - "X-Check: vipcheckd"
      - "Accept: text/plain"
    insecure: true
    follow: yes
    attempts: 2
    timeout: 900ms
    interval: 10s
    source: 192.0.2.2
  - {name: mgmt2, kind: mgmt-http, rip: "2001:db8::12", url: "http://{rip}/", method: head, header: "X-A: b"}
)";

} // namespace

TEST_CASE("mgmt-http: {rip} is the host as a URL spells it", "[daemon-http]")
{
    CHECK(url_with_rip("http://{rip}:8080/health", ip("192.0.2.11")) == "http://192.0.2.11:8080/health");
    CHECK(url_with_rip("http://{rip}:8080/x?rip={rip}", ip("2001:db8::11")) ==
          "http://[2001:db8::11]:8080/x?rip=[2001:db8::11]");
    CHECK(url_with_rip("http://mgmt.example.test/", ip("192.0.2.11")) == "http://mgmt.example.test/");
    CHECK(url_with_rip("http://{rip", ip("192.0.2.11")) == "http://{rip");
    IpAddress scoped = ip("fe80::1");
    scoped.set_scope_id(1);
    if (scoped.str().find('%') != std::string::npos) // the zone only when the index has a name here
        CHECK(url_with_rip("http://{rip}/", scoped).find("%25") != std::string::npos);
}

TEST_CASE("mgmt-http: every option of mgmt-http-check, checked by its own rules", "[daemon-http]")
{
    const auto c = parse_daemon_config(full, "h.yaml");
    REQUIRE(c.targets.size() == 2);
    const auto& t = c.targets[0];
    CHECK(t.kind->name == "mgmt-http");
    CHECK(t.kind->kind == nullptr);
    REQUIRE(t.http);
    REQUIRE(t.http->options);
    const HttpOptions& o = *t.http->options;
    CHECK(t.http->url == "https://192.0.2.11:8443/health?rs=192.0.2.11");
    CHECK(o.target.display == "https://192.0.2.11:8443/health?rs=192.0.2.11");
    CHECK(o.target.url == "https://www.example.test:8443/health?rs=192.0.2.11");
    CHECK(o.target.connect_to == "www.example.test:8443:192.0.2.11:8443");
    CHECK(o.expect_status.str() == "200-299,304");
    REQUIRE(o.expect_body);
    CHECK(o.expect_body->search("status\nOK\n"));
    CHECK(o.max_body == 64 * 1024);
    CHECK(o.headers == std::vector<std::string>{"X-Check: vipcheckd", "Accept: text/plain"});
    CHECK(o.insecure);
    CHECK(o.follow);
    CHECK(o.attempts == 2);
    CHECK(o.timeout == 900ms);
    CHECK(t.interval == 10s);
    REQUIRE(o.source);
    CHECK(o.source->str() == "192.0.2.2");

    const HttpOptions& v6 = *c.targets[1].http->options;
    CHECK(v6.target.display == "http://[2001:db8::12]/");
    CHECK(v6.method == HttpMethod::Head);
    CHECK(v6.timeout == 2s); // the file's
    CHECK(v6.headers == std::vector<std::string>{"X-A: b"});
    CHECK(v6.expect_status.str() == "200");
}

TEST_CASE("mgmt-http: a refused value is mgmt-http-check's message at the field's line", "[daemon-http]")
{
    const std::string head = "targets:\n  - name: m\n    kind: mgmt-http\n    rip: 192.0.2.11\n";
    const std::string url = "    url: http://{rip}:8080/\n";
    CHECK(error_of(head) == "h.yaml:2: target 'm': missing field 'url' (such as http://{rip}:8080/health)");
    CHECK(error_of(head + "    url: ftp://{rip}/\n") ==
          "h.yaml:5: target 'm': bad URL 'ftp://192.0.2.11/': only http:// and https:// can be checked");
    CHECK(error_of(head + url + "    expect_status: 2xx\n") ==
          "h.yaml:6: target 'm': bad expect_status '2xx' at '2xx': expected status codes 100-599 and ranges like "
          "200,204,300-399");
    CHECK(error_of(head + url + "    max_body: 2T\n") ==
          "h.yaml:6: target 'm': bad max_body '2T': expected bytes from 0 to 1GiB such as 65536, 64k or 1MiB");
    CHECK(error_of(head + url + "    digest: abc\n") ==
          "h.yaml:6: target 'm': bad digest 'abc': expected 32 hex digits (an MD5 as genhash prints it)");
    CHECK(error_of(head + url + "    expect_body: \"(\"\n").starts_with("h.yaml:6: target 'm': bad expect_body '('"));
    CHECK(error_of(head + url + "    method: POST\n") == "h.yaml:6: target 'm': bad method 'POST': expected GET or HEAD");
    CHECK(error_of(head + url + "    header: [\"no colon\"]\n") ==
          "h.yaml:6: target 'm': bad header 'no colon': expected 'Name: value'");
    CHECK(error_of(head + url + "    ca: /nonexistent/ca.pem\n") ==
          "h.yaml:6: target 'm': cannot read ca '/nonexistent/ca.pem': No such file or directory");
    CHECK(error_of(head + url + "    key: /etc/hostname\n") ==
          "h.yaml:6: target 'm': key needs cert: the client certificate it belongs to");
    CHECK(error_of(head + url + "    insecure: true\n    ca: /etc/hostname\n") ==
          "h.yaml:6: target 'm': insecure and ca contradict each other: verify against the CA, or do not verify");
    CHECK(error_of(head + url + "    method: HEAD\n    digest: 00000000000000000000000000000000\n") ==
          "h.yaml:6: target 'm': method HEAD fetches no body: expect_body, digest and --print-digest need GET");
    CHECK(error_of(head + url + "    attempts: 0\n") == "h.yaml:6: target 'm': bad attempts 0: expected 1 to 100");
    CHECK(error_of(head + url + "    source: 2001:db8::2\n") ==
          "h.yaml:6: target 'm': source 2001:db8::2 and 192.0.2.11 are of different address families");
    CHECK(error_of(head + url + "    follow: maybe\n") == "h.yaml:6: target 'm': field 'follow': 'maybe' is not true or false");
    // A field of the frame kinds is a mistake, and the other way round.
    CHECK(error_of(head + url + "    ttl: 2\n") ==
          "h.yaml:6: target 'm': field 'ttl': kind mgmt-http connects from the kernel's own TCP to the rip: it has "
          "no 'ttl'");
    CHECK(error_of("targets:\n  - {name: i, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11,\n     expect_status: 200}\n") ==
          "h.yaml:3: target 'i': field 'expect_status': 'expect_status' belongs to kinds mgmt-http and http");
    CHECK(error_of(head + url + "    timeout: 6s\n") == "h.yaml:2: target 'm': timeout 6s is longer than its interval 5s");
}

TEST_CASE("mgmt-http: a reload keeps a target whose HTTP settings did not change", "[daemon-http]")
{
    const auto before = parse_daemon_config(full, "h.yaml");
    const auto again = parse_daemon_config(full, "h.yaml");
    CHECK(again.targets[0] == before.targets[0]);
    CHECK(again.targets[1] == before.targets[1]);
    // The shared options are rebuilt, not compared: equality is over what was written.
    CHECK(again.targets[0].http->options != before.targets[0].http->options);
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"expect_body: \"^OK$\"", "expect_body: \"^Ok$\""},
             {"max_body: 64k", "max_body: 65k"},
             {"- \"Accept: text/plain\"", "- \"Accept: text/html\""},
             {"follow: yes", "follow: no"},
             {"host: www.example.test", "host: www2.example.test"},
             {":8443/health", ":8444/health"},
             {"expect_status: 200-299,304", "expect_status: 200-299"},
             {"timeout: 900ms", "timeout: 800ms"}}) {
        std::string text = full;
        text.replace(text.find(from), from.size(), to);
        const auto after = parse_daemon_config(text, "h.yaml");
        INFO(to);
        CHECK(after.targets[0] != before.targets[0]);
        CHECK(after.targets[1] == before.targets[1]);
    }
}

TEST_CASE("services: plane mgmt-http, one target SERVICE.RIP.mgmt-http per realserver", "[daemon-http][services]")
{
    const auto c = parse_daemon_config(R"(services:
  - name: web
    vip: 198.51.100.10
    port: 80
    planes: [vip-icmp, vip-syn, mgmt-http]
    timeout: 300ms
    mgmt_http: {url: "http://{rip}:8080/health", expect_status: 200, timeout: 900ms, attempts: 1}
    realservers:
      - rip: 192.0.2.11
      - rip: 192.0.2.12
  - name: v6
    vip: 2001:db8:100::10
    planes: [vip-icmp, mgmt-http]
    mgmt_http: {url: "http://{rip}:8080/health"}
    realservers:
      - rip: 2001:db8::12
)",
                                       "h.yaml");
    REQUIRE(c.targets.size() == 8);
    const auto& m = c.targets[2];
    CHECK(m.name == "web.192.0.2.11.mgmt-http");
    CHECK(m.kind->name == "mgmt-http");
    CHECK(m.service == "web");
    REQUIRE(m.http);
    CHECK(m.http->options->target.display == "http://192.0.2.11:8080/health");
    CHECK(m.http->options->timeout == 900ms);
    CHECK(m.http->options->attempts == 1);
    CHECK(c.targets[0].options.timeout == 300ms); // the other planes keep the service's
    CHECK(c.targets[5].http->options->target.display == "http://192.0.2.12:8080/health");
    CHECK(c.targets[7].name == "v6.2001-db8--12.mgmt-http");
    CHECK(c.targets[7].http->options->target.display == "http://[2001:db8::12]:8080/health");
    REQUIRE(c.services[0].realservers[0].targets.size() == 3);
    CHECK(c.services[0].realservers[0].targets[2] == std::pair<Plane, std::string>{Plane::MgmtHttp, m.name});
    // The default depool_on is every vip-* plane: management informs only.
    CHECK(!c.services[0].rules.depool_on.contains(Plane::MgmtHttp));
}

TEST_CASE("services: mgmt_http's refusals name the line and the fix", "[daemon-http][services]")
{
    const std::string head = "services:\n  - name: web\n    vip: 198.51.100.10\n";
    const std::string rs = "    realservers:\n      - rip: 192.0.2.11\n";
    CHECK(error_of(head + "    planes: [vip-icmp, mgmt-http]\n" + rs) ==
          "h.yaml:4: service 'web': plane mgmt-http needs the service's 'mgmt_http' (such as {url: "
          "\"http://{rip}:8080/health\"})");
    CHECK(error_of(head + "    planes: [vip-icmp]\n    mgmt_http: {url: \"http://{rip}/\"}\n" + rs) ==
          "h.yaml:5: service 'web': field 'mgmt_http': it checks nothing without plane mgmt-http in 'planes'");
    CHECK(error_of(head + "    planes: [vip-icmp, mgmt-http]\n    mgmt_http: {url: \"http://192.0.2.9/\"}\n" + rs) ==
          "h.yaml:5: service 'web': field 'mgmt_http': field 'url': 'http://192.0.2.9/' has no {rip}: each "
          "realserver's management address is its rip, as in http://{rip}:8080/health");
    CHECK(error_of(head + "    planes: [vip-icmp, mgmt-http]\n    mgmt_http: {url: \"http://{rip}/\", ttl: 3}\n" + rs) ==
          "h.yaml:5: service 'web': field 'mgmt_http': unknown field 'ttl' (known: url, expect_status, expect_body, "
          "digest, max_body, host, method, header, ca, cert, key, insecure, follow, timeout, attempts)");
    CHECK(error_of(head + "    planes: [vip-icmp, mgmt-http]\n    mgmt_http:\n      url: \"http://{rip}/\"\n"
                          "      expect_status: 99\n" + rs) ==
          "h.yaml:7: service 'web' realserver 192.0.2.11 plane mgmt-http: bad expect_status '99' at '99': expected "
          "status codes 100-599 and ranges like 200,204,300-399");
    CHECK(error_of(head + "    planes: [vip-icmp, mgmt-http]\n    mgmt_http: {url: \"http://{rip}/\"}\n" + rs) == "(accepted)");
}
