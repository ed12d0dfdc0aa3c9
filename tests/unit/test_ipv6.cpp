// IPv6: the neighbour solicitation we send, the advertisements we accept, ICMPv6 echo
// frames and the matcher. Golden bytes were checked field by field and checksum by
// checksum against scapy 2.5 (every checksum and length recomputed by scapy and
// compared; a flipped payload bit makes the comparison fail).
#include <catch2/catch.hpp>

#include <string>

#include "craft.hpp"
#include "fixtures.hpp"
#include "vipcheck/icmp_echo.hpp"
#include "vipcheck/neighbour.hpp"

using namespace vipcheck;
using fixtures::context6;
using fixtures::hex;
using fixtures::ip;
using fixtures::mac;

namespace {

// A neighbour advertisement as Linux sends it in answer to our solicitation.
using Advert = craft::NdMessage;

std::optional<MacAddress> answer(const craft::Bytes& f, int ifindex = 7)
{
    return neighbour_answer(CapturedFrame{Bytes(f.data(), f.size()), ifindex}, neighbour_query(context6()));
}

std::optional<Evidence> classify6(const craft::Bytes& f)
{
    return EchoProbe{}.classify(CapturedFrame{Bytes(f.data(), f.size()), 7}, context6());
}

} // namespace

TEST_CASE("neighbour solicitation for the RIP: solicited-node group, hop limit 255, our link-layer address")
{
    FrameBuilder b;
    // eth 33:33:ff:00:00:11 <- 02:..:02 IPv6 | plen 32 nh 58 hlim 255
    // 2001:db8::2 -> ff02::1:ff00:11 | NS sum 1c07 target 2001:db8::11 | SLLA 02:00:00:00:00:02
    CHECK(hex(neighbour_request(b, neighbour_query(context6()))) ==
          "3333ff00001102000000000286dd6000000000203aff20010db8000000000000000000000002ff02000000000000000000"
          "01ff00001187001c070000000020010db80000000000000000000000110101020000000002");
}

TEST_CASE("a tunnel resolves its next hop from the outer source, never the VIP")
{
    auto c = fixtures::context();
    c.vip = ip("2001:db8:100::10");
    c.source = ip("2001:db8::2");
    c.rip = ip("192.0.2.11");
    c.next_hop = ip("192.0.2.1");
    c.tunnel = Tunnel{EncapType::Ipip, ip("192.0.2.2"), 0};
    const auto q = neighbour_query(c);
    CHECK(q.target == ip("192.0.2.1"));
    CHECK(q.source == ip("192.0.2.2"));
    FrameBuilder b;
    const auto f = neighbour_request(b, q);
    CHECK(f[12] == 0x08);
    CHECK(f[13] == 0x06); // ARP in the outer family
}

TEST_CASE("neighbour advertisements: the RIP's answer to us, with or without the option")
{
    CHECK(answer(Advert{}.frame()) == mac("02:00:00:00:00:11"));
    Advert no_option;
    no_option.options.clear(); // then the Ethernet source names the MAC
    CHECK(answer(no_option.frame()) == mac("02:00:00:00:00:11"));
    Advert other_option; // an unrelated option (MTU) is skipped
    other_option.options = {5, 1, 0, 0, 0, 0, 0x05, 0xdc, 2, 1, 0x02, 0, 0, 0, 0, 0x11};
    CHECK(answer(other_option.frame()) == mac("02:00:00:00:00:11"));
}

TEST_CASE("neighbour advertisements with one wrong field are rejected")
{
    auto rejected = [](auto change) {
        Advert a;
        change(a);
        return !answer(a.frame());
    };
    CHECK(rejected([](Advert& a) { a.target = ip("2001:db8:100::10"); }));  // for the VIP
    CHECK(rejected([](Advert& a) { a.target = ip("2001:db8::12"); }));      // for another host
    CHECK(rejected([](Advert& a) { a.ip_dst = ip("2001:db8::3"); }));       // to someone else
    CHECK(rejected([](Advert& a) { a.ip_dst = ip("ff02::1"); }));           // unsolicited, to all nodes
    CHECK(rejected([](Advert& a) { a.eth_dst = mac("02:00:00:00:00:55"); })); // not to our MAC
    CHECK(rejected([](Advert& a) { a.hop_limit = 254; }));                  // routed: forged off-link
    CHECK(rejected([](Advert& a) { a.flags = 0x20000000; }));               // not solicited
    CHECK(rejected([](Advert& a) { a.type = 135; }));                       // a solicitation
    CHECK(rejected([](Advert& a) { a.code = 1; }));
    CHECK(rejected([](Advert& a) { a.corrupt_checksum = true; }));
    CHECK(rejected([](Advert& a) { a.options[7] = 0x12; }));                // option names another MAC
    CHECK(rejected([](Advert& a) { a.options = {2, 1, 0x01, 0, 0, 0, 0, 0x11}; })); // multicast MAC
    CHECK(rejected([](Advert& a) { a.options = {2, 0, 0, 0, 0, 0, 0, 0}; }));       // zero-length option
    CHECK(rejected([](Advert& a) { a.options = {2, 2, 0, 0, 0, 0, 0, 0}; }));       // option past the end
    CHECK(rejected([](Advert& a) { // our own MAC, without an option (found by fuzz_neighbour)
        a.options = {0x0f, 1, 0, 0, 0, 0, 0, 0};
        a.eth_src = mac("02:00:00:00:00:02");
    }));
    CHECK(!answer(Advert{}.frame(), 8)); // other interface
    const auto f = Advert{}.frame();
    for (std::size_t n = 0; n < f.size(); ++n)
        CHECK(!answer(craft::Bytes(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n))));
}

TEST_CASE("ICMPv6 echo request to the VIP at the realserver's MAC, hop limit from --ttl")
{
    FrameBuilder b;
    auto c = context6();
    // IPv6 flow label 0x01235 (id + attempt), plen 24, nh 58, hlim 1 | echo sum d3af
    // id 0x1234 seq 0xffff | cookie
    CHECK(hex(EchoProbe{}.build(b, c, 1)) ==
          "02000000001102000000000286dd6000123500183a0120010db800000000000000000000000220010db8010000000000"
          "0000000000108000d3af1234ffffa0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
    c.ttl = 7;
    CHECK(EchoProbe{}.build(b, c, 0)[21] == 7);
}

TEST_CASE("ICMPv6 echo reply from the VIP is up; ICMPv6 errors quoting the probe are evidence")
{
    const auto c = context6();
    auto reply = [&](MacAddress from, std::uint16_t id) {
        auto f = craft::ethernet(c.local_mac, from, 0x86dd);
        craft::ipv6(f, c.vip, c.source, 58,
                    craft::icmpv6(c.vip, c.source, 129, 0, std::uint32_t{id} << 16 | 0xfffe, EchoProbe::payload(c)));
        return f;
    };
    auto e = classify6(reply(c.remote_mac, 0x1234));
    REQUIRE(e);
    CHECK(e->verdict == Verdict::Up);
    CHECK(!classify6(reply(mac("02:00:00:00:00:99"), 0x1234)));
    CHECK(!classify6(reply(c.remote_mac, 0x1235)));

    FrameBuilder b;
    const auto probe = EchoProbe{}.build(b, c, 0);
    const craft::Bytes quoted(probe.begin() + 14, probe.end());
    auto error = [&](std::uint8_t type, std::uint8_t code) {
        const auto from = ip("2001:db8::14");
        auto f = craft::ethernet(c.local_mac, c.remote_mac, 0x86dd);
        craft::ipv6(f, from, c.source, 58, craft::icmpv6(from, c.source, type, code, 0, quoted));
        return f;
    };
    e = classify6(error(3, 0));
    REQUIRE(e);
    CHECK(e->verdict == Verdict::VipMissing);
    CHECK(e->what == "time exceeded from 2001:db8::14");
    e = classify6(error(1, 0));
    REQUIRE(e);
    CHECK(e->verdict == Verdict::VipMissing);
    CHECK(e->what == "no route to destination from 2001:db8::14");
    e = classify6(error(1, 1));
    REQUIRE(e);
    CHECK(e->verdict == Verdict::Filtered);
    CHECK(!classify6(error(2, 0))); // packet too big is not about the VIP
    CHECK(!classify6(error(137, 0))); // a redirect
}
