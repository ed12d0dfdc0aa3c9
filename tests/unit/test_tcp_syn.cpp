// SynProbe: the SYN on the wire, byte for byte, and the matcher against replies
// crafted here by hand. The reply frames come from the small builder below (its own
// checksum code, not libvipcheck's), which is itself pinned to a SYN-ACK that scapy
// produced, so the tests do not trust the code they test.
#include <catch2/catch.hpp>

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "vipcheck/session.hpp"
#include "vipcheck/tcp_syn.hpp"

using namespace vipcheck;

namespace {

using Buf = std::vector<std::uint8_t>;

Buf hex(std::string_view text)
{
    Buf out;
    int high = -1;
    for (char ch : text) {
        int v;
        if (ch >= '0' && ch <= '9')
            v = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            v = ch - 'a' + 10;
        else
            continue; // spaces and separators between annotated groups
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(high << 4 | v));
            high = -1;
        }
    }
    if (high >= 0) // globals are built before Catch runs: no REQUIRE here
        throw std::logic_error("odd number of hex digits");
    return out;
}

// RFC 1071, written again here on purpose (see the file comment).
std::uint16_t inet_checksum(const Buf& data, std::uint32_t sum = 0)
{
    for (std::size_t i = 0; i < data.size(); i += 2)
        sum += static_cast<std::uint32_t>(data[i] << 8 | (i + 1 < data.size() ? data[i + 1] : 0));
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

void put16(Buf& b, std::size_t at, std::uint32_t v)
{
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}
void put32(Buf& b, std::size_t at, std::uint32_t v)
{
    put16(b, at, v >> 16);
    put16(b, at + 2, v & 0xffff);
}
void append(Buf& b, const Buf& more) { b.insert(b.end(), more.begin(), more.end()); }

const Buf mac_director = {0x02, 0, 0, 0, 0x00, 0x02};
const Buf mac_healthy = {0x02, 0, 0, 0, 0x00, 0x11};
const Buf mac_other = {0x02, 0, 0, 0, 0x00, 0x12};
const Buf ip_director = {192, 0, 2, 2};
const Buf ip_vip = {198, 51, 100, 10};
const Buf ip_rip = {192, 0, 2, 11};

constexpr int ifindex = 7;
constexpr std::uint32_t isn = 0x01020304;
constexpr std::uint16_t our_port = 40000;
constexpr std::uint32_t ts_base = 0xa0b0c0d0;

ProbeContext context(bool v6 = false)
{
    ProbeContext c;
    c.ifindex = ifindex;
    c.ifname = "eth0";
    c.local_mac = MacAddress(mac_director.data());
    c.remote_mac = MacAddress(mac_healthy.data());
    c.source = *IpAddress::parse(v6 ? "2001:db8::2" : "192.0.2.2");
    c.vip = *IpAddress::parse(v6 ? "2001:db8:100::10" : "198.51.100.10");
    c.rip = *IpAddress::parse(v6 ? "2001:db8::11" : "192.0.2.11");
    c.port = 80;
    c.ttl = 1;
    c.attempts = 3;
    c.nonce.id = 0x1234;
    c.nonce.seq = 0x0100;
    c.nonce.source_port = our_port;
    c.nonce.isn = isn;
    c.nonce.cookie = {0xa0, 0xb0, 0xc0, 0xd0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    return c;
}

struct Ip4 {
    Buf src = ip_vip;
    Buf dst = ip_director;
    std::uint8_t protocol = 6;
    std::uint16_t id = 0;
    std::uint8_t ttl = 64;
};

struct Tcp {
    std::uint16_t sport = 80;
    std::uint16_t dport = our_port;
    std::uint32_t seq = 0xdeadbeef;
    std::uint32_t ack = isn + 1;
    std::uint8_t flags = tcp_syn | tcp_ack;
    std::uint16_t window = 65160;
    Buf options{};
    bool corrupt_checksum = false;
    bool partial_checksum = false; // as sent with offload: only the pseudo-header sum
};

// Options of a Linux SYN-ACK echoing TSval `echo`.
Buf synack_options(std::uint32_t echo)
{
    Buf o = hex("020405b4 0402 080a 11223344 00000000 01 030307");
    put32(o, 12, echo);
    return o;
}

Buf ethernet(const Buf& dst, const Buf& src, std::uint16_t type)
{
    Buf b = dst;
    append(b, src);
    b.push_back(static_cast<std::uint8_t>(type >> 8));
    b.push_back(static_cast<std::uint8_t>(type));
    return b;
}

Buf ipv4(const Ip4& h, const Buf& payload)
{
    Buf b = hex("4500 0000 0000 4000 0000 0000");
    put16(b, 2, 20 + payload.size());
    put16(b, 4, h.id);
    b[8] = h.ttl;
    b[9] = h.protocol;
    append(b, h.src);
    append(b, h.dst);
    put16(b, 10, inet_checksum(b));
    append(b, payload);
    return b;
}

Buf tcp4(const Ip4& ip, const Tcp& t)
{
    Buf seg(20, 0);
    put16(seg, 0, t.sport);
    put16(seg, 2, t.dport);
    put32(seg, 4, t.seq);
    put32(seg, 8, t.ack);
    seg[12] = static_cast<std::uint8_t>((20 + t.options.size()) / 4 << 4);
    seg[13] = t.flags;
    put16(seg, 14, t.window);
    append(seg, t.options);
    Buf pseudo = ip.src;
    append(pseudo, ip.dst);
    append(pseudo, {0, 6, 0, 0});
    put16(pseudo, 10, seg.size());
    Buf sum = pseudo;
    append(sum, seg);
    if (t.partial_checksum)
        put16(seg, 16, static_cast<std::uint16_t>(~inet_checksum(pseudo)));
    else
        put16(seg, 16, inet_checksum(sum) ^ (t.corrupt_checksum ? 0x0101 : 0));
    return ipv4(ip, seg);
}

Buf frame(const Buf& ip_packet, const Buf& src_mac = mac_healthy, const Buf& dst_mac = mac_director)
{
    Buf b = ethernet(dst_mac, src_mac, 0x0800);
    append(b, ip_packet);
    return b;
}

Buf reply(const Tcp& t, const Ip4& ip = {})
{
    return frame(tcp4(ip, t));
}

// An ICMP error from the realserver (source: the VIP, as Linux picks the address the
// offending packet was sent to when it is local) quoting `quoted`.
Buf icmp_error(std::uint8_t type, std::uint8_t code, const Buf& quoted, const Buf& from = ip_vip)
{
    Buf icmp = {type, code, 0, 0, 0, 0, 0, 0};
    append(icmp, quoted);
    put16(icmp, 2, inet_checksum(icmp));
    Ip4 ip;
    ip.src = from;
    ip.protocol = 1;
    return frame(ipv4(ip, icmp));
}

std::optional<Evidence> classify(const Buf& bytes, const ProbeContext& c = context(), int at = ifindex)
{
    return SynProbe{}.classify(CapturedFrame{Bytes(bytes), at}, c);
}

std::string field_text(const Evidence& e, const std::string& key)
{
    for (const auto& f : e.fields) {
        if (f.key != key)
            continue;
        if (const auto* s = std::get_if<std::string>(&f.value))
            return *s;
        if (const auto* i = std::get_if<std::int64_t>(&f.value))
            return std::to_string(*i);
        if (std::holds_alternative<std::nullptr_t>(f.value))
            return "null";
        return "?";
    }
    return "missing";
}

// Our SYN, attempt 0, as it must leave the wire. Checksums 0x7b48 (IP) and 0x5eb7
// (TCP) were computed independently with scapy 2.5 from the same field values.
const Buf golden_syn_v4 = hex(
    "020000000011 020000000002 0800"            // to the realserver's MAC, from ours, IPv4
    "45 00 003c 1234 4000 01 06 7b48"           // 60 bytes, id = nonce.id, DF, ttl 1, TCP
    "c0000202 c633640a"                         // 192.0.2.2 > 198.51.100.10
    "9c40 0050 01020304 00000000"               // 40000 > 80, seq ISN, no ack
    "a0 02 faf0 5eb7 0000"                      // 40-byte header, SYN, win 64240
    "020405b4 0402 080a a0b0c0d0 00000000"      // mss 1460, sackOK, TS val ecr 0
    "01 030307");                               // nop, wscale 7

} // namespace

TEST_CASE("the reply builder here agrees with scapy", "[syn][fixture]")
{
    // scapy: Ether/IP(src=VIP, dst=192.0.2.2, ttl=64, id=0, DF)/TCP(80 > 40000,
    // seq=0xdeadbeef, ack=ISN+1, SA, win 65160, Linux options, TSecr 0xa0b0c0d1)
    const Buf scapy = hex("020000000002020000000011080045 00003c0000400040064e7cc633640ac000020200509c40deadbeef"
                          "01020305a012fe8879090000020405b40402080a11223344a0b0c0d101030307");
    CHECK(reply({.options = synack_options(ts_base + 1)}) == scapy);
}

TEST_CASE("the SYN is byte for byte a Linux client's", "[syn][build]")
{
    FrameBuilder b;
    const SynProbe probe;
    const auto c = context();

    CHECK(probe.build(b, c, 0) == golden_syn_v4);

    SECTION("a later attempt is a retransmission: same ports and ISN, its own IP ID and TSval")
    {
        const Frame again = probe.build(b, c, 2);
        REQUIRE(again.size() == golden_syn_v4.size());
        CHECK(again[18] == 0x12);
        CHECK(again[19] == 0x36); // IP ID nonce.id + 2
        CHECK(std::equal(again.begin() + 34, again.begin() + 46, golden_syn_v4.begin() + 34)); // ports, seq, ack
        CHECK(again[65] == 0xd2); // TSval ts_base + 2
        // Both checksums still verify: the one's complement sum over each header is zero.
        const Buf ip_header(again.begin() + 14, again.begin() + 34);
        CHECK(inet_checksum(ip_header) == 0);
        Buf pseudo = hex("c0000202 c633640a 0006 0028");
        append(pseudo, Buf(again.begin() + 34, again.end()));
        CHECK(inet_checksum(pseudo) == 0);
    }

    SECTION("the trace shows the options as tcpdump would")
    {
        CHECK(describe_frame(golden_syn_v4) ==
              "192.0.2.2.40000 > 198.51.100.10.80: TCP [S] seq 16909060 win 64240 "
              "<mss 1460,sackOK,TS val 2695938256 ecr 0,nop,wscale 7>, ttl 1");
    }
}

TEST_CASE("the IPv6 SYN carries MSS 1440 and the attempt in the flow label", "[syn][build]")
{
    FrameBuilder b;
    // scapy: IPv6(2001:db8::2 > 2001:db8:100::10, hlim 1, fl 0x1234)/TCP(... MSS 1440 ...):
    // TCP checksum 0xee87.
    const Buf golden = hex("020000000011 020000000002 86dd"
                           "60001234 0028 06 01"
                           "20010db8000000000000000000000002 20010db8010000000000000000000010"
                           "9c40 0050 01020304 00000000 a002 faf0 ee87 0000"
                           "020405a0 0402 080a a0b0c0d0 00000000 01 030307");
    CHECK(SynProbe{}.build(b, context(true), 0) == golden);
}

TEST_CASE("after a SYN-ACK exactly one RST with seq ISN+1 goes out", "[syn][after]")
{
    FrameBuilder b;
    const SynProbe probe;
    const auto c = context();
    // scapy: IP(id=0x1237, DF, ttl 1)/TCP(40000 > 80, seq=ISN+1, flags=R, win 0):
    // checksums 0x7b59 and 0x2309; 54 bytes, padded to the Ethernet minimum.
    const Buf golden_rst = hex("020000000011 020000000002 0800"
                               "45 00 0028 1237 4000 01 06 7b59 c0000202 c633640a"
                               "9c40 0050 01020305 00000000 50 04 0000 2309 0000"
                               "000000000000");

    const auto up = classify(reply({.options = synack_options(ts_base)}));
    REQUIRE(up);
    const auto frames = probe.after(b, c, *up);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0] == golden_rst);

    const auto closed = classify(reply({.seq = 0, .flags = tcp_rst | tcp_ack, .window = 0}));
    REQUIRE(closed);
    CHECK(probe.after(b, c, *closed).empty());
}

TEST_CASE("SYN-ACK is up, RST-ACK is port-closed", "[syn][classify]")
{
    SECTION("SYN-ACK acknowledging ISN+1")
    {
        const auto e = classify(reply({.options = synack_options(ts_base)}));
        REQUIRE(e);
        CHECK(e->verdict == Verdict::Up);
        CHECK(e->attempt == 0);
        CHECK(e->what == "SYN-ACK from port 80");
        CHECK(field_text(*e, "port") == "80");
        CHECK(field_text(*e, "tcp_flags") == "SA");
    }
    SECTION("the echoed timestamp names the attempt")
    {
        const auto e = classify(reply({.options = synack_options(ts_base + 2)}));
        REQUIRE(e);
        CHECK(e->attempt == 2);
    }
    SECTION("an echo outside the run's attempts, or no timestamps: counted for the first attempt")
    {
        // ack = ISN+1 is the proof; a middlebox rewriting timestamps must not turn an
        // up into no-reply. Only the rtt becomes an upper bound.
        const auto foreign = classify(reply({.options = synack_options(ts_base + 3)}));
        REQUIRE(foreign);
        CHECK(foreign->attempt == 0);
        const auto none = classify(reply({.options = hex("020405b4")}));
        REQUIRE(none);
        CHECK(none->verdict == Verdict::Up);
        CHECK(none->attempt == 0);
    }
    SECTION("SYN-ACK with ECN flags still counts")
    {
        const auto e = classify(reply({.flags = tcp_syn | tcp_ack | 0x40}));
        REQUIRE(e);
        CHECK(e->verdict == Verdict::Up);
        CHECK(field_text(*e, "tcp_flags") == "SAE");
    }
    SECTION("RST-ACK with ack ISN+1, as Linux answers a SYN to a closed port")
    {
        const auto e = classify(reply({.seq = 0, .flags = tcp_rst | tcp_ack, .window = 0}));
        REQUIRE(e);
        CHECK(e->verdict == Verdict::PortClosed);
        CHECK(e->what == "RST from port 80");
        CHECK(field_text(*e, "tcp_flags") == "RA");
    }
}

TEST_CASE("the matcher rejects every reply that is not to this run's SYN", "[syn][classify]")
{
    const Tcp good{.options = synack_options(ts_base)};
    REQUIRE(classify(reply(good))); // the control: only the one field below differs

    SECTION("wrong ack")
    {
        for (std::uint32_t ack : {isn, isn + 2, isn - 1, ~isn, 0u}) {
            Tcp t = good;
            t.ack = ack;
            CHECK_FALSE(classify(reply(t)));
            t.flags = tcp_rst | tcp_ack;
            CHECK_FALSE(classify(reply(t)));
        }
    }
    SECTION("no ACK bit: the ack field means nothing")
    {
        Tcp t = good;
        t.flags = tcp_syn;
        CHECK_FALSE(classify(reply(t)));
        t.flags = tcp_rst;
        CHECK_FALSE(classify(reply(t)));
    }
    SECTION("an ACK that is neither SYN-ACK nor RST")
    {
        for (std::uint8_t flags : {std::uint8_t{tcp_ack}, std::uint8_t{tcp_ack | tcp_psh},
                                   std::uint8_t{tcp_syn | tcp_ack | tcp_fin}, std::uint8_t{tcp_fin | tcp_ack}}) {
            Tcp t = good;
            t.flags = flags;
            CHECK_FALSE(classify(reply(t)));
        }
    }
    SECTION("wrong ports")
    {
        Tcp t = good;
        t.sport = 81;
        CHECK_FALSE(classify(reply(t)));
        t = good;
        t.dport = our_port + 1;
        CHECK_FALSE(classify(reply(t)));
        t = good;
        t.sport = our_port; // ports swapped: our own SYN reflected back
        t.dport = 80;
        CHECK_FALSE(classify(reply(t)));
    }
    SECTION("wrong MAC")
    {
        CHECK_FALSE(classify(frame(tcp4({}, good), mac_other)));                 // another realserver
        CHECK_FALSE(classify(frame(tcp4({}, good), mac_healthy, mac_other)));    // not to us
        CHECK_FALSE(classify(frame(tcp4({}, good), mac_director, mac_healthy))); // our own frame
    }
    SECTION("wrong source or destination address")
    {
        CHECK_FALSE(classify(reply(good, {.src = ip_rip})));
        CHECK_FALSE(classify(reply(good, {.src = {198, 51, 100, 11}})));
        CHECK_FALSE(classify(reply(good, {.dst = {192, 0, 2, 3}})));
    }
    SECTION("wrong interface")
    {
        CHECK_FALSE(classify(reply(good), context(), ifindex + 1));
    }
    SECTION("bad TCP checksum")
    {
        Tcp t = good;
        t.corrupt_checksum = true;
        CHECK_FALSE(classify(reply(t)));
    }
    SECTION("a checksum left to offload (veth, virtio) counts; nothing else near it does")
    {
        Tcp t = good;
        t.partial_checksum = true;
        Buf f = reply(t);
        CHECK(classify(f));
        f[50] ^= 0x01; // checksum field, low byte
        CHECK_FALSE(classify(f));
    }
    SECTION("another run's nonce")
    {
        auto c = context();
        c.nonce.isn = isn + 0x10000;
        CHECK_FALSE(classify(reply(good), c));
        c = context();
        c.nonce.source_port = our_port + 1;
        CHECK_FALSE(classify(reply(good), c));
    }
    SECTION("truncated frame")
    {
        const Buf whole = reply(good);
        for (std::size_t n : {std::size_t{13}, std::size_t{33}, std::size_t{40}, whole.size() - 1})
            CHECK_FALSE(classify(Buf(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n))));
    }
}

TEST_CASE("ICMP errors quoting our SYN: vip-missing or filtered", "[syn][classify][icmp]")
{
    // What a router quotes: our IP header and (at least) the first 8 bytes of the SYN.
    const Buf quoted_syn(golden_syn_v4.begin() + 14, golden_syn_v4.begin() + 14 + 20 + 8);

    SECTION("time exceeded from a forwarding realserver")
    {
        const auto e = classify(icmp_error(11, 0, quoted_syn, ip_rip));
        REQUIRE(e);
        CHECK(e->verdict == Verdict::VipMissing);
        CHECK(e->what == "time exceeded from 192.0.2.11");
        CHECK(field_text(*e, "port") == "80");
        CHECK(field_text(*e, "tcp_flags") == "null");
    }
    SECTION("host unreachable")
    {
        const auto e = classify(icmp_error(3, 1, quoted_syn, ip_rip));
        REQUIRE(e);
        CHECK(e->verdict == Verdict::VipMissing);
    }
    SECTION("administratively prohibited (nftables reject) is filtered")
    {
        const auto e = classify(icmp_error(3, 13, Buf(golden_syn_v4.begin() + 14, golden_syn_v4.end())));
        REQUIRE(e);
        CHECK(e->verdict == Verdict::Filtered);
        CHECK(e->what == "administratively prohibited from 198.51.100.10");
    }
    SECTION("the quoted IP ID names the attempt")
    {
        Buf q = quoted_syn;
        q[5] = 0x36; // id 0x1236: attempt 2 (the quoted checksum is not ours to judge)
        const auto e = classify(icmp_error(11, 0, q, ip_rip));
        REQUIRE(e);
        CHECK(e->attempt == 2);
    }
    SECTION("a quote that is not our SYN")
    {
        Buf q = quoted_syn;
        q[27] ^= 1; // seq != ISN
        CHECK_FALSE(classify(icmp_error(11, 0, q, ip_rip)));
        q = quoted_syn;
        q[21] ^= 1; // source port
        CHECK_FALSE(classify(icmp_error(11, 0, q, ip_rip)));
        q = quoted_syn;
        q[23] = 81; // destination port
        CHECK_FALSE(classify(icmp_error(11, 0, q, ip_rip)));
        q = quoted_syn;
        q[19] = 11; // to 198.51.100.11, not the VIP
        CHECK_FALSE(classify(icmp_error(11, 0, q, ip_rip)));
        q = quoted_syn;
        q[9] = 17; // UDP
        CHECK_FALSE(classify(icmp_error(11, 0, q, ip_rip)));
    }
    SECTION("other ICMP types, another MAC")
    {
        CHECK_FALSE(classify(icmp_error(5, 0, quoted_syn, ip_rip))); // redirect
        Buf from_other = icmp_error(11, 0, quoted_syn, ip_rip);
        std::copy(mac_other.begin(), mac_other.end(), from_other.begin() + 6);
        CHECK_FALSE(classify(from_other));
    }
}

TEST_CASE("JSON fields are there whatever the verdict", "[syn][report]")
{
    const auto fields = SynProbe{}.report_fields(context(), nullptr);
    REQUIRE(fields.size() == 2);
    CHECK(fields[0].key == "port");
    CHECK(std::get<std::int64_t>(fields[0].value) == 80);
    CHECK(fields[1].key == "tcp_flags");
    CHECK(std::holds_alternative<std::nullptr_t>(fields[1].value));
}

TEST_CASE("the capture filter compiles for IPv4 and IPv6", "[syn][filter]")
{
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 512);
    REQUIRE(dead);
    for (bool v6 : {false, true}) {
        const std::string filter = SynProbe{}.capture_filter(context(v6));
        INFO(filter);
        bpf_program program{};
        CHECK(pcap_compile(dead, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0);
        // The golden SYN-ACK passes the kernel filter; our own SYN does not.
        if (!v6) {
            const Buf synack = reply({.options = synack_options(ts_base)});
            pcap_pkthdr h{};
            h.caplen = h.len = static_cast<bpf_u_int32>(synack.size());
            CHECK(pcap_offline_filter(&program, &h, synack.data()) != 0);
            h.caplen = h.len = static_cast<bpf_u_int32>(golden_syn_v4.size());
            CHECK(pcap_offline_filter(&program, &h, golden_syn_v4.data()) == 0);
            const Buf prohibited = icmp_error(3, 13, Buf(golden_syn_v4.begin() + 14, golden_syn_v4.end()));
            h.caplen = h.len = static_cast<bpf_u_int32>(prohibited.size());
            CHECK(pcap_offline_filter(&program, &h, prohibited.data()) != 0);
        }
        pcap_freecode(&program);
    }
    pcap_close(dead);
}

TEST_CASE("a session: SYN, SYN-ACK, RST, up", "[syn][session]")
{
    const SynProbe probe;
    const Trace trace("test", false);
    FrameBuilder b;
    const TimePoint t0{};
    ProbeSession s(probe, context(), SessionPlan{std::chrono::seconds(1), 3, false}, t0, trace);
    std::vector<Frame> out;
    s.on_timer(t0, b, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0] == golden_syn_v4);
    out.clear();

    // A retransmitted SYN-ACK answering the second SYN still echoes the first TSval.
    s.on_timer(t0 + std::chrono::milliseconds(400), b, out);
    REQUIRE(out.size() == 1);
    out.clear();
    const Buf synack = reply({.options = synack_options(ts_base)});
    s.on_frame(CapturedFrame{Bytes(synack), ifindex}, t0 + std::chrono::milliseconds(401), b, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0][47] == tcp_rst); // the RST, at once
    CHECK(s.verdict() == Verdict::Up);
    REQUIRE(s.rtt());
    CHECK(*s.rtt() == std::chrono::milliseconds(401));

    // A second SYN-ACK (the realserver's retransmission) changes nothing and sends nothing.
    out.clear();
    s.on_frame(CapturedFrame{Bytes(synack), ifindex}, t0 + std::chrono::milliseconds(402), b, out);
    CHECK(out.empty());
}
