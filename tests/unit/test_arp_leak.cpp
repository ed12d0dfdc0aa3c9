// The ARP-leak test: the unicast question (frames), the classifier of answers and
// announcements (crafted frames), the anonymous resolution that keeps the realserver
// from caching us, and the session that reads silence as `up`.
#include <catch2/catch.hpp>

#include <pcap/pcap.h>

#include <string>

#include "craft.hpp"
#include "fixtures.hpp"
#include "vipcheck/arp_leak.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/icmp_echo.hpp"
#include "vipcheck/neighbour.hpp"
#include "vipcheck/session.hpp"
#include "vipcheck/tcp_syn.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;
using fixtures::context6;
using fixtures::hex;
using fixtures::ip;
using fixtures::mac;

namespace {

const MacAddress rs_mac = mac("02:00:00:00:00:11");
const MacAddress our_mac = mac("02:00:00:00:00:02");
const MacAddress broadcast = mac("ff:ff:ff:ff:ff:ff");

// An Ethernet/IPv4 ARP frame with every field given.
craft::Bytes arp(std::uint16_t op, const MacAddress& eth_dst, const MacAddress& eth_src, const MacAddress& sha,
                 const IpAddress& spa, const MacAddress& tha, const IpAddress& tpa)
{
    auto b = craft::ethernet(eth_dst, eth_src, 0x0806);
    const craft::Bytes head = {0, 1, 8, 0, 6, 4, 0, static_cast<std::uint8_t>(op)};
    b.insert(b.end(), head.begin(), head.end());
    craft::append(b, sha.data(), 6);
    craft::append(b, spa.data(), 4);
    craft::append(b, tha.data(), 6);
    craft::append(b, tpa.data(), 4);
    b.resize(60, 0);
    return b;
}

// Neighbour discovery from the realserver that speaks for the VIP: by default its
// solicited advertisement of the VIP to us.
struct Nd : craft::NdMessage {
    Nd() { ip_src = target = ip("2001:db8:100::10"); }
};

std::optional<Evidence> classify(const craft::Bytes& f, const ProbeContext& c, int ifindex = 7,
                                 LeakWords counted = LeakWords::AnswersToo)
{
    return arp_leak_evidence(CapturedFrame{Bytes(f.data(), f.size()), ifindex}, c, counted);
}

// What a session that did not ask sees.
std::optional<Evidence> unasked(const craft::Bytes& f, const ProbeContext& c)
{
    return classify(f, c, 7, LeakWords::Announcements);
}

std::string leak_kind(const Evidence& e)
{
    for (const auto& f : e.fields)
        if (f.key == "arp_leak")
            return std::get<std::string>(f.value);
    return {};
}

bool passes(const std::string& filter, const craft::Bytes& frame)
{
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 512);
    REQUIRE(dead);
    bpf_program program{};
    INFO(filter);
    REQUIRE(pcap_compile(dead, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0);
    pcap_pkthdr h{};
    h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
    const bool pass = pcap_offline_filter(&program, &h, frame.data()) != 0;
    pcap_freecode(&program);
    pcap_close(dead);
    return pass;
}

bool is_arp(const Frame& f) { return f.size() >= 14 && f[12] == 0x08 && f[13] == 0x06; }
bool is_icmp_echo(const Frame& f) { return f.size() >= 35 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 1 && f[34] == 8; }

} // namespace

TEST_CASE("the question: who-has VIP tell us, unicast to the realserver's MAC, never from the VIP", "[arp]")
{
    FrameBuilder b;
    const auto c = fixtures::context();
    // eth 02:..:11 <- 02:..:02 ARP | request | 02:..:02 192.0.2.2 -> 00:..:00 198.51.100.10 | padding
    CHECK(hex(arp_leak_question(b, c)) == "0200000000110200000000020806000108000604000102000000000"
                                          "2c0000202000000000000c633640a000000000000000000000000000000000000");
    const auto f = arp_leak_question(b, c);
    const auto eth = parse_ethernet(f);
    REQUIRE(eth);
    CHECK_FALSE(eth->destination.is_multicast()); // neither broadcast nor multicast
    const auto a = parse_arp(eth->payload);
    REQUIRE(a);
    CHECK(a->operation == 1);
    CHECK(a->sender_ip == c.source);
    CHECK(a->sender_mac == c.local_mac);
    CHECK(a->target_ip == c.vip);

    auto from_vip = c;
    from_vip.source = from_vip.vip;
    CHECK_THROWS_AS(arp_leak_question(b, from_vip), Error);
    auto unresolved = c;
    unresolved.remote_mac = MacAddress{};
    CHECK_THROWS_AS(arp_leak_question(b, unresolved), Error);
    auto group = c;
    group.remote_mac = broadcast;
    CHECK_THROWS_AS(arp_leak_question(b, group), Error);
}

TEST_CASE("the IPv6 question: a solicitation for the VIP to the VIP, at the realserver's MAC", "[arp][ipv6]")
{
    FrameBuilder b;
    const auto c = context6();
    const auto f = arp_leak_question(b, c);
    const auto eth = parse_ethernet(f);
    REQUIRE(eth);
    CHECK(eth->destination == rs_mac);
    CHECK(eth->source == our_mac);
    const auto ip6 = parse_ipv6(eth->payload);
    REQUIRE(ip6);
    CHECK(ip6->source == c.source);
    CHECK(ip6->destination == c.vip); // unicast, not the solicited-node group
    CHECK(ip6->ttl == 255);
    const auto icmp = parse_icmp(*ip6); // checksum over the pseudo-header verified
    REQUIRE(icmp);
    CHECK(icmp->type == 135);
    REQUIRE(icmp->data.size() == 16 + 8);
    CHECK(IpAddress::v6_bytes(icmp->data.data()) == c.vip);
    // Our source link-layer address option, so that an answer needs no solicitation of its own.
    CHECK(icmp->data[16] == 1);
    CHECK(MacAddress(icmp->data.data() + 18) == our_mac);
    // The ordinary solicitation for the RIP still goes to its group.
    CHECK(b.neighbour_solicitation(our_mac, c.source, c.rip)[0] == 0x33);
}

TEST_CASE("ARP from the realserver with the VIP as sender is a leak, and says which", "[arp][classify]")
{
    const auto c = fixtures::context();
    const IpAddress vip = c.vip, us = c.source;
    const MacAddress zero;

    const auto answered = classify(arp(2, our_mac, rs_mac, rs_mac, vip, our_mac, us), c);
    REQUIRE(answered);
    CHECK(answered->verdict == Verdict::ArpLeak);
    CHECK(leak_kind(*answered) == "answered-who-has");
    CHECK(answered->what.find("answered who-has 198.51.100.10") != std::string::npos);

    // arp_announce=0: the realserver resolves us from the VIP, by broadcast.
    const auto announced = classify(arp(1, broadcast, rs_mac, rs_mac, vip, zero, us), c);
    REQUIRE(announced);
    CHECK(leak_kind(*announced) == "announced-sender");
    CHECK(announced->what.find("who-has 192.0.2.2 tell 198.51.100.10") != std::string::npos);
    // ... or unicast to us, as its neighbour-cache probes are.
    CHECK(classify(arp(1, our_mac, rs_mac, rs_mac, vip, our_mac, us), c));

    const auto gratuitous = classify(arp(1, broadcast, rs_mac, rs_mac, vip, zero, vip), c);
    REQUIRE(gratuitous);
    CHECK(leak_kind(*gratuitous) == "gratuitous");
    const auto gratuitous_reply = classify(arp(2, broadcast, rs_mac, rs_mac, vip, broadcast, vip), c);
    REQUIRE(gratuitous_reply);
    CHECK(leak_kind(*gratuitous_reply) == "gratuitous");
    // An answer naming another MAC still poisons the cache: the frame came from the RS.
    CHECK(classify(arp(2, our_mac, rs_mac, mac("02:00:00:00:00:77"), vip, our_mac, us), c));
    // A run that did not ask counts what the realserver says unasked, never answers.
    CHECK_FALSE(unasked(arp(2, our_mac, rs_mac, rs_mac, vip, our_mac, us), c));
    CHECK(unasked(arp(1, broadcast, rs_mac, rs_mac, vip, zero, us), c));
    CHECK(unasked(arp(1, broadcast, rs_mac, rs_mac, vip, zero, vip), c));
    CHECK(unasked(arp(2, broadcast, rs_mac, rs_mac, vip, broadcast, vip), c));
}

TEST_CASE("ARP that does not speak for the VIP, or not from this realserver, is no leak", "[arp][classify]")
{
    const auto c = fixtures::context();
    const IpAddress vip = c.vip, us = c.source;
    const MacAddress zero;
    // arp_announce=2: the realserver resolves us from its RIP.
    CHECK_FALSE(classify(arp(1, broadcast, rs_mac, rs_mac, c.rip, zero, us), c));
    // Its answer to our resolution.
    CHECK_FALSE(classify(arp(2, our_mac, rs_mac, rs_mac, c.rip, our_mac, us), c));
    // Another host speaking for the VIP (the director itself, a second realserver) is
    // not this realserver's fault.
    CHECK_FALSE(classify(arp(2, our_mac, mac("02:00:00:00:00:12"), rs_mac, vip, our_mac, us), c));
    // Other interface, other operations, unknown realserver MAC.
    CHECK_FALSE(classify(arp(2, our_mac, rs_mac, rs_mac, vip, our_mac, us), c, 8));
    CHECK_FALSE(classify(arp(3, our_mac, rs_mac, rs_mac, vip, our_mac, us), c));
    auto unresolved = c;
    unresolved.remote_mac = MacAddress{};
    CHECK_FALSE(classify(arp(2, our_mac, zero, zero, vip, our_mac, us), unresolved));
    // Cut short anywhere before the target address: never read past the end.
    const auto f = arp(2, our_mac, rs_mac, rs_mac, vip, our_mac, us);
    for (std::size_t n = 0; n < 42; ++n)
        CHECK_FALSE(classify(craft::Bytes(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n)), c));
    // An IPv4 context never reads ND, an IPv6 context never reads ARP.
    CHECK_FALSE(classify(Nd{}.frame(), c));
    CHECK_FALSE(classify(f, context6()));
}

TEST_CASE("IPv6: an advertisement for the VIP or a solicitation from it is a leak", "[arp][classify][ipv6]")
{
    const auto c = context6();
    const auto answered = classify(Nd{}.frame(), c);
    REQUIRE(answered);
    CHECK(answered->verdict == Verdict::ArpLeak);
    CHECK(leak_kind(*answered) == "answered-solicitation");

    Nd unsolicited;
    unsolicited.ip_dst = ip("ff02::1");
    unsolicited.eth_dst = mac("33:33:00:00:00:01");
    unsolicited.flags = 0x20000000;
    const auto advertised = classify(unsolicited.frame(), c);
    REQUIRE(advertised);
    CHECK(leak_kind(*advertised) == "advertised");
    CHECK_FALSE(unasked(Nd{}.frame(), c));
    CHECK(unasked(unsolicited.frame(), c));

    Nd solicitation; // the realserver resolves us from the VIP (VIP on its eth0)
    solicitation.type = 135;
    solicitation.flags = 0;
    solicitation.target = c.source;
    solicitation.ip_dst = ip("ff02::1:ff00:2");
    solicitation.eth_dst = mac("33:33:ff:00:00:02");
    solicitation.options = {1, 1, 0x02, 0, 0, 0, 0, 0x11};
    const auto announced = classify(solicitation.frame(), c);
    REQUIRE(announced);
    CHECK(leak_kind(*announced) == "announced-sender");
    CHECK(announced->what.find("NS who-has 2001:db8::2 tell 2001:db8:100::10") != std::string::npos);

    auto rejected = [&](auto change) {
        Nd n;
        change(n);
        return !classify(n.frame(), c);
    };
    CHECK(rejected([](Nd& n) { n.target = ip("2001:db8::11"); n.ip_src = n.target; })); // about its RIP
    CHECK(rejected([](Nd& n) { n.hop_limit = 254; }));                                  // dropped by receivers
    CHECK(rejected([](Nd& n) { n.corrupt_checksum = true; }));
    CHECK(rejected([](Nd& n) { n.eth_src = mac("02:00:00:00:00:12"); }));               // another host
    CHECK(rejected([](Nd& n) { n.options = {2, 0, 0, 0, 0, 0, 0, 0}; }));               // zero-length option
    CHECK(rejected([](Nd& n) { n.type = 135; n.ip_src = ip("2001:db8::11"); }));       // NS from the RIP
    CHECK(rejected([](Nd& n) { n.type = 128; }));                                       // not ND
    const auto f = Nd{}.frame();
    for (std::size_t n = 0; n < f.size(); ++n)
        CHECK_FALSE(classify(craft::Bytes(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n)), c));
}

TEST_CASE("the ARP watch filter passes every leak and compiles for both families", "[arp][filter]")
{
    const auto c = fixtures::context();
    const auto f4 = arp_leak_filter(c);
    CHECK(passes(f4, arp(2, our_mac, rs_mac, rs_mac, c.vip, our_mac, c.source)));
    CHECK(passes(f4, arp(1, broadcast, rs_mac, rs_mac, c.vip, MacAddress{}, c.source)));
    CHECK_FALSE(passes(f4, arp(1, broadcast, rs_mac, rs_mac, c.rip, MacAddress{}, c.source)));

    const auto c6 = context6();
    const auto f6 = arp_leak_filter(c6);
    CHECK(passes(f6, Nd{}.frame()));
    Nd from_rip; // an NA for the VIP sent from another address still names the VIP as target
    from_rip.ip_src = ip("2001:db8::11");
    CHECK(passes(f6, from_rip.frame()));
    Nd about_rip;
    about_rip.ip_src = about_rip.target = ip("2001:db8::11");
    CHECK_FALSE(passes(f6, about_rip.frame()));

    // The whole filter of a session compiles, with and without resolution.
    for (const auto& ctx : {c, c6})
        for (bool resolve : {true, false}) {
            CHECK(passes(session_capture_filter(ArpLeakProbe{}, ctx, SessionPlan{1s, 3, resolve, false}),
                         ctx.vip.is_v4() ? arp(2, our_mac, rs_mac, rs_mac, c.vip, our_mac, c.source)
                                         : Nd{}.frame()));
            CHECK(passes(session_capture_filter(EchoProbe{}, ctx, SessionPlan{1s, 3, resolve, true}),
                         ctx.vip.is_v4() ? arp(1, broadcast, rs_mac, rs_mac, c.vip, MacAddress{}, c.source)
                                         : Nd{}.frame()));
        }
}

TEST_CASE("anonymous resolution: an ARP probe from 0.0.0.0, and its answer to 0.0.0.0", "[arp][resolve]")
{
    const auto c = fixtures::context();
    const auto q = neighbour_query(c, true);
    FrameBuilder b;
    const auto request = neighbour_request(b, q);
    const auto eth = parse_ethernet(request);
    REQUIRE(eth);
    CHECK(eth->destination == broadcast); // a question about the RIP, never the VIP
    const auto a = parse_arp(eth->payload);
    REQUIRE(a);
    CHECK(a->sender_ip == IpAddress::v4(0));
    CHECK(a->target_ip == c.rip);

    const auto answer = [](const craft::Bytes& f, const NeighbourQuery& query) {
        return neighbour_answer(CapturedFrame{Bytes(f.data(), f.size()), 7}, query);
    };
    // Linux answers a probe to the prober's MAC with target address 0.0.0.0.
    const auto to_probe = arp(2, our_mac, rs_mac, rs_mac, c.rip, our_mac, IpAddress::v4(0));
    CHECK(answer(to_probe, q) == rs_mac);
    CHECK_FALSE(answer(to_probe, neighbour_query(c)));
    CHECK_FALSE(answer(arp(2, our_mac, rs_mac, rs_mac, c.rip, our_mac, c.source), q));

    // IPv6 keeps the ordinary solicitation (see neighbour.hpp).
    CHECK(neighbour_query(context6(), true).sender() == context6().source);
}

namespace {

struct Run {
    Trace trace{"test", false};
    FrameBuilder builder;
    TimePoint t0 = TimePoint{} + 1000s;
    ProbeContext context = fixtures::context();
    std::vector<Frame> out;

    void feed(ProbeSession& s, const craft::Bytes& f, Duration at)
    {
        s.on_frame(CapturedFrame{Bytes(f.data(), f.size()), 7}, t0 + at, builder, out);
    }
    void resolve(ProbeSession& s, Duration at = 100us)
    {
        s.on_timer(t0, builder, out);
        REQUIRE(out.size() == 1);
        out.clear();
        feed(s, arp(2, our_mac, rs_mac, rs_mac, context.rip, our_mac,
                    s.leak_test() ? IpAddress::v4(0) : context.source),
             at);
    }
    craft::Bytes announcement() const
    {
        return arp(1, broadcast, rs_mac, rs_mac, context.vip, MacAddress{}, context.source);
    }
    craft::Bytes echo_reply(std::uint16_t seq) const
    {
        auto f = craft::ethernet(our_mac, rs_mac, 0x0800);
        craft::ipv4(f, context.vip, context.source, 1,
                    craft::icmp(0, 0, context.nonce.id, seq, EchoProbe::payload(context)));
        return f;
    }
};

} // namespace

TEST_CASE("vip-arp-check: a silent realserver is up at the deadline, after every question", "[arp][session]")
{
    Run r;
    const ArpLeakProbe kind;
    r.context.remote_mac = MacAddress{};
    ProbeSession s(kind, r.context, SessionPlan{300ms, 3, true, false}, r.t0, r.trace);
    CHECK(s.leak_test());
    s.on_timer(r.t0, r.builder, r.out);
    REQUIRE(r.out.size() == 1);
    const auto probe = parse_arp(parse_ethernet(r.out[0])->payload);
    REQUIRE(probe);
    CHECK(probe->sender_ip == IpAddress::v4(0)); // resolving does not teach the realserver our MAC
    r.out.clear();

    r.feed(s, arp(2, our_mac, rs_mac, rs_mac, r.context.rip, our_mac, IpAddress::v4(0)), 100us);
    // The announcement's trigger (an echo to the VIP) and the question, at once.
    REQUIRE(r.out.size() == 2);
    CHECK(is_icmp_echo(r.out[0]));
    CHECK(is_arp(r.out[1]));
    CHECK(MacAddress(r.out[1].data()) == rs_mac);
    r.out.clear();

    // Its echo reply is no evidence either way.
    r.feed(s, r.echo_reply(r.context.nonce.seq), 200us);
    CHECK_FALSE(s.finished(r.t0 + 50ms));
    for (auto at : {100ms, 200ms}) {
        s.on_timer(r.t0 + at + 1ms, r.builder, r.out);
        CHECK(r.out.size() == 2);
        r.out.clear();
    }
    CHECK_FALSE(s.finished(r.t0 + 299ms)); // silence is measured until the deadline
    CHECK(s.finished(r.t0 + 300ms));
    CHECK(s.verdict() == Verdict::Up);
    CHECK(s.questions_sent() == 3);
    CHECK_FALSE(s.evidence());
}

TEST_CASE("vip-arp-check: an answer or an announcement is arp-leak at once", "[arp][session]")
{
    for (bool answer : {true, false}) {
        Run r;
        const ArpLeakProbe kind;
        ProbeSession s(kind, r.context, SessionPlan{300ms, 3, true, false}, r.t0, r.trace);
        r.resolve(s);
        r.out.clear();
        r.feed(s,
               answer ? arp(2, our_mac, rs_mac, rs_mac, r.context.vip, our_mac, r.context.source)
                      : r.announcement(),
               400us);
        CHECK(s.finished(r.t0 + 1ms));
        CHECK(s.verdict() == Verdict::ArpLeak);
        REQUIRE(s.leak());
        CHECK(leak_kind(*s.leak()) == (answer ? "answered-who-has" : "announced-sender"));
        CHECK(*s.rtt() == Duration(300us));
    }
}

TEST_CASE("vip-arp-check: unresolved is rs-unreachable, two MACs a conflict", "[arp][session]")
{
    Run r;
    const ArpLeakProbe kind;
    ProbeSession lonely(kind, r.context, SessionPlan{300ms, 3, true, false}, r.t0, r.trace);
    lonely.on_timer(r.t0, r.builder, r.out);
    CHECK(lonely.finished(r.t0 + 300ms));
    CHECK(lonely.verdict() == Verdict::RsUnreachable);
    CHECK(lonely.questions_sent() == 0);
    r.out.clear();

    ProbeSession twice(kind, r.context, SessionPlan{300ms, 3, true, false}, r.t0, r.trace);
    r.resolve(twice);
    r.feed(twice, arp(2, our_mac, mac("02:00:00:00:00:99"), mac("02:00:00:00:00:99"), r.context.rip, our_mac,
                      IpAddress::v4(0)),
           200us);
    CHECK(twice.finished(r.t0 + 200us));
    CHECK(twice.verdict() == Verdict::MacConflict);
}

TEST_CASE("--arp-leak: an echo reply is up only after a silent deadline; a leak overrides it", "[arp][session]")
{
    for (bool leaks : {false, true}) {
        Run r;
        const EchoProbe kind;
        ProbeSession s(kind, r.context, SessionPlan{300ms, 3, true, true}, r.t0, r.trace);
        r.resolve(s);
        REQUIRE(r.out.size() == 2); // the probe and the question
        r.out.clear();
        r.feed(s, r.echo_reply(r.context.nonce.seq), 300us);
        REQUIRE(s.evidence());
        CHECK_FALSE(s.finished(r.t0 + 10ms));
        s.on_timer(r.t0 + 101ms, r.builder, r.out);
        REQUIRE(r.out.size() == 1); // after the proof, only the question
        CHECK(is_arp(r.out[0]));
        r.out.clear();
        if (leaks)
            r.feed(s, r.announcement(), 150ms);
        CHECK(s.finished(r.t0 + 300ms));
        CHECK(s.verdict() == (leaks ? Verdict::ArpLeak : Verdict::Up));
    }
}

namespace {

craft::Bytes synack_for(const ProbeContext& c)
{
    auto synack = craft::ethernet(our_mac, rs_mac, 0x0800);
    craft::Bytes tcp = {0, 80, 0x9c, 0x40, 0, 0, 0, 1, 0x01, 0x02, 0x03, 0x05, 0x50, 0x12, 0xff, 0xff, 0, 0, 0, 0};
    // TCP checksum over the pseudo-header, as the realserver's stack writes it.
    craft::Bytes pseudo;
    craft::append(pseudo, c.vip.data(), 4);
    craft::append(pseudo, c.source.data(), 4);
    pseudo.insert(pseudo.end(), {0, 6, 0, 20});
    pseudo.insert(pseudo.end(), tcp.begin(), tcp.end());
    craft::put16(tcp, 16, craft::sum16(pseudo, 0, pseudo.size()));
    craft::ipv4(synack, c.vip, c.source, 6, tcp);
    return synack;
}

} // namespace

TEST_CASE("--arp-leak with the SYN probe: one SYN, one RST, then only questions", "[arp][session][syn]")
{
    Run r;
    const SynProbe kind;
    ProbeSession s(kind, r.context, SessionPlan{300ms, 3, true, true}, r.t0, r.trace);
    r.resolve(s);
    REQUIRE(r.out.size() == 2);
    r.out.clear();
    r.feed(s, synack_for(r.context), 300us);
    REQUIRE(s.evidence());
    CHECK(s.evidence()->verdict == Verdict::Up);
    REQUIRE(r.out.size() == 1); // the RST
    r.out.clear();
    for (auto at : {101ms, 201ms}) {
        s.on_timer(r.t0 + at, r.builder, r.out);
        REQUIRE(r.out.size() == 1);
        CHECK(is_arp(r.out[0]));
        r.out.clear();
    }
    CHECK(s.finished(r.t0 + 300ms));
    CHECK(s.verdict() == Verdict::Up);
}

TEST_CASE("a SYN-ACK racing the leak still gets its RST: no half-open connection", "[arp][session][syn]")
{
    Run r;
    const SynProbe kind;
    ProbeSession s(kind, r.context, SessionPlan{300ms, 3, true, true}, r.t0, r.trace);
    r.resolve(s);
    r.out.clear();
    r.feed(s, arp(2, our_mac, rs_mac, rs_mac, r.context.vip, our_mac, r.context.source), 200us);
    CHECK(s.verdict() == Verdict::ArpLeak);
    r.feed(s, synack_for(r.context), 300us);
    REQUIRE(r.out.size() == 1);
    const auto rst = parse_tcp(*parse_ipv4(parse_ethernet(r.out[0])->payload));
    REQUIRE(rst);
    CHECK(rst->flags == tcp_rst);
    CHECK(s.verdict() == Verdict::ArpLeak); // the leak still outranks the SYN-ACK
}

TEST_CASE("every session watches for the announcement, even without --arp-leak", "[arp][session]")
{
    Run r;
    const EchoProbe kind;
    ProbeSession s(kind, r.context, SessionPlan{300ms, 3, true, false}, r.t0, r.trace);
    CHECK_FALSE(s.leak_test());
    r.resolve(s); // an ordinary request from our address
    REQUIRE(r.out.size() == 1);
    r.out.clear();
    r.feed(s, r.announcement(), 200us);
    CHECK(s.verdict() == Verdict::ArpLeak);
    CHECK(s.finished(r.t0 + 1ms));
    CHECK(s.questions_sent() == 0);

    // An answer about the VIP is to somebody else's question (vipcheckd's arp target
    // for this realserver): this session did not ask, so its verdict stays its probe's.
    Run other;
    ProbeSession quiet(kind, other.context, SessionPlan{300ms, 3, true, false}, other.t0, other.trace);
    other.resolve(quiet);
    other.out.clear();
    other.feed(quiet, arp(2, our_mac, rs_mac, rs_mac, other.context.vip, our_mac, other.context.source), 200us);
    CHECK_FALSE(quiet.leak());
    other.feed(quiet, other.echo_reply(other.context.nonce.seq), 300us);
    CHECK(quiet.verdict() == Verdict::Up);

    // A routed tunnel's next hop is a gateway: its ARP is not the realserver's.
    Run t;
    t.context.next_hop = ip("192.0.2.1");
    t.context.tunnel = Tunnel{EncapType::Ipip, t.context.source, 0};
    ProbeSession routed(kind, t.context, SessionPlan{300ms, 3, false, false}, t.t0, t.trace);
    routed.on_timer(t.t0, t.builder, t.out);
    t.feed(routed, t.announcement(), 200us);
    CHECK_FALSE(routed.leak());
}
