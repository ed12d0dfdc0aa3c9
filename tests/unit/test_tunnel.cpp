// LVS tunnels: the encapsulated frames (golden bytes checked against scapy 2.5: every
// outer and inner checksum and length recomputed by scapy and compared, the GUE header
// decoded by hand), and the matcher expecting the next hop's MAC.
#include <catch2/catch.hpp>

#include <string>

#include "craft.hpp"
#include "fixtures.hpp"
#include "vipcheck/icmp_echo.hpp"
#include "vipcheck/neighbour.hpp"
#include "vipcheck/options.hpp"
#include "vipcheck/session.hpp"
#include "vipcheck/target_rules.hpp"

using namespace vipcheck;
using fixtures::hex;
using namespace std::chrono_literals;
using fixtures::ip;
using fixtures::mac;

namespace {


ProbeContext tunnel_context(EncapType type)
{
    auto c = fixtures::context();
    c.tunnel = Tunnel{type, c.source, 5555};
    return c;
}

// The probe as every tunnel type carries it: 192.0.2.2 -> 198.51.100.10 TTL 1, echo.
const std::string inner4 = "4500002e1234400001017b5bc0000202c633640a0800a8871234fffea0a1a2a3a4a5a6a7a8a9aaabacadaeaf0000";

} // namespace

TEST_CASE("IPIP: the probe right after an outer IPv4 header to the RIP, protocol 4")
{
    FrameBuilder b;
    // outer: len 66 id 0x9234 DF ttl 64 proto 4 sum 2476 192.0.2.2 -> 192.0.2.11
    CHECK(hex(EchoProbe{}.build(b, tunnel_context(EncapType::Ipip), 0)) ==
          "0200000000110200000000020800450000429234400040042476c0000202c000020b" + inner4);
}

TEST_CASE("GRE: 4-byte header without checksum, protocol 0x0800")
{
    FrameBuilder b;
    CHECK(hex(EchoProbe{}.build(b, tunnel_context(EncapType::Gre), 0)) ==
          "02000000001102000000000208004500004692344000402f2447c0000202c000020b00000800" + inner4);
}

TEST_CASE("GUE: UDP to the GUE port with a real checksum, GUE version 0, proto_ctype 4")
{
    FrameBuilder b;
    // UDP 40000 -> 5555 len 58 sum c974 | GUE 00 04 0000
    CHECK(hex(EchoProbe{}.build(b, tunnel_context(EncapType::Gue), 0)) ==
          "02000000001102000000000208004500004e923440004011245dc0000202c000020b9c4015b3003ac97400040000" + inner4);
}

TEST_CASE("families mix: 6in6 GUE, 4in6 IPIP, 6in4 GRE")
{
    FrameBuilder b;
    auto c = fixtures::context();
    c.source = ip("2001:db8::2");
    c.vip = ip("2001:db8:100::10");
    c.rip = ip("2001:db8::11");
    c.next_hop = c.rip;
    c.tunnel = Tunnel{EncapType::Gue, c.source, 5555};
    // outer IPv6 flow label 0x09234, nh 17 hlim 64 | UDP sum 45b9 | GUE proto_ctype 41
    CHECK(hex(EchoProbe{}.build(b, c, 0)) ==
          "02000000001102000000000286dd60009234004c114020010db800000000000000000000000220010db8000000000000"
          "0000000000119c4015b3004c45b9002900006000123400183a0120010db800000000000000000000000220010db80100"
          "000000000000000000108000d3b01234fffea0a1a2a3a4a5a6a7a8a9aaabacadaeaf");

    auto c46 = fixtures::context();
    c46.rip = ip("2001:db8::11");
    c46.next_hop = c46.rip;
    c46.tunnel = Tunnel{EncapType::Ipip, ip("2001:db8::2"), 0};
    CHECK(hex(EchoProbe{}.build(b, c46, 0)) ==
          "02000000001102000000000286dd60009234002e044020010db800000000000000000000000220010db8000000000000"
          "0000000000114500002e1234400001017b5bc0000202c633640a0800a8871234fffea0a1a2a3a4a5a6a7a8a9aaabacad"
          "aeaf0000");

    c.rip = ip("192.0.2.11");
    c.next_hop = c.rip;
    c.tunnel = Tunnel{EncapType::Gre, ip("192.0.2.2"), 0};
    CHECK(hex(EchoProbe{}.build(b, c, 0)) ==
          "02000000001102000000000208004500005892344000402f2435c0000202c000020b000086dd6000123400183a012001"
          "0db800000000000000000000000220010db80100000000000000000000108000d3b01234fffea0a1a2a3a4a5a6a7a8a9"
          "aaabacadaeaf");
}

TEST_CASE("a routed tunnel realserver's reply counts only from the gateway's MAC")
{
    auto c = tunnel_context(EncapType::Ipip);
    c.rip = ip("203.0.113.20");
    c.next_hop = ip("192.0.2.1");
    c.remote_mac = mac("02:00:00:00:00:01"); // the gateway's, as resolved
    auto reply = [&](MacAddress from) {
        auto f = craft::ethernet(c.local_mac, from, 0x0800);
        craft::ipv4(f, c.vip, c.source, 1, craft::icmp(0, 0, c.nonce.id, c.nonce.seq, EchoProbe::payload(c)));
        return f;
    };
    auto classify = [&](const craft::Bytes& f) {
        return EchoProbe{}.classify(CapturedFrame{Bytes(f.data(), f.size()), 7}, c);
    };
    const auto up = classify(reply(mac("02:00:00:00:00:01")));
    REQUIRE(up);
    CHECK(up->verdict == Verdict::Up);
    CHECK(!classify(reply(mac("02:00:00:00:00:20")))); // the realserver's own MAC is not on our link
    CHECK(expected_mac_reason(c).find("gateway 192.0.2.1") != std::string::npos);
    // An encapsulated reply is not the realserver answering from the VIP.
    auto wrapped = craft::ethernet(c.local_mac, c.remote_mac, 0x0800);
    auto inner = craft::Bytes();
    craft::ipv4(inner, c.vip, c.source, 1, craft::icmp(0, 0, c.nonce.id, c.nonce.seq, EchoProbe::payload(c)));
    craft::ipv4(wrapped, c.rip, c.source, 4, inner);
    CHECK(!classify(wrapped));
}

TEST_CASE("a routed tunnel session resolves the gateway, then probes inside the tunnel")
{
    EchoProbe echo;
    Trace trace{"test", false};
    FrameBuilder b;
    auto c = tunnel_context(EncapType::Gre);
    c.rip = ip("203.0.113.20");
    c.next_hop = ip("192.0.2.1");
    c.remote_mac = MacAddress{};
    const TimePoint t0 = TimePoint{} + 1000s;
    ProbeSession s(echo, c, SessionPlan{300ms, 3, true}, t0, trace);
    std::vector<Frame> out;
    s.on_timer(t0, b, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0][12] == 0x08);
    CHECK(out[0][13] == 0x06);
    CHECK(IpAddress::v4_bytes(out[0].data() + 38) == ip("192.0.2.1")); // ARP target: the gateway
    out.clear();
    const auto gw = mac("02:00:00:00:00:01");
    const auto arp = craft::arp_reply(c.local_mac, gw, ip("192.0.2.1"), c.source);
    s.on_frame(CapturedFrame{Bytes(arp.data(), arp.size()), 7}, t0 + 100us, b, out);
    REQUIRE(out.size() == 1);
    CHECK(MacAddress(out[0].data()) == gw);
    CHECK(out[0][23] == 47);                                              // GRE
    CHECK(IpAddress::v4_bytes(out[0].data() + 30) == ip("203.0.113.20")); // outer destination: the RIP
}

TEST_CASE("--encap and --encap-port options")
{
    // Read into typed values, then the target rule, as vip_probe_main does.
    const EchoProbe echo;
    const auto checked = [&](const CommonOptions& common, const ProbeTarget& target) {
        ProbeOptions o = make_probe_options(common, target);
        check_target_rules(o, target_kind("vip-icmp-check", PortUse::None, echo), Spelling::CommandLine);
        return o;
    };
    CommonOptions common;
    const auto target = parse_probe_target({"198.51.100.10", "192.0.2.11"}, PortUse::None, "");
    common.encap = "gre";
    CHECK(checked(common, target).encap == EncapType::Gre);
    common.encap = "vxlan";
    CHECK_THROWS_WITH(checked(common, target), Catch::Contains("expected ipip, gue or gre"));
    common.encap = "gue";
    CHECK_THROWS_WITH(checked(common, target), Catch::Contains("needs --encap-port"));
    common.encap_port = 5555;
    CHECK(checked(common, target).encap_port == 5555);
    common.encap = "ipip";
    CHECK_THROWS_WITH(checked(common, target), Catch::Contains("only to --encap gue"));

    const auto mixed = parse_probe_target({"198.51.100.10", "2001:db8::11"}, PortUse::None, "");
    CommonOptions plain;
    CHECK_THROWS_WITH(checked(plain, mixed), Catch::Contains("one family"));
    plain.encap = "ipip";
    CHECK(checked(plain, mixed).encap == EncapType::Ipip);
}
