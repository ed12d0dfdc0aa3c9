// The probe session as a state machine: time and frames in, frames and verdicts out.
#include <catch2/catch.hpp>

#include "craft.hpp"
#include "fixtures.hpp"
#include "vipcheck/icmp_echo.hpp"
#include "vipcheck/session.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;
using fixtures::mac;

namespace {

struct Harness {
    EchoProbe echo;
    Trace trace{"test", false};
    FrameBuilder builder;
    TimePoint t0 = TimePoint{} + 1000s;
    ProbeContext context = fixtures::context();
    std::vector<Frame> out;

    ProbeSession make(bool resolve, Duration timeout = 300ms, int attempts = 3, Duration capture_latency = 0ms)
    {
        if (resolve)
            context.remote_mac = MacAddress{};
        return ProbeSession(echo, context,
                            SessionPlan{.timeout = timeout,
                                        .attempts = attempts,
                                        .resolve = resolve,
                                        .capture_latency = capture_latency},
                            t0, trace);
    }
    void feed(ProbeSession& s, const craft::Bytes& f, Duration at)
    {
        s.on_frame(CapturedFrame{Bytes(f.data(), f.size()), 7}, t0 + at, builder, out);
    }
    craft::Bytes arp_from(const MacAddress& m) const
    {
        return craft::arp_reply(context.local_mac, m, context.rip, context.source);
    }
    craft::Bytes echo_reply(const MacAddress& from, std::uint16_t seq) const
    {
        auto f = craft::ethernet(context.local_mac, from, 0x0800);
        craft::ipv4(f, context.vip, context.source, 1,
                    craft::icmp(0, 0, context.nonce.id, seq, EchoProbe::payload(fixtures::context())));
        return f;
    }
};

bool is_arp(const Frame& f) { return f.size() >= 14 && f[12] == 0x08 && f[13] == 0x06; }
bool is_ipv4(const Frame& f) { return f.size() >= 14 && f[12] == 0x08 && f[13] == 0x00; }

} // namespace

TEST_CASE("resolve, probe at once, prove up after the conflict window")
{
    Harness h;
    auto s = h.make(true);
    s.on_timer(h.t0, h.builder, h.out);
    REQUIRE(h.out.size() == 1);
    CHECK(is_arp(h.out[0]));
    h.out.clear();

    const auto rs = mac("02:00:00:00:00:11");
    h.feed(s, h.arp_from(rs), 100us);
    REQUIRE(h.out.size() == 1); // the probe goes out on the answer, not at the next slot
    CHECK(is_ipv4(h.out[0]));
    CHECK(MacAddress(h.out[0].data()) == rs);
    h.out.clear();

    h.feed(s, h.echo_reply(rs, 0xfffe), 300us);
    CHECK(s.evidence());
    CHECK_FALSE(s.finished(h.t0 + 400us)); // a second ARP answer may still come
    CHECK(s.finished(h.t0 + 600us));
    CHECK(s.verdict() == Verdict::Up);
    CHECK(*s.rtt() == Duration(200us));
    CHECK(s.probes_sent() == 1);
}

TEST_CASE("late resolution does not eat the attempts: probes spread over what is left")
{
    Harness h;
    auto s = h.make(true, 300ms, 3);
    s.on_timer(h.t0, h.builder, h.out);       // request 1 (lost)
    s.on_timer(h.t0 + 50ms, h.builder, h.out); // request 2
    CHECK(s.requests_sent() == 2);
    h.out.clear();
    h.feed(s, h.arp_from(mac("02:00:00:00:00:11")), 60ms);
    CHECK(s.probes_sent() == 1); // at once on the answer
    CHECK(s.next_wakeup() == h.t0 + 140ms); // 60 + (300 - 60) / 3
    s.on_timer(h.t0 + 140ms, h.builder, h.out);
    s.on_timer(h.t0 + 220ms, h.builder, h.out);
    CHECK(s.probes_sent() == 3);
    CHECK(s.requests_sent() == 2);
    CHECK(s.verdict() == Verdict::NoReply);
}

TEST_CASE("two MACs answering for the RIP is a conflict, even after a reply")
{
    Harness h;
    auto s = h.make(true);
    s.on_timer(h.t0, h.builder, h.out);
    h.feed(s, h.arp_from(mac("02:00:00:00:00:11")), 100us);
    h.feed(s, h.echo_reply(mac("02:00:00:00:00:11"), 0xfffe), 200us);
    h.feed(s, h.arp_from(mac("02:00:00:00:00:12")), 300us);
    CHECK(s.finished(h.t0 + 300us));
    CHECK(s.verdict() == Verdict::MacConflict);
    CHECK(s.macs_seen().size() == 2);
}

TEST_CASE("the same MAC answering twice is no conflict")
{
    Harness h;
    auto s = h.make(true);
    s.on_timer(h.t0, h.builder, h.out);
    h.feed(s, h.arp_from(mac("02:00:00:00:00:11")), 100us);
    h.feed(s, h.arp_from(mac("02:00:00:00:00:11")), 150us);
    CHECK(s.macs_seen().size() == 1);
    CHECK_FALSE(s.finished(h.t0 + 150us));
}

TEST_CASE("no ARP answer: requests twice per probe slot, then rs-unreachable at the deadline")
{
    Harness h;
    auto s = h.make(true, 300ms, 3);
    int requests = 0;
    for (auto t = 0ms; t < 300ms; t += 1ms) {
        s.on_timer(h.t0 + t, h.builder, h.out);
        for (const auto& f : h.out)
            requests += is_arp(f);
        h.out.clear();
    }
    CHECK(requests == 6);
    CHECK(s.probes_sent() == 0);
    CHECK_FALSE(s.finished(h.t0 + 299ms));
    CHECK(s.finished(h.t0 + 300ms));
    CHECK(s.verdict() == Verdict::RsUnreachable);
}

TEST_CASE("with --mac: probes at each slot, no reply is no-reply")
{
    Harness h;
    auto s = h.make(false, 300ms, 3);
    CHECK(s.next_wakeup() == h.t0);
    s.on_timer(h.t0, h.builder, h.out);
    CHECK(s.next_wakeup() == h.t0 + 100ms);
    s.on_timer(h.t0 + 50ms, h.builder, h.out);
    s.on_timer(h.t0 + 100ms, h.builder, h.out);
    s.on_timer(h.t0 + 250ms, h.builder, h.out); // a late wake-up sends one, not a burst
    CHECK(h.out.size() == 3);
    CHECK(s.next_wakeup() == h.t0 + 300ms);
    CHECK(s.finished(h.t0 + 300ms));
    CHECK(s.verdict() == Verdict::NoReply);
}

TEST_CASE("with --mac: a reply to a later attempt proves up at once; a reply to an unsent one does not")
{
    Harness h;
    auto s = h.make(false, 300ms, 3);
    s.on_timer(h.t0, h.builder, h.out);
    h.feed(s, h.echo_reply(h.context.remote_mac, 0xffff), 1ms); // attempt 2 was never sent
    CHECK_FALSE(s.evidence());
    s.on_timer(h.t0 + 100ms, h.builder, h.out);
    h.feed(s, h.echo_reply(h.context.remote_mac, 0xffff), 101ms);
    REQUIRE(s.evidence());
    CHECK(s.evidence()->attempt == 1);
    CHECK(s.finished(h.t0 + 101ms));
    CHECK(*s.rtt() == Duration(1ms));
    CHECK(s.frames_ignored() == 1);
}

TEST_CASE("frames from a stranger are ignored and counted")
{
    Harness h;
    auto s = h.make(false);
    s.on_timer(h.t0, h.builder, h.out);
    h.feed(s, h.echo_reply(mac("02:00:00:00:00:66"), 0xfffe), 1ms);
    CHECK_FALSE(s.evidence());
    CHECK(s.frames_ignored() == 1);
}

TEST_CASE("a session first run after its deadline sent nothing: error, not no-reply")
{
    Harness h;
    auto s = h.make(false, 300ms, 3);
    // The loop comes back only after the deadline (it was behind): nothing may go out.
    s.on_timer(h.t0 + 400ms, h.builder, h.out);
    CHECK(h.out.empty());
    CHECK(s.finished(h.t0 + 400ms));
    CHECK(s.probes_sent() == 0);
    CHECK(s.verdict() == Verdict::Error);
}

// vipcheckd's batched capture hands a frame over up to its latency after the frame came,
// and with the time it came.
TEST_CASE("a batched capture: a reply that came before the deadline counts when read after it")
{
    Harness h;
    auto s = h.make(false, 300ms, 3, 50ms);
    s.on_timer(h.t0, h.builder, h.out);
    s.on_timer(h.t0 + 100ms, h.builder, h.out);
    s.on_timer(h.t0 + 200ms, h.builder, h.out);
    CHECK(s.probes_sent() == 3);
    // Nothing goes out from the deadline on; the run waits out the capture's latency.
    CHECK(s.next_wakeup() == h.t0 + 350ms);
    CHECK_FALSE(s.finished(h.t0 + 300ms));
    CHECK_FALSE(s.finished(h.t0 + 349ms));
    h.out.clear();
    s.on_timer(h.t0 + 320ms, h.builder, h.out);
    CHECK(h.out.empty());
    // Read at 340 ms, it came at 299 ms: 99 ms after the third probe.
    h.feed(s, h.echo_reply(h.context.remote_mac, 0x0000), 299ms);
    REQUIRE(s.evidence());
    CHECK(s.verdict() == Verdict::Up);
    CHECK(*s.rtt() == Duration(99ms));
}

TEST_CASE("a batched capture: a reply that came at or after the deadline is late, whenever it is read")
{
    Harness h;
    auto s = h.make(false, 300ms, 3, 50ms);
    s.on_timer(h.t0, h.builder, h.out);
    h.feed(s, h.echo_reply(h.context.remote_mac, 0xfffe), 300ms); // to the probe sent
    CHECK_FALSE(s.evidence());
    CHECK(s.frames_ignored() == 1);
    CHECK(s.finished(h.t0 + 350ms));
    CHECK(s.verdict() == Verdict::NoReply);
}

TEST_CASE("a batched capture: the wait for a second MAC covers its latency, and an answer after the deadline is late")
{
    Harness h;
    auto s = h.make(true, 300ms, 3, 50ms);
    s.on_timer(h.t0, h.builder, h.out);
    const auto rs = mac("02:00:00:00:00:11");
    h.feed(s, h.arp_from(rs), 100us);
    h.feed(s, h.echo_reply(rs, 0xfffe), 300us);
    REQUIRE(s.evidence());
    CHECK_FALSE(s.finished(h.t0 + 600us)); // without the latency: finished here
    CHECK(s.next_wakeup() == h.t0 + 100us + conflict_window + 50ms);
    // A second answer that came inside the window, read 40 ms later, is still a conflict.
    h.feed(s, h.arp_from(mac("02:00:00:00:00:12")), 400us);
    CHECK(s.verdict() == Verdict::MacConflict);

    Harness late;
    auto t = late.make(true, 300ms, 3, 50ms);
    t.on_timer(late.t0, late.builder, late.out);
    late.out.clear();
    t.learn_mac(rs, late.t0 + 300ms, late.t0 + 320ms, late.builder, late.out);
    CHECK_FALSE(t.resolved());
    CHECK(late.out.empty());
    CHECK(t.finished(late.t0 + 350ms));
    CHECK(t.verdict() == Verdict::RsUnreachable);
}
