// vip-http-check's user-space TCP glue, driven with crafted frames and a fake clock:
// the SYN carries this run's random ISN and port at the realserver's MAC with the
// probe's TTL; only frames of this connection reach lwIP; data, loss, reordering,
// partial checksums, RST and the close in both directions.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <set>
#include <vector>
#include <string>

#include "fixtures.hpp"
#include "vipcheck/frames.hpp"
#include "vipcheck/packet.hpp"
#include "vipcheck/probe.hpp"
#include "vip_http/user_tcp.hpp"

using namespace vipcheck;
using fixtures::ip;
using fixtures::mac;
using namespace std::chrono_literals;

namespace {

using TimePoint = UserTcp::TimePoint;

TcpFlow flow4(std::uint32_t isn = 0x01020304, std::uint16_t port = 40000)
{
    TcpFlow f;
    f.local_mac = mac("02:00:00:00:00:02");
    f.remote_mac = mac("02:00:00:00:00:11");
    f.local = ip("192.0.2.2");
    f.remote = ip("198.51.100.10");
    f.local_port = port;
    f.remote_port = 80;
    f.isn = isn;
    f.ttl = 1;
    return f;
}

TcpFlow flow6()
{
    TcpFlow f = flow4();
    f.local = ip("2001:db8::2");
    f.remote = ip("2001:db8:100::10");
    return f;
}

struct Segment {
    IpPacket ip;
    TcpSegment tcp;
    std::string data;
    MacAddress destination;
    MacAddress source;
};

Segment parse(const Frame& frame)
{
    const auto eth = parse_ethernet(frame);
    REQUIRE(eth);
    const auto ip = eth->type == ethertype_ipv4 ? parse_ipv4(eth->payload) : parse_ipv6(eth->payload);
    REQUIRE(ip);
    const auto tcp = parse_tcp(*ip);
    REQUIRE(tcp);
    const std::size_t offset = static_cast<std::size_t>(ip->payload[12] >> 4) * 4;
    return {*ip, *tcp,
            std::string(reinterpret_cast<const char*>(ip->payload.data()) + offset, ip->payload.size() - offset),
            eth->destination, eth->source};
}

// The realserver's side, crafted with the library's own frame builder.
class Peer {
public:
    explicit Peer(const TcpFlow& f, std::uint32_t isn = 0x50000000) : flow_(f), seq_(isn) {}

    Frame segment(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, const std::string& data = "")
    {
        Envelope e;
        e.source_mac = flow_.remote_mac;
        e.destination_mac = flow_.local_mac;
        e.source = flow_.remote;
        e.destination = flow_.local;
        e.ttl = 64;
        TcpHeader t;
        t.source_port = flow_.remote_port;
        t.destination_port = flow_.local_port;
        t.seq = seq;
        t.ack = ack;
        t.flags = flags;
        t.window = 65535;
        if (flags & tcp_syn)
            t.options = {2, 4, 0x05, 0xb4}; // MSS 1460
        Frame frame = builder_.tcp(e, t);
        if (!data.empty()) {
            // Rebuilt with the payload: FrameBuilder sends bare headers, so the data is
            // appended and the lengths and checksums are made right here.
            frame = with_payload(frame, data);
        }
        return frame;
    }

    Frame syn_ack(std::uint32_t client_isn) { return segment(tcp_syn | tcp_ack, seq_, client_isn + 1); }
    std::uint32_t next() const { return seq_ + 1; }

private:
    Frame with_payload(const Frame& bare, const std::string& data) const
    {
        Frame f(bare.begin(), bare.begin() + 14);
        const auto eth = parse_ethernet(bare);
        const auto ip = eth->type == ethertype_ipv4 ? parse_ipv4(eth->payload) : parse_ipv6(eth->payload);
        std::vector<std::uint8_t> tcp(ip->payload.begin(), ip->payload.end());
        tcp.insert(tcp.end(), data.begin(), data.end());
        tcp[16] = tcp[17] = 0;
        IpPacket pseudo = *ip;
        const std::uint16_t sum = checksum_fold(checksum_add(Bytes(tcp), pseudo_header_sum(pseudo, tcp.size())));
        tcp[16] = static_cast<std::uint8_t>(sum >> 8);
        tcp[17] = static_cast<std::uint8_t>(sum);
        std::vector<std::uint8_t> header(ip->header.begin(), ip->header.end());
        if (ip->source.is_v4()) {
            const std::size_t total = header.size() + tcp.size();
            header[2] = static_cast<std::uint8_t>(total >> 8);
            header[3] = static_cast<std::uint8_t>(total);
            header[10] = header[11] = 0;
            const std::uint16_t hs = checksum_fold(checksum_add(Bytes(header)));
            header[10] = static_cast<std::uint8_t>(hs >> 8);
            header[11] = static_cast<std::uint8_t>(hs);
        } else {
            header[4] = static_cast<std::uint8_t>(tcp.size() >> 8);
            header[5] = static_cast<std::uint8_t>(tcp.size());
        }
        f.insert(f.end(), header.begin(), header.end());
        f.insert(f.end(), tcp.begin(), tcp.end());
        return f;
    }

    TcpFlow flow_;
    std::uint32_t seq_;
    FrameBuilder builder_;
};

Bytes bytes_of(const std::string& s)
{
    return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

} // namespace

TEST_CASE("the SYN carries this run's ISN and port, to the realserver's MAC, with the probe's TTL",
          "[user_tcp][nonce]")
{
    const TimePoint t0{};
    // Several connections in one process: lwIP's own ISN counter must not show through.
    for (std::uint32_t isn : {0x01020304u, 0u, 0xffffffffu, 6510u, 0x80000000u}) {
        TcpFlow f = flow4(isn, static_cast<std::uint16_t>(33000 + (isn & 0xfff)));
        f.ttl = 1;
        LwipStack stack_tcp(t0);
        UserTcp tcp(stack_tcp, f);
        const auto frames = tcp.take_frames();
        REQUIRE(frames.size() == 1);
        const Segment s = parse(frames[0]);
        CHECK(s.destination == f.remote_mac);
        CHECK(s.source == f.local_mac);
        CHECK(s.ip.source == f.local);
        CHECK(s.ip.destination == f.remote);
        CHECK(s.ip.ttl == 1);
        CHECK(s.tcp.flags == tcp_syn);
        CHECK(s.tcp.seq == isn);
        CHECK(s.tcp.source_port == f.local_port);
        CHECK(s.tcp.destination_port == 80);
    }
}

TEST_CASE("random nonces give random ISNs and ports on the wire", "[user_tcp][nonce]")
{
    std::set<std::uint32_t> isns;
    std::set<std::uint16_t> ports;
    for (int i = 0; i < 8; ++i) {
        const Nonce n = Nonce::random();
        LwipStack stack_tcp(TimePoint{});
        UserTcp tcp(stack_tcp, flow4(n.isn, n.source_port));
        const Segment s = parse(tcp.take_frames().at(0));
        CHECK(s.tcp.seq == n.isn);
        CHECK(s.tcp.source_port == n.source_port);
        CHECK(s.tcp.source_port >= 32768);
        isns.insert(s.tcp.seq);
        ports.insert(s.tcp.source_port);
    }
    CHECK(isns.size() >= 7);
    CHECK(ports.size() >= 6);
}

TEST_CASE("one lwIP stack per process at a time: lwIP's state is the process's", "[user_tcp]")
{
    LwipStack first(TimePoint{});
    CHECK_THROWS_WITH(LwipStack(TimePoint{}), Catch::Contains("second lwIP stack"));
}

TEST_CASE("a whole exchange: handshake, request, reordered reply, close with the realserver first",
          "[user_tcp]")
{
    const TcpFlow f = flow4();
    TimePoint now{};
    LwipStack stack_tcp(now);
    UserTcp tcp(stack_tcp, f);
    Peer rs(f);
    tcp.take_frames();
    CHECK_FALSE(tcp.established());
    CHECK(tcp.send(bytes_of("early")) == 0); // nothing goes before the handshake

    REQUIRE(tcp.on_frame(rs.syn_ack(f.isn)));
    CHECK(tcp.established());
    auto out = tcp.take_frames();
    REQUIRE(out.size() == 1);
    CHECK(parse(out[0]).tcp.flags == tcp_ack);
    CHECK(parse(out[0]).tcp.ack == rs.next());

    CHECK(tcp.send(bytes_of("GET / HTTP/1.1\r\n\r\n")) == 18);
    out = tcp.take_frames();
    REQUIRE(out.size() == 1);
    const Segment request = parse(out[0]);
    CHECK(request.data == "GET / HTTP/1.1\r\n\r\n");
    CHECK(request.tcp.seq == f.isn + 1);
    CHECK(request.ip.ttl == 1);

    const std::uint32_t our = f.isn + 1 + 18;
    const std::uint32_t s1 = rs.next();
    // The second half first: held back until the gap is filled.
    CHECK(tcp.on_frame(rs.segment(tcp_ack | tcp_psh, s1 + 5, our, "world")));
    CHECK(tcp.take_received().empty());
    CHECK(tcp.on_frame(rs.segment(tcp_ack, s1, our, "hello")));
    CHECK(tcp.take_received() == "helloworld");
    // The realserver closes first (Connection: close).
    CHECK(tcp.on_frame(rs.segment(tcp_ack | tcp_fin, s1 + 10, our)));
    CHECK(tcp.peer_finished());
    CHECK_FALSE(tcp.closed());
    tcp.take_frames();
    tcp.finish_sending();
    out = tcp.take_frames();
    REQUIRE_FALSE(out.empty());
    const Segment fin = parse(out.back());
    CHECK((fin.tcp.flags & tcp_fin));
    CHECK(fin.tcp.seq == our);
    CHECK(fin.tcp.ack == s1 + 11);
    CHECK(tcp.on_frame(rs.segment(tcp_ack, s1 + 11, our + 1)));
    CHECK(tcp.closed());
    CHECK(tcp.end() == TcpEnd::Closed);
    CHECK_FALSE(tcp.failed());
}

TEST_CASE("a lost SYN is sent again, with the same ISN", "[user_tcp][loss]")
{
    const TcpFlow f = flow4();
    TimePoint now{};
    LwipStack stack_tcp(now);
    UserTcp tcp(stack_tcp, f);
    tcp.take_frames();
    // lwIP's first RTO (3 s in its clock) is 300 ms here.
    for (int i = 0; i < 10; ++i) {
        now += 25ms;
        tcp.on_timer(now);
    }
    CHECK(tcp.take_frames().empty());
    for (int i = 0; i < 10; ++i) {
        now += 25ms;
        tcp.on_timer(now);
    }
    const auto again = tcp.take_frames();
    REQUIRE(again.size() == 1);
    CHECK(parse(again[0]).tcp.flags == tcp_syn);
    CHECK(parse(again[0]).tcp.seq == f.isn);
}

TEST_CASE("a stack that sat empty times nothing of that while: a new connection's SYN goes once", "[user_tcp][loss]")
{
    // vipcheckd's stack outlives its connections: between two rounds it is empty for
    // the interval, and the lwIP ticks of that time must not all run when the next
    // round's first connection wakes the clock (they sent its SYN seven times at once).
    TimePoint now{};
    LwipStack stack_tcp(now);
    {
        UserTcp earlier(stack_tcp, flow4(0x01020304, 40000));
        earlier.on_timer(now);
    }
    now += 5s;
    const TcpFlow f = flow4(0x0a0b0c0d, 40001);
    UserTcp tcp(stack_tcp, f);
    REQUIRE(tcp.take_frames().size() == 1);
    tcp.on_timer(now);
    CHECK(tcp.take_frames().empty());
    // Its own first retransmission comes after lwIP's RTO, counted from now.
    for (int i = 0; i < 10; ++i) {
        now += 25ms;
        tcp.on_timer(now);
    }
    CHECK(tcp.take_frames().empty());
    for (int i = 0; i < 10; ++i) {
        now += 25ms;
        tcp.on_timer(now);
    }
    const auto again = tcp.take_frames();
    REQUIRE(again.size() == 1);
    CHECK(parse(again[0]).tcp.seq == f.isn);
}

TEST_CASE("a lost request is retransmitted until acknowledged", "[user_tcp][loss]")
{
    const TcpFlow f = flow4();
    TimePoint now{};
    LwipStack stack_tcp(now);
    UserTcp tcp(stack_tcp, f);
    Peer rs(f);
    tcp.on_frame(rs.syn_ack(f.isn));
    tcp.send(bytes_of("GET /"));
    tcp.take_frames();
    int resent = 0;
    for (int i = 0; i < 200 && resent == 0; ++i) {
        now += 25ms;
        tcp.on_timer(now);
        for (const auto& frame : tcp.take_frames())
            if (parse(frame).data == "GET /")
                ++resent;
    }
    CHECK(resent == 1);
}

TEST_CASE("RST to the SYN: refused; RST later: reset", "[user_tcp]")
{
    const TcpFlow f = flow4();
    {
        LwipStack stack_tcp(TimePoint{});
        UserTcp tcp(stack_tcp, f);
        Peer rs(f);
        CHECK(tcp.on_frame(rs.segment(tcp_rst | tcp_ack, 0, f.isn + 1)));
        CHECK(tcp.end() == TcpEnd::Refused);
        CHECK(tcp.failed());
        CHECK(tcp.closed());
    }
    {
        LwipStack stack_tcp(TimePoint{});
        UserTcp tcp(stack_tcp, f);
        Peer rs(f);
        tcp.on_frame(rs.syn_ack(f.isn));
        CHECK(tcp.on_frame(rs.segment(tcp_rst, rs.next(), 0)));
        CHECK(tcp.end() == TcpEnd::Reset);
    }
}

TEST_CASE("only this connection's frames reach lwIP", "[user_tcp][filter]")
{
    const TcpFlow f = flow4();
    LwipStack stack_tcp(TimePoint{});
    UserTcp tcp(stack_tcp, f);
    tcp.take_frames();
    TcpFlow other = f;
    other.remote_mac = mac("02:00:00:00:00:99");
    CHECK_FALSE(tcp.on_frame(Peer(other).syn_ack(f.isn))); // another MAC
    other = f;
    other.remote_port = 81;
    CHECK_FALSE(tcp.on_frame(Peer(other).syn_ack(f.isn))); // another port
    other = f;
    other.local_port = static_cast<std::uint16_t>(f.local_port + 1);
    CHECK_FALSE(tcp.on_frame(Peer(other).syn_ack(f.isn))); // another run's port
    other = f;
    other.remote = ip("198.51.100.11");
    CHECK_FALSE(tcp.on_frame(Peer(other).syn_ack(f.isn))); // another VIP
    CHECK(tcp.frames_in() == 0);
    CHECK_FALSE(tcp.established());

    // Ours but corrupted: taken, never fed.
    Frame bad = Peer(f).syn_ack(f.isn);
    bad[14 + 20 + 15] ^= 0x01; // the window, past the IP header (the frame's end is padding)
    CHECK(tcp.on_frame(bad));
    CHECK(tcp.frames_in() == 0);
    CHECK_FALSE(tcp.established());
    // A wrong acknowledgement (a blind forgery) is lwIP's to refuse.
    CHECK(tcp.on_frame(Peer(f).segment(tcp_syn | tcp_ack, 1, f.isn + 2)));
    CHECK_FALSE(tcp.established());
}

TEST_CASE("in_receive_space: 64 KiB behind rcv_nxt to 1 GiB ahead, modulo 2^32", "[user_tcp][filter]")
{
    CHECK(in_receive_space(1000, 1000));
    CHECK(in_receive_space(1000, 1000 - 0xfffe));
    CHECK_FALSE(in_receive_space(1000, 1000 - 0xffff));
    CHECK(in_receive_space(0xfffffff0u, 0x10)); // ahead across the wrap
    CHECK(in_receive_space(0x10, 0xfffffff0u)); // behind across the wrap
    CHECK(in_receive_space(1000, 1000 + (1u << 30) - 1));
    CHECK_FALSE(in_receive_space(1000, 1000 + (1u << 30)));
    CHECK_FALSE(in_receive_space(1000, 1000 + 0x80000000u));
}

TEST_CASE("a segment half the sequence space away never reaches lwIP (its trim asserts)", "[user_tcp][filter]")
{
    // Found by fuzz_user_tcp: lwIP 2.1.3 aborted with "insane offset!" on a data segment
    // 2^31 behind rcv_nxt (one byte long: the only length whose modular test lets it through).
    const TcpFlow f = flow4();
    LwipStack stack_tcp(TimePoint{});
    UserTcp tcp(stack_tcp, f);
    Peer rs(f);
    REQUIRE(tcp.on_frame(rs.syn_ack(f.isn)));
    REQUIRE(tcp.established());
    CHECK(tcp.on_frame(rs.segment(tcp_ack | tcp_psh, rs.next() - 0x80000000u, f.isn + 1, "x")));
    CHECK(tcp.frames_out_of_window() == 1);
    CHECK(tcp.established());
    CHECK(tcp.take_received().empty());
    // A retransmission that overlaps rcv_nxt is trimmed by lwIP and delivered.
    CHECK(tcp.on_frame(rs.segment(tcp_ack | tcp_psh, rs.next() - 2, f.isn + 1, "abcd")));
    CHECK(tcp.frames_out_of_window() == 1);
    CHECK(tcp.take_received() == "cd");
}

TEST_CASE("a segment with a partial checksum (GRO, TSO) is completed and taken", "[user_tcp][checksum]")
{
    const TcpFlow f = flow4();
    LwipStack stack_tcp(TimePoint{});
    UserTcp tcp(stack_tcp, f);
    Peer rs(f);
    Frame syn_ack = rs.syn_ack(f.isn);
    // As the kernel leaves it: the field holds the folded pseudo-header sum.
    const auto eth = parse_ethernet(syn_ack);
    const auto ipp = parse_ipv4(eth->payload);
    const std::uint16_t partial = static_cast<std::uint16_t>(~checksum_fold(pseudo_header_sum(*ipp, ipp->payload.size())));
    const std::size_t at = 14 + ipp->header.size() + 16;
    syn_ack[at] = static_cast<std::uint8_t>(partial >> 8);
    syn_ack[at + 1] = static_cast<std::uint8_t>(partial);
    CHECK(tcp.on_frame(syn_ack));
    CHECK(tcp.established());
    CHECK(tcp.partial_checksums() == 1);
}

TEST_CASE("settle_tcp_checksum: valid stays, partial is completed, anything else is refused", "[user_tcp][checksum]")
{
    const TcpFlow f = flow4();
    const Frame frame = Peer(f).segment(tcp_ack, 1, 2, "data");
    const auto eth = parse_ethernet(frame);
    const auto ipp = parse_ipv4(eth->payload);
    std::vector<std::uint8_t> seg(ipp->payload.begin(), ipp->payload.end());
    bool partial = true;
    CHECK(settle_tcp_checksum(*ipp, seg.data(), seg.size(), partial));
    CHECK_FALSE(partial);
    const std::vector<std::uint8_t> good = seg;
    const std::uint16_t folded = static_cast<std::uint16_t>(~checksum_fold(pseudo_header_sum(*ipp, seg.size())));
    seg[16] = static_cast<std::uint8_t>(folded >> 8);
    seg[17] = static_cast<std::uint8_t>(folded);
    CHECK(settle_tcp_checksum(*ipp, seg.data(), seg.size(), partial));
    CHECK(partial);
    CHECK(seg == good);
    seg[17] ^= 0x40;
    CHECK_FALSE(settle_tcp_checksum(*ipp, seg.data(), seg.size(), partial));
}

TEST_CASE("IPv6: the same exchange, and nothing but this connection's segments leaves", "[user_tcp][ipv6]")
{
    const TcpFlow f = flow6();
    TimePoint now{};
    LwipStack stack_tcp(now);
    UserTcp tcp(stack_tcp, f);
    Peer rs(f);
    auto out = tcp.take_frames();
    REQUIRE(out.size() == 1);
    const Segment syn = parse(out[0]);
    CHECK(syn.ip.ttl == 1); // hop limit
    CHECK(syn.tcp.seq == f.isn);
    CHECK(tcp.on_frame(rs.syn_ack(f.isn)));
    CHECK(tcp.established());
    tcp.send(bytes_of("x"));
    for (int i = 0; i < 100; ++i) {
        now += 25ms;
        tcp.on_timer(now);
    }
    for (const auto& frame : tcp.take_frames()) {
        const Segment s = parse(frame);
        CHECK(s.ip.destination == f.remote);
        CHECK(s.tcp.source_port == f.local_port);
    }
}

TEST_CASE("abort sends an RST with our sequence number", "[user_tcp]")
{
    const TcpFlow f = flow4();
    LwipStack stack_tcp(TimePoint{});
    UserTcp tcp(stack_tcp, f);
    Peer rs(f);
    tcp.on_frame(rs.syn_ack(f.isn));
    tcp.take_frames();
    tcp.abort();
    const auto out = tcp.take_frames();
    REQUIRE(out.size() == 1);
    const Segment rst = parse(out[0]);
    CHECK((rst.tcp.flags & tcp_rst));
    CHECK(rst.tcp.seq == f.isn + 1);
    CHECK(tcp.end() == TcpEnd::Aborted);
    CHECK(tcp.closed());
}

TEST_CASE("many connections in one lwIP stack: each its own ISN, port, MAC, data and timers",
          "[user_tcp][many]")
{
    TimePoint now{};
    LwipStack stack(now);
    // More connections than lwIP has netif numbers (254): they share one interface per
    // local address. Two local IPv4 addresses and one IPv6, as on a director with two
    // links.
    constexpr int count = 300;
    std::vector<TcpFlow> flows;
    std::vector<std::unique_ptr<UserTcp>> tcps;
    for (int i = 0; i < count; ++i) {
        TcpFlow f = i % 3 == 2 ? flow6() : flow4();
        if (i % 3 == 1)
            f.local = ip("192.0.2.3");
        f.isn = 0x9e3779b9u * static_cast<std::uint32_t>(i + 1);
        f.local_port = static_cast<std::uint16_t>(40000 + i / 3);
        const std::uint8_t last = static_cast<std::uint8_t>(i & 0xff);
        const std::uint8_t rmac[6] = {2, 0, 0, 0, static_cast<std::uint8_t>(i >> 8), last};
        f.remote_mac = MacAddress(rmac);
        REQUIRE(stack.port_free(f.local, f.local_port));
        flows.push_back(f);
        tcps.push_back(std::make_unique<UserTcp>(stack, f));
    }
    CHECK(stack.connections() == count);
    CHECK_FALSE(stack.port_free(flows[0].local, flows[0].local_port));
    // A second connection from a bound address and port is lwIP's to refuse.
    CHECK_THROWS(UserTcp(stack, flows[0]));
    for (int i = 0; i < count; ++i) {
        const auto out = tcps[i]->take_frames();
        REQUIRE(out.size() == 1);
        const Segment s = parse(out[0]);
        CHECK(s.destination == flows[i].remote_mac);
        CHECK(s.tcp.seq == flows[i].isn);
        CHECK(s.tcp.source_port == flows[i].local_port);
    }
    // A frame is taken only by the connection its 4-tuple names: the SYN-ACK of one
    // is refused by its neighbours.
    CHECK_FALSE(tcps[3]->on_frame(Peer(flows[0]).syn_ack(flows[0].isn)));
    // The last connection's realserver stalls; the others answer, last first.
    for (int i = count - 2; i >= 0; --i)
        CHECK(tcps[i]->on_frame(Peer(flows[i]).syn_ack(flows[i].isn)));
    for (int i = 0; i < count - 1; ++i) {
        CHECK(tcps[i]->established());
        tcps[i]->take_frames();
        const std::string request = "GET /" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
        CHECK(tcps[i]->send(bytes_of(request)) == request.size());
        const auto out = tcps[i]->take_frames();
        REQUIRE(out.size() == 1);
        CHECK(parse(out[0]).data == request);
        Peer rs(flows[i]);
        CHECK(tcps[i]->on_frame(rs.segment(tcp_ack | tcp_psh, rs.next(), flows[i].isn + 1 + request.size(),
                                           "reply " + std::to_string(i))));
        CHECK(tcps[i]->take_received() == "reply " + std::to_string(i));
    }
    CHECK_FALSE(tcps[count - 1]->established());
    // Connecting one forced ISN after another borrows lwIP's clock: the stalled SYN is
    // still retransmitted on the real one (first RTO 300 ms scaled), not at once and not
    // never.
    tcps[count - 1]->take_frames();
    for (auto& t : tcps)
        t->take_frames();
    now += 100ms;
    stack.on_timer(now);
    CHECK(tcps[count - 1]->take_frames().empty());
    int retransmitted = 0;
    for (int step = 0; step < 20 && retransmitted == 0; ++step) {
        now += 50ms;
        stack.on_timer(now);
        for (const auto& frame : tcps[count - 1]->take_frames()) {
            const Segment s = parse(frame);
            CHECK(s.tcp.flags == tcp_syn);
            CHECK(s.tcp.seq == flows[count - 1].isn);
            CHECK(s.destination == flows[count - 1].remote_mac);
            ++retransmitted;
        }
    }
    CHECK(retransmitted == 1);
    CHECK(now <= TimePoint{} + 600ms);
    // Closing some leaves the others working, and the interfaces go with the last user.
    for (int i = 0; i < count; i += 2)
        tcps[i].reset();
    CHECK(stack.connections() == count / 2);
    Peer rs(flows[1]);
    CHECK(tcps[1]->on_frame(rs.segment(tcp_ack | tcp_psh, rs.next() + 7, flows[1].isn + 1 + 17, "more")));
    CHECK(tcps[1]->take_received() == "more");
    tcps.clear();
    CHECK(stack.connections() == 0);
    CHECK(stack.withheld() == 0);
}
