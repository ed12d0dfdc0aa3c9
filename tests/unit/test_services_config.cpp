// vipcheckd's `services:`: each (service, realserver, plane) one target read and
// checked as `targets:` are, the judge's rules and their defaults, every refusal at its
// line, and the --once line and object of a realserver (vipcheckd(8), SERVICES).
#include <catch2/catch.hpp>

#include <map>

#include "daemon/daemon_config.hpp"
#include "daemon/service_round.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;

namespace {

std::string error_of(const std::string& text)
{
    try {
        parse_daemon_config(text, "s.yaml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(accepted)";
}

const char* web = R"(timeout: 300ms
targets:
  - name: alone
    kind: icmp
    vip: 192.0.2.20
    rip: 192.0.2.11
services:
  - name: web
    vip: 198.51.100.10
    port: 80
    planes: [vip-icmp, vip-syn, arp]
    interface: eth1
    attempts: 2
    realservers:
      - rip: 192.0.2.11
      - rip: 192.0.2.12
        mac: 02:00:00:00:00:12
  - name: v6
    vip: 2001:db8:100::10
    planes: [vip-icmp]
    depool_on: [vip-icmp]
    rise: 4
    fall: 1
    min_up: 50%
    interval: 30s
    encap: gue
    encap_port: 5555
    realservers:
      - rip: 2001:db8::11
)";

// A service whose fields from line 3 on are `fields`.
std::string service(const std::string& fields) { return "services:\n  - name: web\n" + fields; }
const std::string base = "    vip: 198.51.100.10\n    port: 80\n";
const std::string one_rs = "    realservers:\n      - rip: 192.0.2.11\n";

} // namespace

TEST_CASE("services: one target per realserver and plane, named for its state file", "[services]")
{
    const auto c = parse_daemon_config(web, "s.yaml");
    REQUIRE(c.targets.size() == 1 + 2 * 3 + 1);
    CHECK(c.targets[0].name == "alone");
    CHECK(c.targets[0].service.empty());
    std::vector<std::string> names;
    for (std::size_t i = 1; i < c.targets.size(); ++i)
        names.push_back(c.targets[i].name);
    CHECK(names == std::vector<std::string>{"web.192.0.2.11.vip-icmp", "web.192.0.2.11.vip-syn",
                                            "web.192.0.2.11.arp", "web.192.0.2.12.vip-icmp",
                                            "web.192.0.2.12.vip-syn", "web.192.0.2.12.arp",
                                            "v6.2001-db8--11.vip-icmp"});
    const auto& icmp = c.targets[1];
    CHECK(icmp.service == "web");
    CHECK(icmp.kind->name == "icmp");
    CHECK(icmp.options.target.vip.str() == "198.51.100.10");
    CHECK(icmp.options.target.rip.str() == "192.0.2.11");
    CHECK(icmp.options.target.port == 0); // icmp has no port
    CHECK(icmp.options.interface == "eth1");
    CHECK(icmp.options.attempts == 2);
    CHECK(icmp.options.timeout == 300ms);
    CHECK(icmp.interval == 5s);
    CHECK(c.targets[2].kind->name == "syn");
    CHECK(c.targets[2].options.target.port == 80);
    CHECK(c.targets[3].kind->name == "arp");
    CHECK_FALSE(c.targets[1].options.mac);
    REQUIRE(c.targets[4].options.mac);
    CHECK(c.targets[4].options.mac->str() == "02:00:00:00:00:12");
    const auto& v6 = c.targets.back();
    CHECK(v6.interval == 30s);
    REQUIRE(v6.options.encap);
    CHECK(v6.options.encap_port == 5555);

    REQUIRE(c.services.size() == 2);
    const auto& s = c.services[0];
    CHECK(s.name == "web");
    CHECK(s.port == 80);
    REQUIRE(s.realservers.size() == 2);
    CHECK(s.realservers[1].key == "192.0.2.12");
    CHECK(s.realservers[1].targets ==
          std::vector<std::pair<Plane, std::string>>{{Plane::VipIcmp, "web.192.0.2.12.vip-icmp"},
                                                     {Plane::VipSyn, "web.192.0.2.12.vip-syn"},
                                                     {Plane::Arp, "web.192.0.2.12.arp"}});
}

TEST_CASE("services: the judge's defaults, and its rules as written", "[services]")
{
    const auto c = parse_daemon_config(web, "s.yaml");
    const auto& d = c.services[0].rules;
    CHECK(d.planes == PlaneSet{Plane::VipIcmp, Plane::VipSyn, Plane::Arp});
    CHECK(d.depool_on == PlaneSet{Plane::VipIcmp, Plane::VipSyn}); // the vip-* planes listed
    CHECK(d.rise == 2);
    CHECK(d.fall == 3);
    CHECK(d.min_up.kind == MinUp::Kind::None);
    const auto& w = c.services[1].rules;
    CHECK(w.rise == 4);
    CHECK(w.fall == 1);
    CHECK(w.min_up.kind == MinUp::Kind::Percent);
    CHECK(w.min_up.value == 50);
    const auto count = parse_daemon_config(service(base + "    planes: [vip-icmp]\n    min_up: 2\n" + one_rs), "s");
    CHECK(count.services[0].rules.min_up.kind == MinUp::Kind::Count);
    CHECK(count.services[0].rules.min_up.value == 2);
}

TEST_CASE("services: every refusal names the line, the service and the fix", "[services]")
{
    CHECK(error_of(service(base + "    planes: [vip-icmp, vip-http]\n" + one_rs)) ==
          "s.yaml:5: service 'web': plane vip-http needs the service's 'vip_http' (such as {path: /healthz, "
          "expect_status: 200})");
    CHECK(error_of(service(base + "    planes: [vip-icmp]\n    vip_http: { path: /healthz }\n" + one_rs)) ==
          "s.yaml:6: service 'web': field 'vip_http': it checks nothing without plane vip-http in 'planes'");
    CHECK(error_of(service("    vip: 198.51.100.10\n    planes: [vip-http]\n    vip_http: {path: /}\n" + one_rs)) ==
          "s.yaml:4: service 'web': plane vip-http needs the service's 'port'");
    CHECK(error_of(service(base + "    planes: [vip-http]\n    vip_http: {path: healthz}\n" + one_rs)) ==
          "s.yaml:6: service 'web': field 'vip_http': field 'path': 'healthz' does not start with '/'");
    CHECK(error_of(service(base + "    planes: [vip-http]\n    vip_http: {path: /, url: \"http://x/\"}\n" + one_rs))
              .starts_with("s.yaml:6: service 'web': field 'vip_http': unknown field 'url' (known: path, scheme,"));
    CHECK(error_of(service(base + "    planes: [vip-http]\n    encap: ipip\n    vip_http: {path: /}\n" + one_rs))
              .starts_with("s.yaml:6: service 'web': field 'encap': plane vip-http connects to the VIP on this link"));
    CHECK(error_of(service(base + "    planes: [vip-http]\n    vip_http: {path: /, expect_status: 99}\n" + one_rs))
              .starts_with("s.yaml:6: service 'web' realserver 192.0.2.11 plane vip-http: bad expect_status"));
    CHECK(error_of(service(base + "    planes: [vip-icmp, ping]\n" + one_rs)) ==
          "s.yaml:5: service 'web': field 'planes': unknown plane 'ping' (known: vip-icmp, vip-syn, vip-http, arp, "
          "mgmt-http)");
    CHECK(error_of(service(base + "    planes: [vip-icmp, vip-icmp]\n" + one_rs)) ==
          "s.yaml:5: service 'web': field 'planes': plane 'vip-icmp' twice");
    CHECK(error_of(service(base + "    planes: [vip-icmp, arp]\n    encap: ipip\n" + one_rs)) ==
          "s.yaml:6: service 'web' realserver 192.0.2.11 plane arp: kind arp is the ARP-leak test, which asks a "
          "realserver on this link about the VIP, not one behind encap: test the tunnel realserver's ARP from a "
          "host on its own link");
    CHECK(error_of(service("    vip: 198.51.100.10\n    planes: [vip-syn]\n" + one_rs)) ==
          "s.yaml:4: service 'web': plane vip-syn needs the service's 'port'");
    CHECK(error_of(service(base + "    planes: [arp]\n" + one_rs)) ==
          "s.yaml:5: service 'web': no plane can depool a realserver (depool_on is empty, and its default is the "
          "vip-* planes listed): list a vip-* plane in planes, or name planes in depool_on");
    CHECK_THAT(error_of(service(base + "    planes: [vip-icmp]\n    depool_on: [arp]\n" + one_rs)),
               Catch::StartsWith("s.yaml:6: service 'web': "));
    CHECK_THAT(error_of(service(base + "    planes: [vip-icmp]\n    rise: 0\n" + one_rs)),
               Catch::StartsWith("s.yaml:6: service 'web': "));
    CHECK(error_of(service(base + "    planes: [vip-icmp]\n    rise: 3\n    fall: 0\n" + one_rs)) ==
          "s.yaml:7: service 'web': fall 0 would depool a realserver without a failing round: fall must be 1 or more "
          "(default 3)");
    CHECK_THAT(error_of(service(base + "    planes: [vip-icmp]\n    min_up: 150%\n" + one_rs)),
               Catch::StartsWith("s.yaml:6: service 'web': "));
    CHECK(error_of(service(base + "    planes: [vip-icmp]\n    min_up: half\n" + one_rs)) ==
          "s.yaml:6: service 'web': field 'min_up': 'half' is not a count such as 2 or a share such as 50%");
    CHECK(error_of(service(base + "    planes: [vip-icmp]\n    colour: red\n" + one_rs)) ==
          "s.yaml:6: service 'web': unknown field 'colour' (known: name, vip, port, planes, depool_on, rise, fall, "
          "min_up, realservers, encap, encap_port, interface, source, attempts, ttl, timeout, interval, "
          "vip_http, mgmt_http)");
    CHECK(error_of(service(base + "    planes: [vip-icmp]\n")) == "s.yaml:2: service 'web': missing field 'realservers'");
    CHECK(error_of(service(base + "    planes: [vip-icmp]\n    realservers: []\n")) ==
          "s.yaml:6: service 'web': field 'realservers': expected a list of at least one realserver ({rip: ...})");
    CHECK(error_of(service(base + "    planes: [vip-icmp]\n" + one_rs + "      - rip: 192.0.2.11\n")) ==
          "s.yaml:8: service 'web': realservers[1]: field 'rip': 192.0.2.11 twice in the service");
    CHECK(error_of(service(base + "    planes: [vip-icmp]\n    realservers:\n      - rip: 192.0.2.11\n        "
                                  "weight: 3\n")) ==
          "s.yaml:8: service 'web': realservers[0]: unknown field 'weight' (known: rip, mac)");
    CHECK(error_of(service(base + "    planes: [vip-icmp]\n    realservers:\n      - rip: 2001:db8::11\n")) ==
          "s.yaml:7: service 'web' realserver 2001:db8::11 plane vip-icmp: vip 198.51.100.10 and rip 2001:db8::11 are "
          "of different address families: a direct-routing probe uses one family (an LVS tunnel may mix them: give "
          "encap)");
    CHECK(error_of(service(base + "    planes: [vip-icmp]\n    timeout: 10s\n" + one_rs)) ==
          "s.yaml:8: service 'web' realserver 192.0.2.11 plane vip-icmp: timeout 10s is longer than its interval 5s");
    CHECK(error_of("services:\n  - name: a/b\n") ==
          "s.yaml:2: services[0]: field 'name': 'a/b' must be 1 to 64 letters, digits, '.', '_' or '-' (it starts "
          "the names of its state files)");
    const std::string one = base + "    planes: [vip-icmp]\n" + one_rs;
    CHECK(error_of(service(one) + "  - name: web\n" + one) == "s.yaml:8: service 'web': field 'name': duplicate name");
    CHECK(error_of("targets:\n  - name: web.192.0.2.11.vip-icmp\n    kind: icmp\n    vip: 192.0.2.20\n    rip: "
                   "192.0.2.11\n" +
                   service(one)) ==
          "s.yaml:12: service 'web' realserver 192.0.2.11 plane vip-icmp: its target name 'web.192.0.2.11.vip-icmp' "
          "is a target's already: rename that target");
    // A realserver's own state file, SERVICE.RIP, is a name too.
    CHECK(error_of("targets:\n  - name: web.192.0.2.11\n    kind: icmp\n    vip: 192.0.2.20\n    rip: 192.0.2.11\n" +
                   service(one)) ==
          "s.yaml:12: service 'web': realservers[0]: its state file name 'web.192.0.2.11' is a target's already: "
          "rename that target");
    CHECK(error_of("services: []\n") == "s.yaml:1: setting 'services': expected a list of at least one service");
}

TEST_CASE("services: --once's line and object of a realserver, from its planes' last outcomes", "[services]")
{
    const auto c = parse_daemon_config(web, "s.yaml");
    const ServiceConfig& s = c.services[0];
    std::map<std::string, Outcome> last;
    const auto outcome = [](Verdict v, std::string detail) {
        Outcome o;
        o.verdict = v;
        o.detail = std::move(detail);
        return o;
    };
    last["web.192.0.2.11.vip-icmp"] = outcome(Verdict::Up, "echo reply in 0.2 ms");
    last["web.192.0.2.11.vip-syn"] = outcome(Verdict::Up, "SYN-ACK in 0.3 ms");
    last["web.192.0.2.11.arp"] = outcome(Verdict::ArpLeak, "answers ARP for the VIP");
    last["web.192.0.2.12.vip-icmp"] = outcome(Verdict::Up, "echo reply in 0.2 ms");
    last["web.192.0.2.12.vip-syn"] = outcome(Verdict::PortClosed, "RST");
    // 192.0.2.12's arp plane has no outcome.
    const LastOutcome find = [&](const std::string& name) -> const Outcome* {
        const auto it = last.find(name);
        return it == last.end() ? nullptr : &it->second;
    };

    const auto leaking = judge_round(s, s.realservers[0], find);
    CHECK(leaking.up); // arp informs, never depools
    CHECK_THAT(format_line(leaking), Catch::StartsWith("web 192.0.2.11 up arp-leak: "));
    CHECK_THAT(format_json(leaking),
               Catch::StartsWith(R"({"service":"web","vip":"198.51.100.10","port":80,"rip":"192.0.2.11","state":"up",)"
                                 R"("planes":{"vip-icmp":"up","vip-syn":"up","arp":"arp-leak"},"diagnosis":["arp-leak"],)"
                                 R"("detail":")"));
    CHECK(format_json(leaking).ends_with("\"}"));

    const auto closed = judge_round(s, s.realservers[1], find);
    CHECK_FALSE(closed.up);
    CHECK_THAT(format_line(closed), Catch::StartsWith("web 192.0.2.12 down service-down-on-vip,no-result: "));
    CHECK_THAT(format_json(closed), Catch::Contains(R"("planes":{"vip-icmp":"up","vip-syn":"port-closed"},)"));
}

TEST_CASE("services: plane vip-http is a kind http target at the VIP, SERVICE.RIP.vip-http", "[services]")
{
    const auto c = parse_daemon_config(service(base + "    planes: [vip-syn, vip-http, mgmt-http]\n"
                                                      "    ttl: 2\n"
                                                      "    vip_http: {path: /healthz, scheme: https, host: "
                                                      "www.example.test, expect_status: 200-204, timeout: 800ms}\n"
                                                      "    mgmt_http: {url: \"http://{rip}:8080/\"}\n"
                                                      "    realservers:\n      - rip: 192.0.2.11\n"
                                                      "      - {rip: 192.0.2.12, mac: 02:00:00:00:00:12}\n"),
                                       "s.yaml");
    REQUIRE(c.targets.size() == 6);
    const TargetConfig& t = c.targets[1];
    CHECK(t.name == "web.192.0.2.11.vip-http");
    CHECK(t.kind->name == "http");
    CHECK(t.service == "web");
    CHECK(t.options.target.vip.str() == "198.51.100.10");
    CHECK(t.options.target.port == 80);
    CHECK(t.options.ttl == 2);
    CHECK(t.options.timeout == 800ms);
    REQUIRE(t.http);
    CHECK(t.http->url == "https://198.51.100.10:80/healthz");
    CHECK(t.http->options->target.url == "https://www.example.test:80/healthz");
    CHECK(t.http->options->expect_status.str() == "200-204");
    CHECK(t.http->options->attempts == 1);
    CHECK(c.services[0].realservers[0].targets[1] == std::pair<Plane, std::string>{Plane::VipHttp, t.name});
    // The second realserver's MAC is its vip-http connection's too.
    const TargetConfig& second = c.targets[4];
    CHECK(second.name == "web.192.0.2.12.vip-http");
    REQUIRE(second.options.mac);
    CHECK(second.options.mac->str() == "02:00:00:00:00:12");
}
