// The matcher of vipcheck(7), REPLIES, one wrong field at a time.
#include <catch2/catch.hpp>

#include "craft.hpp"
#include "fixtures.hpp"
#include "vipcheck/icmp_echo.hpp"
#include "vipcheck/neighbour.hpp"

using namespace vipcheck;
using fixtures::ip;
using fixtures::mac;

namespace {

struct Reply {
    MacAddress eth_src = fixtures::context().remote_mac;
    MacAddress eth_dst = fixtures::context().local_mac;
    IpAddress ip_src = fixtures::context().vip;
    IpAddress ip_dst = fixtures::context().source;
    std::uint8_t type = 0;
    std::uint16_t id = 0x1234;
    std::uint16_t seq = 0xfffe;
    craft::Bytes data = EchoProbe::payload(fixtures::context());

    craft::Bytes frame() const
    {
        auto f = craft::ethernet(eth_dst, eth_src, 0x0800);
        craft::ipv4(f, ip_src, ip_dst, 1, craft::icmp(type, 0, id, seq, data));
        return f;
    }
};

std::optional<Evidence> classify(const craft::Bytes& f, int ifindex = 7)
{
    return EchoProbe{}.classify(CapturedFrame{Bytes(f.data(), f.size()), ifindex}, fixtures::context());
}

// The probe as the realserver received it: what an ICMP error quotes.
craft::Bytes probe_packet(std::size_t quote_bytes, std::uint16_t seq = 0xfffe)
{
    FrameBuilder b;
    auto c = fixtures::context();
    auto frame = EchoProbe{}.build(b, c, static_cast<std::uint16_t>(seq - c.nonce.seq));
    craft::Bytes packet(frame.begin() + 14, frame.end());
    packet.resize(std::min(packet.size(), quote_bytes));
    return packet;
}

craft::Bytes icmp_error(std::uint8_t type, std::uint8_t code, const craft::Bytes& quoted,
                        MacAddress from = fixtures::context().remote_mac)
{
    const auto c = fixtures::context();
    auto f = craft::ethernet(c.local_mac, from, 0x0800);
    craft::ipv4(f, ip("192.0.2.14"), c.source, 1, craft::icmp(type, code, 0, 0, quoted));
    return f;
}

} // namespace

TEST_CASE("an echo reply with every field right is up, for any of our attempts")
{
    auto e = classify(Reply{}.frame());
    REQUIRE(e);
    CHECK(e->verdict == Verdict::Up);
    CHECK(e->attempt == 0);
    Reply r;
    r.seq = 0x0000; // third attempt, after the wrap
    e = classify(r.frame());
    REQUIRE(e);
    CHECK(e->attempt == 2);
}

TEST_CASE("an echo reply with one wrong field does not count")
{
    auto rejected = [](auto change) {
        Reply r;
        change(r);
        return !classify(r.frame());
    };
    CHECK(rejected([](Reply& r) { r.eth_src = mac("02:00:00:00:00:99"); })); // another host's MAC
    CHECK(rejected([](Reply& r) { r.eth_dst = mac("02:00:00:00:00:98"); })); // not to us
    CHECK(rejected([](Reply& r) { r.ip_src = ip("192.0.2.11"); }));          // from the RIP, not the VIP
    CHECK(rejected([](Reply& r) { r.ip_dst = ip("192.0.2.3"); }));           // not to our source
    CHECK(rejected([](Reply& r) { r.id = 0x1235; }));                        // another run's id
    CHECK(rejected([](Reply& r) { r.seq = 0x0001; }));                       // beyond our attempts
    CHECK(rejected([](Reply& r) { r.seq = 0xfffd; }));                       // before our first
    CHECK(rejected([](Reply& r) { r.data[3] ^= 1; }));                       // wrong cookie
    CHECK(rejected([](Reply& r) { r.data.pop_back(); }));                    // truncated payload
    CHECK(rejected([](Reply& r) { r.type = 8; }));                           // a request, not a reply
    CHECK(!classify(Reply{}.frame(), 8));                                    // other interface
}

TEST_CASE("corrupt frames never count and never read out of bounds")
{
    auto f = Reply{}.frame();
    auto bad_ip_sum = f;
    bad_ip_sum[24] ^= 0xff;
    CHECK(!classify(bad_ip_sum));
    auto bad_icmp_sum = f;
    bad_icmp_sum[36] ^= 0xff;
    CHECK(!classify(bad_icmp_sum));
    for (std::size_t n = 0; n < f.size(); ++n)
        CHECK(!classify(craft::Bytes(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n))));
}

TEST_CASE("ICMP errors quoting our probe are positive evidence")
{
    auto e = classify(icmp_error(11, 0, probe_packet(28)));
    REQUIRE(e);
    CHECK(e->verdict == Verdict::VipMissing);
    CHECK(e->what == "time exceeded from 192.0.2.14");

    e = classify(icmp_error(11, 0, probe_packet(1000))); // Linux quotes the whole probe
    REQUIRE(e);
    CHECK(e->verdict == Verdict::VipMissing);

    e = classify(icmp_error(3, 1, probe_packet(28)));
    REQUIRE(e);
    CHECK(e->verdict == Verdict::VipMissing);

    e = classify(icmp_error(3, 13, probe_packet(28)));
    REQUIRE(e);
    CHECK(e->verdict == Verdict::Filtered);
}

TEST_CASE("ICMP errors that do not quote our probe are ignored")
{
    CHECK(!classify(icmp_error(11, 0, probe_packet(28), mac("02:00:00:00:00:99")))); // wrong MAC
    CHECK(!classify(icmp_error(11, 0, probe_packet(27))));                          // quote too short
    CHECK(!classify(icmp_error(11, 0, probe_packet(28, 0x0005))));                  // not our seq
    CHECK(!classify(icmp_error(5, 0, probe_packet(28))));                           // a redirect
    auto wrong_cookie = probe_packet(1000);
    wrong_cookie[30] ^= 1;
    CHECK(!classify(icmp_error(11, 0, wrong_cookie)));
    auto wrong_id = probe_packet(28);
    wrong_id[24] ^= 1;
    CHECK(!classify(icmp_error(11, 0, wrong_id)));
    auto wrong_vip = probe_packet(28);
    wrong_vip[19] ^= 1;
    CHECK(!classify(icmp_error(11, 0, wrong_vip)));
}

TEST_CASE("ARP answers: only a reply from the RIP to us")
{
    const auto c = fixtures::context();
    const NeighbourQuery q{c.ifindex, c.local_mac, c.source, c.rip};
    auto answer = [&](const craft::Bytes& f, int ifindex = 7) {
        return neighbour_answer(CapturedFrame{Bytes(f.data(), f.size()), ifindex}, q);
    };
    const auto rs = mac("02:00:00:00:00:11");
    CHECK(answer(craft::arp_reply(c.local_mac, rs, c.rip, c.source)) == rs);
    CHECK(!answer(craft::arp_reply(c.local_mac, rs, c.rip, c.source), 8));
    CHECK(!answer(craft::arp_reply(c.local_mac, rs, c.vip, c.source)));            // for the VIP
    CHECK(!answer(craft::arp_reply(c.local_mac, rs, c.rip, ip("192.0.2.3"))));      // to someone else
    CHECK(!answer(craft::arp_reply(mac("02:00:00:00:00:55"), rs, c.rip, c.source))); // not to our MAC
    auto request = craft::arp_reply(c.local_mac, rs, c.rip, c.source);
    request[21] = 1; // a request, not a reply
    CHECK(!answer(request));
    auto spoofed = craft::arp_reply(c.local_mac, rs, c.rip, c.source);
    spoofed[6] = 0x04; // Ethernet source differs from the ARP sender
    CHECK(!answer(spoofed));
}
