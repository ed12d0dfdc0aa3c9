// vipcheckd's pure parts beside the config and the scheduler: which session a frame
// names (demux), the shared resolution's entry into a session, the Prometheus text and
// its adapter, the endpoint's routing, --check's summary and the state files.
#include <catch2/catch.hpp>

#include <stdlib.h>


#include "craft.hpp"
#include "fixtures.hpp"
#include "vipcheck/demux.hpp"
#include "daemon/daemon.hpp"
#include "daemon/endpoint.hpp"
#include "daemon/http_server.hpp"
#include "vipcheck/icmp_echo.hpp"
#include "daemon/metrics.hpp"
#include "vipcheck/session.hpp"
#include "vipcheck/tcp_syn.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;
using fixtures::ip;
using fixtures::mac;

namespace {

Bytes view(const craft::Bytes& b) { return Bytes(b.data(), b.size()); }

// The reply a realserver sends: from the VIP to us.
Envelope reply_envelope(const ProbeContext& c)
{
    Envelope e = c.envelope(0);
    std::swap(e.source_mac, e.destination_mac);
    std::swap(e.source, e.destination);
    return e;
}

// An ICMP error from the realserver quoting `probe` (an Ethernet frame we sent).
craft::Bytes icmp_error_quoting(const ProbeContext& c, const Frame& probe, std::uint8_t type)
{
    auto f = craft::ethernet(c.local_mac, c.remote_mac, 0x0800);
    craft::Bytes quoted(probe.begin() + 14, probe.begin() + 14 + 28);
    craft::ipv4(f, c.rip, c.source, 1, craft::icmp(type, 0, 0, 0, quoted));
    return f;
}

} // namespace

TEST_CASE("demux: an echo reply and an ICMP error quoting the echo name the echo id")
{
    const ProbeContext c = fixtures::context();
    EchoProbe echo;
    auto reply = craft::ethernet(c.local_mac, c.remote_mac, 0x0800);
    craft::ipv4(reply, c.vip, c.source, 1, craft::icmp(0, 0, c.nonce.id, c.nonce.seq, EchoProbe::payload(c)));
    CHECK(reply_key(view(reply)) == echo.nonce_key(c));

    FrameBuilder b;
    const Frame probe = echo.build(b, c, 1);
    CHECK(reply_key(view(icmp_error_quoting(c, probe, 11))) == echo.nonce_key(c));
    CHECK(reply_key(view(icmp_error_quoting(c, probe, 3))) == echo.nonce_key(c));
    // Our own echo request is no reply.
    CHECK_FALSE(reply_key(Bytes(probe.data(), probe.size())));
}

TEST_CASE("demux: a SYN-ACK names its destination port; an error quoting our SYN its source port")
{
    const ProbeContext c = fixtures::context();
    SynProbe syn;
    FrameBuilder b;
    TcpHeader t;
    t.source_port = c.port;
    t.destination_port = c.nonce.source_port;
    t.seq = 77;
    t.ack = c.nonce.isn + 1;
    t.flags = tcp_syn | tcp_ack;
    const Frame syn_ack = b.tcp(reply_envelope(c), t);
    CHECK(reply_key(Bytes(syn_ack.data(), syn_ack.size())) == syn.nonce_key(c));
    const Frame probe = syn.build(b, c, 0);
    CHECK(reply_key(view(icmp_error_quoting(c, probe, 11))) == syn.nonce_key(c));
    // The two kinds' keys never collide, even with equal numbers.
    ProbeContext same = c;
    same.nonce.id = same.nonce.source_port;
    CHECK_FALSE(EchoProbe{}.nonce_key(same) == syn.nonce_key(same));
}

TEST_CASE("demux: ARP, garbage and a bad checksum name nothing")
{
    const ProbeContext c = fixtures::context();
    CHECK_FALSE(reply_key(view(craft::arp_reply(c.local_mac, c.remote_mac, c.rip, c.source))));
    const craft::Bytes garbage(20, 0xff);
    CHECK_FALSE(reply_key(view(garbage)));
    auto reply = craft::ethernet(c.local_mac, c.remote_mac, 0x0800);
    craft::ipv4(reply, c.vip, c.source, 1, craft::icmp(0, 0, c.nonce.id, c.nonce.seq, EchoProbe::payload(c)));
    reply.back() ^= 1;
    CHECK_FALSE(reply_key(view(reply)));
}

TEST_CASE("shared resolution: the session sends no request and starts on learn_mac")
{
    EchoProbe echo;
    const Trace trace("test", false);
    FrameBuilder b;
    std::vector<Frame> out;
    ProbeContext c = fixtures::context();
    c.remote_mac = MacAddress{};
    const TimePoint t0 = TimePoint{} + 1000s;
    ProbeSession s(echo, c, SessionPlan{.timeout = 300ms, .attempts = 3, .resolve = true, .shared_resolution = true}, t0, trace);
    s.on_timer(t0, b, out);
    s.on_timer(t0 + 100ms, b, out);
    CHECK(out.empty());
    CHECK(s.next_wakeup() == t0 + 300ms);
    // An ARP answer in the capture is the shared resolver's, not the session's.
    s.on_frame({view(craft::arp_reply(c.local_mac, mac("02:00:00:00:00:11"), c.rip, c.source)), 7}, t0 + 110ms, b,
               out);
    CHECK_FALSE(s.resolved());

    // Answered at 100 ms, handed over at 120 ms: the conflict window counts from the answer.
    s.learn_mac(mac("02:00:00:00:00:11"), t0 + 100ms, t0 + 120ms, b, out);
    REQUIRE(out.size() == 1);
    CHECK(MacAddress(out[0].data()) == mac("02:00:00:00:00:11"));
    CHECK(s.resolved());
    s.learn_mac(mac("02:00:00:00:00:12"), t0 + 121ms, t0 + 121ms, b, out);
    CHECK(s.finished(t0 + 121ms));
    CHECK(s.verdict() == Verdict::MacConflict);
}

TEST_CASE("shared resolution that never answers is rs-unreachable at the deadline")
{
    EchoProbe echo;
    const Trace trace("test", false);
    FrameBuilder b;
    std::vector<Frame> out;
    ProbeContext c = fixtures::context();
    const TimePoint t0 = TimePoint{} + 1000s;
    ProbeSession s(echo, c, SessionPlan{.timeout = 300ms, .attempts = 3, .resolve = true, .shared_resolution = true}, t0, trace);
    CHECK_FALSE(s.finished(t0 + 299ms));
    CHECK(s.finished(t0 + 300ms));
    CHECK(s.verdict() == Verdict::RsUnreachable);
    CHECK(s.requests_sent() == 0);
}

TEST_CASE("prometheus: label values are escaped, and only probed targets have a verdict")
{
    CHECK(prometheus_label(R"(a"b\c)") == R"(a\"b\\c)");
    CHECK(prometheus_label("a\nb") == "a\\nb");
    TargetMetrics up;
    up.name = "web-rs1";
    up.kind = "icmp";
    up.vip = "192.0.2.20";
    up.rip = "192.0.2.11";
    up.verdict = Verdict::Up;
    up.duration_seconds = 0.00025;
    up.rtt_seconds = 0.0002;
    up.runs = 4;
    up.failed = 1;
    up.by_verdict = {{Verdict::Up, 3}, {Verdict::NoReply, 1}};
    TargetMetrics fresh;
    fresh.name = "new";
    fresh.kind = "syn";
    fresh.vip = "192.0.2.20";
    fresh.rip = "192.0.2.12";
    const std::string text = format_metrics(DaemonMetrics{}, {up, fresh});
    const std::string labels = R"(target="web-rs1",kind="icmp",vip="192.0.2.20",rip="192.0.2.11")";
    CHECK_THAT(text, Catch::Contains("vipcheck_probe_success{" + labels + "} 1\n"));
    CHECK_THAT(text, Catch::Contains("vipcheck_probe_duration_seconds{" + labels + "} 0.000250\n"));
    CHECK_THAT(text, Catch::Contains("vipcheck_rtt_seconds{" + labels + "} 0.000200\n"));
    CHECK_THAT(text, Catch::Contains("vipcheck_probe_verdict{" + labels + ",verdict=\"up\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("vipcheck_probes_total{" + labels + ",verdict=\"up\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("vipcheck_probes_total{" + labels + ",verdict=\"no-reply\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("# TYPE vipcheck_probes_total counter\n"));
    CHECK_THAT(text, Catch::Contains("vipcheck_runs_total{" + labels + "} 4\n"));
    CHECK_THAT(text, Catch::Contains("vipcheck_failed_runs_total{" + labels + "} 1\n"));
    // A target not probed yet has no verdict, duration or reply time, but its counters
    // exist at 0 from its start, so that rate() sees its first failure.
    const std::string fresh_labels = R"(target="new",kind="syn",vip="192.0.2.20",rip="192.0.2.12")";
    CHECK_THAT(text, Catch::Contains("vipcheck_runs_total{" + fresh_labels + "} 0\n"));
    CHECK_THAT(text, Catch::Contains("vipcheck_failed_runs_total{" + fresh_labels + "} 0\n"));
    CHECK_THAT(text, !Catch::Contains("vipcheck_probe_success{" + fresh_labels));
    CHECK_THAT(text, !Catch::Contains("vipcheck_probe_verdict{" + fresh_labels));
    CHECK_THAT(text, !Catch::Contains("vipcheck_rtt_seconds{" + fresh_labels));
    CHECK_THAT(text, !Catch::Contains("vipcheck_probes_total{" + fresh_labels));
    // The counters are one series each per target, not one per verdict token.
    CHECK_THAT(text, !Catch::Contains("vipcheck_runs_total{" + labels + ",verdict="));
}

TEST_CASE("prometheus: the daemon's own series: build, reload, newest result")
{
    DaemonMetrics d;
    d.version = "1.2.3";
    d.reload_successful = false;
    d.reload_success_seconds = 1764720000.5;
    d.last_result_seconds = 1764720042.25;
    const std::string text = format_metrics(d, {});
    CHECK_THAT(text, Catch::Contains("\nvipcheck_build_info{version=\"1.2.3\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("\nvipcheckd_config_last_reload_successful 0\n"));
    CHECK_THAT(text, Catch::Contains("\nvipcheckd_config_last_reload_success_timestamp_seconds 1764720000.500\n"));
    CHECK_THAT(text, Catch::Contains("\nvipcheckd_last_result_timestamp_seconds 1764720042.250\n"));
    CHECK_THAT(text, Catch::Contains("# TYPE vipcheckd_config_last_reload_successful gauge\n"));
    d.reload_successful = true;
    CHECK_THAT(format_metrics(d, {}), Catch::Contains("\nvipcheckd_config_last_reload_successful 1\n"));
    CHECK(unix_seconds(std::chrono::system_clock::time_point{} + 1500ms) == 1.5);
}

TEST_CASE("metrics adapter: the scheduler's targets, a reply time only where it means something")
{
    Scheduler s;
    s.adopt(parse_daemon_config("targets:\n"
                                "  - {name: ping, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11}\n"
                                "  - {name: leak, kind: arp, vip: 192.0.2.20, rip: 192.0.2.11}\n"
                                "  - {name: web, kind: syn, vip: 192.0.2.20, rip: 192.0.2.12, port: 80}\n",
                                "t.yaml")
                .targets,
            TimePoint{});
    s.take_due(TimePoint{});
    Outcome replied;
    replied.verdict = Verdict::Up;
    replied.rtt_ms = 0.5;
    replied.elapsed_ms = 2;
    s.record(s.find("ping")->id, replied);
    // An arp target's up is silence until its deadline; an arp-leak verdict's time is
    // that of the leak, not of a reply to a probe.
    Outcome leaked = replied;
    leaked.verdict = Verdict::ArpLeak;
    s.record(s.find("leak")->id, leaked);

    const auto m = target_metrics(s);
    REQUIRE(m.size() == 3);
    CHECK(m[0].name == "ping");
    CHECK(m[0].kind == "icmp");
    CHECK(m[0].vip == "192.0.2.20");
    CHECK(m[0].rip == "192.0.2.11");
    CHECK(m[0].verdict == Verdict::Up);
    CHECK(m[0].duration_seconds == 0.002);
    CHECK(m[0].rtt_seconds == 0.0005);
    CHECK(m[0].runs == 1);
    CHECK(m[0].failed == 0);
    CHECK(m[1].verdict == Verdict::ArpLeak);
    CHECK_FALSE(m[1].rtt_seconds);
    CHECK(m[1].failed == 1);
    CHECK(m[1].by_verdict.at(Verdict::ArpLeak) == 1);
    CHECK_FALSE(m[2].verdict);
    CHECK(m[2].runs == 0);
}

TEST_CASE("endpoint: /metrics, /probe of configured targets only, and the status page")
{
    Scheduler s;
    s.adopt(parse_daemon_config("targets:\n  - {name: web-rs1, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11}\n",
                                "t.yaml")
                .targets,
            TimePoint{});
    CHECK(std::holds_alternative<MetricsPage>(route({"/metrics", {}}, s)));
    const Page probe = route({"/probe", {{"target", "web-rs1"}}}, s);
    REQUIRE(std::holds_alternative<ProbePage>(probe));
    CHECK(std::get<ProbePage>(probe).id == s.find("web-rs1")->id);
    const auto status = [&](const HttpRequest& r) {
        const Page p = route(r, s);
        return std::holds_alternative<HttpReply>(p) ? std::get<HttpReply>(p).status : 0u;
    };
    // Whoever reaches the port cannot choose what is sent: an address is no target.
    CHECK(status({"/probe", {{"target", "192.0.2.11"}}}) == 404);
    CHECK(status({"/probe", {}}) == 400);
    const auto status_page = [&](const HttpRequest& r) -> std::optional<bool> {
        const Page p = route(r, s);
        if (const auto* page = std::get_if<StatusPage>(&p))
            return page->json;
        return std::nullopt;
    };
    CHECK(status_page({"/", {}}) == false);
    CHECK(status_page({"/status.json", {}}) == true);
    // A query changes nothing: a browser's reload or a cache-buster is the same page.
    CHECK(status_page({"/status.json", {{"x", "1"}}}) == true);
    CHECK(status({"/metric", {}}) == 404);
    CHECK(status({"/status", {}}) == 404);
    CHECK(status({"/index.html", {}}) == 404);
    // The 404 names every page, so a mistyped path tells what there is.
    const Page missing = route({"/nope", {}}, s);
    REQUIRE(std::holds_alternative<HttpReply>(missing));
    for (const char* page : {"/ ", "/status.json", "/metrics", "/probe?target=NAME"})
        CHECK(std::get<HttpReply>(missing).body.find(page) != std::string::npos);
}

TEST_CASE("--check: one line of what the file would probe")
{
    const auto c = parse_daemon_config("interval: 5s\n"
                                       "targets:\n"
                                       "  - {name: a, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11}\n"
                                       "  - {name: b, kind: syn, vip: 192.0.2.20, rip: 192.0.2.11, port: 80}\n"
                                       "  - {name: c, kind: syn, vip: 192.0.2.21, rip: 192.0.2.12, port: 80, "
                                       "arp_leak: true}\n",
                                       "t.yaml");
    CHECK(describe_config(c) == "3 targets (1 icmp, 2 syn; 1 with arp_leak) on 2 realservers and 2 VIPs, every 5s, "
                                "timeout 1s");
    const auto one = parse_daemon_config("targets:\n"
                                         "  - {name: a, kind: arp, vip: 192.0.2.20, rip: 192.0.2.11, interval: 1s, "
                                         "timeout: 300ms}\n"
                                         "  - {name: b, kind: arp, vip: 192.0.2.20, rip: 192.0.2.11}\n",
                                         "t.yaml");
    CHECK(describe_config(one) == "2 targets (2 arp) on 1 realserver and 1 VIP, every 1s to 5s, timeout 300ms to 1s");
    const auto services = parse_daemon_config("targets:\n"
                                              "  - {name: a, kind: icmp, vip: 192.0.2.20, rip: 192.0.2.11}\n"
                                              "services:\n"
                                              "  - {name: web, vip: 192.0.2.20, port: 80, planes: [vip-icmp, vip-syn], "
                                              "realservers: [{rip: 192.0.2.11}, {rip: 192.0.2.12}]}\n",
                                              "t.yaml");
    CHECK(describe_config(services) == "5 targets (3 icmp, 2 syn; 4 from 1 service) on 2 realservers and 1 VIP, every "
                                       "5s, timeout 1s");
}

TEST_CASE("probe endpoint: blackbox_exporter's names")
{
    Outcome o;
    o.verdict = Verdict::VipMissing;
    const std::string text = format_probe(o, 0.0015);
    CHECK_THAT(text, Catch::Contains("\nprobe_success 0\n"));
    CHECK_THAT(text, Catch::Contains("\nprobe_duration_seconds 0.001500\n"));
    CHECK_THAT(text, Catch::Contains("\nvipcheck_probe_verdict{verdict=\"vip-missing\"} 1\n"));
}

TEST_CASE("--listen: address forms")
{
    CHECK(parse_listen_address("9105").address == "127.0.0.1");
    CHECK(parse_listen_address("9105").port == 9105);
    CHECK(parse_listen_address(":9105").address == "127.0.0.1");
    CHECK(parse_listen_address("192.0.2.2:80").address == "192.0.2.2");
    CHECK(parse_listen_address("[2001:db8::2]:9105").address == "2001:db8::2");
    CHECK_THROWS_WITH(parse_listen_address("2001:db8::2:9105"),
                      "bad --listen '2001:db8::2:9105': write an IPv6 address in brackets, [ADDR6]:PORT");
    CHECK_THROWS_WITH(parse_listen_address("localhost:9105"),
                      "bad --listen 'localhost:9105': 'localhost' is not an IP address");
    CHECK_THROWS(parse_listen_address("127.0.0.1:99999"));
    CHECK_THROWS(parse_listen_address("127.0.0.1:0"));
}
