// vipcheckd's kind http, one connection after another in one lwIP stack, driven with
// crafted frames and the clock: VipConnection is vip-http-check's connection logic
// (resolution with the conflict window, the SYN to the realserver's MAC, the verdicts
// the connection proves, the close), here without a link, many on one stack.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <vector>

#include "craft.hpp"
#include "fixtures.hpp"
#include "vip_http/vip_connection.hpp"
#include "vipcheck/frames.hpp"
#include "vipcheck/packet.hpp"
#include "vipcheck/session.hpp"

using namespace vipcheck;
using fixtures::ip;
using fixtures::mac;
using namespace std::chrono_literals;

namespace {

struct Sent {
    std::vector<Frame> frames;
    VipConnection::Send sink()
    {
        return [this](const Frame& f) { frames.push_back(f); };
    }
};

ProbeContext context(const char* rip, std::uint16_t port, std::uint32_t isn)
{
    ProbeContext c;
    c.ifindex = 2;
    c.ifname = "eth0";
    c.local_mac = mac("02:00:00:00:00:02");
    c.source = ip("192.0.2.2");
    c.vip = ip("198.51.100.10");
    c.rip = ip(rip);
    c.next_hop = c.rip;
    c.port = 80;
    c.ttl = 1;
    c.nonce.source_port = port;
    c.nonce.isn = isn;
    return c;
}

ProbeOptions options(std::optional<MacAddress> mac = std::nullopt)
{
    ProbeOptions o;
    o.timeout = 2s;
    o.attempts = 2;
    o.mac = mac;
    return o;
}

// The realserver's RST to our SYN (acknowledging it), from its MAC.
Frame rst(const ProbeContext& c, const MacAddress& from)
{
    Envelope e;
    e.source_mac = from;
    e.destination_mac = c.local_mac;
    e.source = c.vip;
    e.destination = c.source;
    e.ttl = 64;
    TcpHeader t;
    t.source_port = c.port;
    t.destination_port = c.nonce.source_port;
    t.seq = 0;
    t.ack = c.nonce.isn + 1;
    t.flags = tcp_rst | tcp_ack;
    FrameBuilder b;
    return b.tcp(e, t);
}

} // namespace

TEST_CASE("kind http: connections on one stack, each with its own realserver, verdict and close",
          "[vip_connection]")
{
    const auto t0 = Clock::now();
    LwipStack stack(t0);
    const Trace trace("test", false);
    const auto deadline = t0 + 2s;

    // A: the MAC given, so it connects at once; its realserver refuses.
    const ProbeOptions with_mac = options(mac("02:00:00:00:00:11"));
    ProbeContext ca = context("192.0.2.11", 40001, 0x11111111);
    ca.remote_mac = *with_mac.mac;
    Sent sa;
    VipConnection a(with_mac, ca, 1500, stack, sa.sink(), trace, deadline);
    // B: resolves its RIP, and two MACs answer.
    const ProbeOptions resolving = options();
    Sent sb;
    VipConnection b(resolving, context("192.0.2.12", 40002, 0x22222222), 1500, stack, sb.sink(), trace,
                    deadline);
    // C: resolves, one MAC, then connects; never answered.
    Sent sc;
    VipConnection c(resolving, context("192.0.2.13", 40003, 0x33333333), 1500, stack, sc.sink(), trace,
                    deadline);

    const auto now = Clock::now();
    a.service(now);
    b.service(now);
    c.service(now);
    REQUIRE(sa.frames.size() == 1); // the SYN
    const auto eth = parse_ethernet(sa.frames[0]);
    REQUIRE(eth);
    CHECK(eth->destination == *with_mac.mac);
    const auto ipa = parse_ipv4(eth->payload);
    REQUIRE(ipa);
    CHECK(ipa->ttl == 1);
    CHECK(ipa->destination == ca.vip);
    const auto syn = parse_tcp(*ipa);
    REQUIRE(syn);
    CHECK(syn->seq == 0x11111111);
    CHECK(syn->source_port == 40001);
    REQUIRE(sb.frames.size() == 1); // who-has 192.0.2.12
    CHECK(parse_ethernet(sb.frames[0])->type == ethertype_arp);
    CHECK(b.verdict()->verdict == Verdict::RsUnreachable);

    // Two MACs answer for B within the conflict window: mac-conflict, and no SYN.
    const MacAddress local = mac("02:00:00:00:00:02");
    b.on_frame({craft::arp_reply(local, mac("02:00:00:00:00:12"), ip("192.0.2.12"), ip("192.0.2.2")), 2});
    b.on_frame({craft::arp_reply(local, mac("02:00:00:00:00:99"), ip("192.0.2.12"), ip("192.0.2.2")), 2});
    b.service(Clock::now() + conflict_window);
    CHECK(b.verdict()->verdict == Verdict::MacConflict);
    CHECK(sb.frames.size() == 1);
    CHECK(b.close_step(Clock::now()));

    // One MAC for C: after the window it connects, to that MAC.
    c.on_frame({craft::arp_reply(local, mac("02:00:00:00:00:13"), ip("192.0.2.13"), ip("192.0.2.2")), 2});
    c.service(Clock::now() + conflict_window + 1ms);
    REQUIRE(sc.frames.size() == 2);
    CHECK(parse_ethernet(sc.frames[1])->destination == mac("02:00:00:00:00:13"));
    CHECK(c.verdict()->verdict == Verdict::NoReply);

    // A's RST goes to A alone: port-closed for A, C still waiting.
    c.on_frame({rst(ca, *with_mac.mac), 2});
    CHECK(c.verdict()->verdict == Verdict::NoReply);
    a.on_frame({rst(ca, *with_mac.mac), 2});
    a.service(Clock::now());
    REQUIRE(a.verdict());
    CHECK(a.verdict()->verdict == Verdict::PortClosed);
    CHECK(a.close_step(Clock::now()));
    CHECK(stack.connections() == 2);

    // C's close: never established, so an RST now, and nothing left open.
    const std::size_t before = sc.frames.size();
    CHECK(c.close_step(Clock::now()));
    REQUIRE(sc.frames.size() == before + 1);
    const auto reset = parse_tcp(*parse_ipv4(parse_ethernet(sc.frames.back())->payload));
    REQUIRE(reset);
    CHECK((reset->flags & tcp_rst));
    CHECK(reset->seq == 0x33333333u + 1);
}
