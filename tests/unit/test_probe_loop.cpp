// vipcheckd's probe loop, the parts that decide, driven with a made-up clock: when runs
// start (the overall rate and the per-realserver cap, vipcheckd(8) CONFIGURATION), the
// next hops resolved once for many runs, and the kernel's answers kept for a second.
#include <catch2/catch.hpp>

#include <set>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "craft.hpp"
#include "fixtures.hpp"
#include "probe/loop_keys.hpp"
#include "probe/neighbour_cache.hpp"
#include "probe/route_cache.hpp"
#include "probe/start_pacer.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;
using fixtures::ip;
using fixtures::mac;

namespace {

// Far from the clock's epoch, as a real steady_clock reading is.
const TimePoint t0 = TimePoint{} + 1h;

RealserverKey realserver(const char* address)
{
    return RealserverKey(ip(address));
}

struct Start {
    std::uint64_t ticket;
    TimePoint at;
    PaceLane lane;
};

// Runs the pacer as vipcheckd's loop does: wakes at next_start(), and the ProbeLoop,
// then the HttpFleet, start what is due in their lanes, until nothing is queued. Every
// wake-up must start something: an early one would spin.
std::vector<Start> drive(StartPacer& pacer, TimePoint from)
{
    std::vector<Start> starts;
    TimePoint now = from;
    for (int wakeups = 0; pacer.queued() > 0; ++wakeups) {
        REQUIRE(wakeups < 100'000); // a hang guard
        std::size_t started = 0;
        for (const PaceLane lane : {PaceLane::Frames, PaceLane::Http})
            for (auto ticket : pacer.due(lane, now)) {
                starts.push_back({ticket, now, lane});
                ++started;
            }
        REQUIRE(started > 0);
        const TimePoint next = pacer.next_start();
        if (pacer.queued() > 0)
            REQUIRE(next > now);
        now = std::max(now, next);
    }
    CHECK(pacer.next_start() == TimePoint::max());
    return starts;
}

std::size_t started_by(const std::vector<Start>& starts, TimePoint until)
{
    return static_cast<std::size_t>(
        std::count_if(starts.begin(), starts.end(), [&](const Start& s) { return s.at <= until; }));
}

craft::Bytes arp_answer(const ProbeContext& c, const MacAddress& from)
{
    return craft::arp_reply(c.local_mac, from, c.rip, c.source);
}

CapturedFrame captured(const craft::Bytes& frame, int ifindex)
{
    return {Bytes(frame.data(), frame.size()), ifindex};
}

ProbeOptions options(const char* vip, const char* rip)
{
    ProbeOptions o;
    o.target.vip = ip(vip);
    o.target.rip = ip(rip);
    o.target.port = 80;
    return o;
}

} // namespace

TEST_CASE("pacing: a token bucket starts full, holds a burst at most, and refills with time")
{
    TokenBucket bucket(1000); // a burst of two: a five-hundredth of a second's worth
    CHECK(bucket.ready_at() == TimePoint::min());
    CHECK(bucket.ready(t0));
    bucket.take(t0);
    CHECK(bucket.ready(t0));
    bucket.take(t0);
    CHECK_FALSE(bucket.ready(t0));
    CHECK(bucket.ready_at() == t0 + 1ms);
    CHECK_FALSE(bucket.ready(t0 + 999us));
    CHECK(bucket.ready(t0 + 1ms));
    // However the time is cut into wake-ups, a token a millisecond.
    for (int i = 1; i <= 1000; ++i) {
        REQUIRE(bucket.ready(t0 + i * 1ms));
        bucket.take(t0 + i * 1ms);
        REQUIRE_FALSE(bucket.ready(t0 + i * 1ms + 999us));
    }
    // A long idle time earns no more than the burst.
    bucket.take(t0 + 10s);
    bucket.take(t0 + 10s);
    CHECK_FALSE(bucket.ready(t0 + 10s));

    TokenBucket slow(100); // less than one start in a five-hundredth of a second: a burst of one
    slow.take(t0);
    CHECK_FALSE(slow.ready(t0 + 9ms));
    CHECK(slow.ready(t0 + 10ms));
    CHECK(slow.ready_at() == t0 + 10ms);
}

TEST_CASE("pacing: the overall rate paces starts to every realserver together")
{
    StartPacer pacer(1000, 1'000'000);
    const char* realservers[] = {"192.0.2.11", "192.0.2.12", "192.0.2.13", "2001:db8::11"};
    for (std::uint64_t ticket = 0; ticket < 200; ++ticket)
        pacer.enqueue(PaceLane::Frames, realserver(realservers[ticket % 4]), ticket);
    CHECK(pacer.queued() == 200);
    const auto starts = drive(pacer, t0);
    REQUIRE(starts.size() == 200);
    // A burst of two, then one per millisecond.
    CHECK(started_by(starts, t0) == 2);
    CHECK(started_by(starts, t0 + 50ms) == 52);
    CHECK(starts.back().at == t0 + 198ms);
    // Each realserver's runs start in the order they were queued.
    std::map<std::uint64_t, std::uint64_t> last;
    for (const auto& s : starts) {
        const auto rs = s.ticket % 4;
        if (last.contains(rs))
            CHECK(s.ticket > last[rs]);
        last[rs] = s.ticket;
    }
}

TEST_CASE("pacing: frame probes and HTTP checks share one pace, overall and per realserver")
{
    // What vipcheckd's rate bounds is every start, of whichever kind: two pacers of the
    // same rate would let twice as many go.
    StartPacer pacer(1000, 1'000'000);
    const char* realservers[] = {"192.0.2.11", "192.0.2.12"};
    for (std::uint64_t ticket = 0; ticket < 100; ++ticket) {
        pacer.enqueue(PaceLane::Frames, realserver(realservers[ticket % 2]), ticket);
        pacer.enqueue(PaceLane::Http, realserver(realservers[ticket % 2]), ticket);
    }
    CHECK(pacer.queued(PaceLane::Frames) == 100);
    CHECK(pacer.queued(PaceLane::Http) == 100);
    const auto starts = drive(pacer, t0);
    REQUIRE(starts.size() == 200);
    CHECK(started_by(starts, t0) == 2);
    CHECK(started_by(starts, t0 + 50ms) == 52);
    CHECK(starts.back().at == t0 + 198ms);
    // Each lane's tickets come back to that lane only, each once.
    for (const PaceLane lane : {PaceLane::Frames, PaceLane::Http}) {
        std::set<std::uint64_t> seen;
        for (const auto& s : starts)
            if (s.lane == lane)
                CHECK(seen.insert(s.ticket).second);
        CHECK(seen.size() == 100);
    }

    StartPacer capped(1'000'000, 100);
    capped.enqueue(PaceLane::Http, realserver("192.0.2.11"), 1);
    capped.enqueue(PaceLane::Frames, realserver("192.0.2.11"), 1);
    capped.enqueue(PaceLane::Http, realserver("192.0.2.11"), 2);
    const auto one = drive(capped, t0);
    REQUIRE(one.size() == 3);
    // One realserver's cap counts both kinds, in the order they were queued.
    CHECK((one[0].lane == PaceLane::Http && one[0].at == t0));
    CHECK((one[1].lane == PaceLane::Frames && one[1].at == t0 + 10ms));
    CHECK((one[2].lane == PaceLane::Http && one[2].at == t0 + 20ms));
}

TEST_CASE("pacing: a lane's start let go by the other lane's call waits for its own, and says so")
{
    StartPacer pacer(1'000'000, 1'000'000);
    pacer.enqueue(PaceLane::Http, realserver("192.0.2.11"), 7);
    // The ProbeLoop asks first: the HTTP start is let go but is not the ProbeLoop's.
    CHECK(pacer.due(PaceLane::Frames, t0).empty());
    CHECK(pacer.queued(PaceLane::Http) == 1);
    CHECK(pacer.next_start() == TimePoint::min()); // the loop must not sleep on it
    CHECK(pacer.due(PaceLane::Http, t0) == std::vector<std::uint64_t>{7});
    CHECK(pacer.queued() == 0);
    CHECK(pacer.next_start() == TimePoint::max());
}

TEST_CASE("pacing: the per-realserver cap paces one realserver without delaying the others")
{
    StartPacer pacer(1'000'000, 100); // one start per 10 ms to any one realserver
    for (std::uint64_t ticket = 0; ticket < 5; ++ticket)
        pacer.enqueue(PaceLane::Frames, realserver("192.0.2.11"), ticket);
    pacer.enqueue(PaceLane::Frames, realserver("192.0.2.12"), 10);
    pacer.enqueue(PaceLane::Frames, realserver("192.0.2.12"), 11);
    pacer.enqueue(PaceLane::Frames, realserver("192.0.2.13"), 20);
    const auto starts = drive(pacer, t0);
    REQUIRE(starts.size() == 8);
    std::map<std::uint64_t, TimePoint> at;
    for (const auto& s : starts)
        at[s.ticket] = s.at;
    for (std::uint64_t k = 0; k < 5; ++k)
        CHECK(at[k] == t0 + k * 10ms);
    // The others start beside the first realserver's queue, not behind it.
    CHECK(at[10] == t0);
    CHECK(at[11] == t0 + 10ms);
    CHECK(at[20] == t0);
}

TEST_CASE("pacing: realservers take turns for the starts the overall rate gives")
{
    StartPacer pacer(1000, 1'000'000);
    for (std::uint64_t ticket = 0; ticket < 20; ++ticket)
        pacer.enqueue(PaceLane::Frames, realserver("192.0.2.11"), ticket);
    for (std::uint64_t ticket = 100; ticket < 120; ++ticket)
        pacer.enqueue(PaceLane::Frames, realserver("192.0.2.12"), ticket);
    // One start per wake-up: the second realserver must not wait for the first's queue.
    const auto starts = drive(pacer, t0);
    REQUIRE(starts.size() == 40);
    std::size_t second = 0;
    for (std::size_t i = 0; i < 10; ++i)
        second += starts[i].ticket >= 100;
    CHECK(second == 5);
}

TEST_CASE("pacing: a realserver's bucket lives while it has runs waiting")
{
    StartPacer pacer(1'000'000, 100);
    pacer.enqueue(PaceLane::Frames, realserver("192.0.2.11"), 1);
    CHECK(pacer.next_start() == TimePoint::min());
    CHECK(pacer.due(PaceLane::Frames, t0) == std::vector<std::uint64_t>{1});
    CHECK(pacer.queued() == 0);
    CHECK(pacer.next_start() == TimePoint::max());
    CHECK(pacer.due(PaceLane::Frames, t0).empty());
    // Queued again at once: a new round, a full bucket.
    pacer.enqueue(PaceLane::Frames, realserver("192.0.2.11"), 2);
    pacer.enqueue(PaceLane::Frames, realserver("192.0.2.11"), 3);
    CHECK(pacer.due(PaceLane::Frames, t0) == std::vector<std::uint64_t>{2});
    CHECK(pacer.next_start() == t0 + 10ms);
    CHECK(pacer.due(PaceLane::Frames, t0 + 9ms).empty());
    CHECK(pacer.due(PaceLane::Frames, t0 + 10ms) == std::vector<std::uint64_t>{3});
}

TEST_CASE("neighbour cache: the first run starts a resolution, the next ones join it")
{
    const ProbeContext c = fixtures::context();
    NeighbourCache cache;
    const auto id = cache.acquire(neighbour_query(c), 100ms);
    CHECK(cache.due(t0) == std::vector<NeighbourCache::Id>{id});
    cache.asked(id, t0);
    CHECK(cache.due(t0).empty());
    CHECK(cache.next_request() == t0 + 100ms);

    // The same next hop: the same resolution, no request of its own.
    CHECK(cache.acquire(neighbour_query(c), 100ms) == id);
    CHECK(cache.size() == 1);
    CHECK(cache.due(t0 + 50ms).empty());
    // Another next hop, or the ARP-leak test's anonymous probe, is another resolution.
    ProbeContext other = c;
    other.next_hop = ip("192.0.2.12");
    const auto second = cache.acquire(neighbour_query(other), 100ms);
    const auto anonymous = cache.acquire(neighbour_query(c, true), 100ms);
    CHECK(second != id);
    CHECK(anonymous != id);
    CHECK(anonymous != second);
    CHECK(cache.size() == 3);
}

TEST_CASE("neighbour cache: an answer goes to every session, and to those that start later")
{
    const ProbeContext c = fixtures::context();
    const MacAddress rs = mac("02:00:00:00:00:11");
    NeighbourCache cache;
    const auto id = cache.acquire(neighbour_query(c), 100ms);
    cache.acquire(neighbour_query(c), 100ms);
    cache.acquire(neighbour_query(c), 100ms);
    CHECK(cache.attach(id, 1).empty());
    CHECK(cache.attach(id, 2).empty());
    cache.asked(id, t0);

    // Not an answer: another interface, another address.
    const auto reply = arp_answer(c, rs);
    CHECK(cache.on_frame(captured(reply, c.ifindex + 1), t0 + 1ms).empty());
    CHECK(cache.on_frame(captured(craft::arp_reply(c.local_mac, rs, ip("192.0.2.99"), c.source), c.ifindex),
                         t0 + 1ms)
              .empty());

    const auto learned = cache.on_frame(captured(reply, c.ifindex), t0 + 2ms);
    REQUIRE(learned.size() == 1);
    CHECK(learned[0].id == id);
    CHECK(learned[0].mac == rs);
    CHECK(learned[0].sessions == std::vector<std::uint64_t>{1, 2});
    // Answered: no more requests.
    CHECK(cache.due(t0 + 1s).empty());
    CHECK(cache.next_request() == TimePoint::max());

    // A hit: a session that starts now learns the MAC at once, with its time.
    const auto& known = cache.attach(id, 3);
    REQUIRE(known.size() == 1);
    CHECK(known[0].mac == rs);
    CHECK(known[0].at == t0 + 2ms);

    // A second MAC is told too (the sessions judge the conflict); a finished session is not.
    cache.detach(id, 1);
    const auto conflict = cache.on_frame(captured(arp_answer(c, mac("02:00:00:00:00:12")), c.ifindex), t0 + 3ms);
    REQUIRE(conflict.size() == 1);
    CHECK(conflict[0].sessions == std::vector<std::uint64_t>{2, 3});
    CHECK(cache.attach(id, 4).size() == 2);
}

TEST_CASE("neighbour cache: an unanswered resolution asks every interval, the shortest its runs gave")
{
    const ProbeContext c = fixtures::context();
    NeighbourCache cache;
    const auto id = cache.acquire(neighbour_query(c), 200ms);
    cache.acquire(neighbour_query(c), 50ms);
    TimePoint now = t0;
    for (int i = 0; i < 4; ++i) {
        REQUIRE(cache.due(now) == std::vector<NeighbourCache::Id>{id});
        cache.asked(id, now);
        CHECK(cache.due(now + 49ms).empty());
        now = cache.next_request();
        CHECK(now == t0 + (i + 1) * 50ms);
    }
    // What the runs that time out report: the requests sent for all of them.
    CHECK(cache.requests(id) == 4);
    CHECK(cache.query(id).target == c.rip);
}

TEST_CASE("neighbour cache: a resolution ends with its last run; the next round asks afresh")
{
    const ProbeContext c = fixtures::context();
    NeighbourCache cache;
    const auto id = cache.acquire(neighbour_query(c), 100ms);
    cache.acquire(neighbour_query(c), 100ms);
    cache.attach(id, 1);
    cache.asked(id, t0);
    REQUIRE(cache.on_frame(captured(arp_answer(c, mac("02:00:00:00:00:11")), c.ifindex), t0 + 1ms).size() == 1);
    cache.detach(id, 1);
    cache.release(id);
    CHECK(cache.size() == 1);
    cache.release(id);
    CHECK(cache.size() == 0);
    CHECK(cache.next_request() == TimePoint::max());

    // The realserver changed its MAC between rounds: nothing of the old answer is left.
    const auto fresh = cache.acquire(neighbour_query(c), 100ms);
    CHECK(fresh != id);
    CHECK(cache.attach(fresh, 2).empty());
    CHECK(cache.requests(fresh) == 0);
    CHECK(cache.due(t0 + 2ms) == std::vector<NeighbourCache::Id>{fresh});
    const auto learned = cache.on_frame(captured(arp_answer(c, mac("02:00:00:00:00:21")), c.ifindex), t0 + 3ms);
    REQUIRE(learned.size() == 1);
    CHECK(learned[0].mac == mac("02:00:00:00:00:21"));
}

TEST_CASE("route cache: an answer is kept for its life, a refusal too")
{
    ExpiringCache<RouteKey, int> cache(1s);
    const RouteKey key = route_key(options("198.51.100.10", "192.0.2.11"));
    int asked = 0;
    auto answer = [&] { return ++asked; };
    CHECK(cache.get(key, t0, answer) == 1);
    CHECK(cache.get(key, t0 + 999ms, answer) == 1); // a hit
    CHECK(asked == 1);
    CHECK(cache.get(key, t0 + 1s, answer) == 2); // expired: a miss
    CHECK(asked == 2);
    cache.clear();
    CHECK(cache.get(key, t0 + 1s, answer) == 3);

    const RouteKey unroutable = route_key(options("198.51.100.10", "192.0.2.99"));
    int refused = 0;
    auto refuse = [&]() -> int {
        ++refused;
        throw Error("no route to 192.0.2.99");
    };
    CHECK_THROWS_WITH(cache.get(unroutable, t0, refuse), "no route to 192.0.2.99");
    CHECK_THROWS_WITH(cache.get(unroutable, t0 + 500ms, refuse), "no route to 192.0.2.99");
    CHECK(refused == 1);
    // The route came back: asked again once the refusal expired.
    CHECK(cache.get(unroutable, t0 + 1s, answer) == 4);
    CHECK(cache.size() == 2);
}

TEST_CASE("route cache: keys hold what the kernel's answer depends on")
{
    const ProbeOptions o = options("198.51.100.10", "192.0.2.11");
    KeyHash hash;
    // Every VIP and port on one realserver shares its route.
    ProbeOptions other_vip = options("198.51.100.20", "192.0.2.11");
    other_vip.target.port = 443;
    CHECK(route_key(other_vip) == route_key(o));
    CHECK(hash(route_key(other_vip)) == hash(route_key(o)));
    CHECK_FALSE(target_key(other_vip) == target_key(o));

    ProbeOptions on_interface = o;
    on_interface.interface = "eth1";
    CHECK_FALSE(route_key(on_interface) == route_key(o));
    ProbeOptions from_source = o;
    from_source.source = ip("192.0.2.2");
    CHECK_FALSE(route_key(from_source) == route_key(o));
    ProbeOptions tunnelled = o;
    tunnelled.encap = EncapType::Ipip;
    CHECK_FALSE(route_key(tunnelled) == route_key(o));
    CHECK_FALSE(target_key(tunnelled) == target_key(o));

    // fe80::11 on two links is two realservers.
    const ProbeOptions a = options("2001:db8:100::10", "fe80::11%eth0");
    const ProbeOptions b = options("2001:db8:100::10", "fe80::11%eth1");
    CHECK(a.target.rip == b.target.rip);
    CHECK_FALSE(route_key(a) == route_key(b));
    CHECK_FALSE(RealserverKey(a.target.rip) == RealserverKey(b.target.rip));
    CHECK(route_key(a) == route_key(options("2001:db8:100::20", "fe80::11%eth0")));
}

TEST_CASE("loop keys: a run on a capture and a VIP on a link")
{
    KeyHash hash;
    const CaptureKey echo{7, NonceKey{1, 0x1234}};
    CHECK(echo == CaptureKey{7, NonceKey{1, 0x1234}});
    CHECK(hash(echo) == hash(CaptureKey{7, NonceKey{1, 0x1234}}));
    CHECK_FALSE(echo == CaptureKey{8, NonceKey{1, 0x1234}});
    CHECK_FALSE(echo == CaptureKey{7, NonceKey{6, 0x1234}});
    // A VIP on a link matches the address a frame names, whatever scope it was written with.
    const LinkAddress vip{7, ip("fe80::10%eth1")};
    CHECK(vip == LinkAddress{7, ip("fe80::10")});
    CHECK(hash(vip) == hash(LinkAddress{7, ip("fe80::10")}));
    CHECK_FALSE(vip == LinkAddress{8, ip("fe80::10")});
    CHECK_FALSE(LinkAddress{7, ip("192.0.2.10")} == LinkAddress{7, ip("192.0.2.11")});
}

TEST_CASE("a nonce source hands out fresh nonces past its pool, ports in the ephemeral range")
{
    vipcheck::NonceSource source;
    std::set<std::array<std::uint8_t, 16>> cookies;
    std::set<std::pair<std::uint16_t, std::uint16_t>> echo_ids;
    // 1,000 draws: several refills of the pool of 128.
    for (int i = 0; i < 1000; ++i) {
        const vipcheck::Nonce n = source.next();
        cookies.insert(n.cookie);
        echo_ids.insert({n.id, n.seq});
        CHECK(n.source_port >= 32768);
        CHECK(n.source_port <= 60999);
    }
    CHECK(cookies.size() == 1000);
    // 32 random bits each: a clash among 1,000 has odds of about 1 in 10,000.
    CHECK(echo_ids.size() >= 999);
}
