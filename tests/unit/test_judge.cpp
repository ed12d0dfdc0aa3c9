// The realserver judge driven with tables of rounds, like the session tests: which
// rounds are good, rise and fall, min_up holding a pool, a learner's start, as
// judge.hpp writes them out.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/judge.hpp"
#include "vipcheck/error.hpp"

using namespace vipcheck;
using namespace std::chrono_literals;

namespace {

const PlaneSet every_plane{Plane::VipIcmp, Plane::VipSyn, Plane::VipHttp, Plane::Arp, Plane::MgmtHttp};

using Results = std::map<std::string, PlaneResults, std::less<>>;

// A round in which every plane of every_plane is up.
PlaneResults all_up()
{
    PlaneResults r;
    for (const auto p : all_planes)
        r.set(p, Verdict::Up);
    return r;
}

PlaneResults failing(Plane p, Verdict v)
{
    auto r = all_up();
    r.set(p, v);
    return r;
}

char letter(RsState s)
{
    switch (s) {
    case RsState::Learning: return 'L';
    case RsState::Up: return 'U';
    case RsState::Down: return 'D';
    case RsState::Held: return 'H';
    }
    return '?';
}

// Drives a service, one round per call, with a stamp the test makes up.
struct Service {
    ServiceJudge judge;
    std::uint64_t round = 0;

    explicit Service(JudgeRules rules, std::vector<std::string> keys = {"rs"}) : judge(std::move(rules))
    {
        for (const auto& k : keys)
            judge.learn(k, stamp());
    }
    Stamp stamp() const { return Stamp{round, TimePoint{} + std::chrono::seconds(10 * round)}; }
    // As vipcheckd does: each realserver judged on its own, in order, and min_up settled
    // after each. A realserver missing from `results` has no result, which fails it.
    void step(const Results& results)
    {
        ++round;
        const PlaneResults none;
        for (std::size_t i = 0; i < judge.keys().size(); ++i) {
            const auto it = results.find(judge.keys()[i]);
            judge.observe_at(i, good_round(it == results.end() ? none : it->second, judge.rules()), stamp());
        }
    }
    RsState state(std::string_view key) const { return judge.find(key)->state; }

    // One realserver "rs": 'g' a round with every plane up, 'b' one with vip-syn
    // refused by a RST; returns the state after each round, one letter per round.
    std::string run(std::string_view rounds)
    {
        std::string out;
        for (const char c : rounds) {
            step({{"rs", c == 'g' ? all_up() : failing(Plane::VipSyn, Verdict::PortClosed)}});
            out += letter(state("rs"));
        }
        return out;
    }
};

JudgeRules rules(unsigned rise = 2, unsigned fall = 3, MinUp min_up = MinUp::none())
{
    auto r = default_rules(every_plane);
    r.rise = rise;
    r.fall = fall;
    r.min_up = min_up;
    return r;
}

} // namespace

TEST_CASE("planes: tokens round-trip, depool_on defaults to the vip-* planes listed", "[judge]")
{
    for (const auto p : all_planes)
        CHECK(parse_plane(token(p)) == p);
    CHECK_FALSE(parse_plane("icmp"));
    CHECK(vip_planes(every_plane) == PlaneSet{Plane::VipIcmp, Plane::VipSyn, Plane::VipHttp});
    const auto r = default_rules(PlaneSet{Plane::VipSyn, Plane::Arp, Plane::MgmtHttp});
    CHECK(r.depool_on == PlaneSet{Plane::VipSyn});
    CHECK(r.rise == 2);
    CHECK(r.fall == 3);
    CHECK(r.min_up.kind == MinUp::Kind::None);
}

TEST_CASE("a round is good iff every depool_on plane has a result and it is up", "[judge]")
{
    const auto r = rules();
    CHECK(good_round(all_up(), r));
    CHECK_FALSE(good_round(failing(Plane::VipIcmp, Verdict::NoReply), r));
    CHECK_FALSE(good_round(failing(Plane::VipHttp, Verdict::HttpStatus), r));
    // The informing planes never make a round fail.
    CHECK(good_round(failing(Plane::MgmtHttp, Verdict::Refused), r));
    CHECK(good_round(failing(Plane::Arp, Verdict::ArpLeak), r));
    // A missing result is no proof.
    PlaneResults partial;
    partial.set(Plane::VipIcmp, Verdict::Up).set(Plane::VipSyn, Verdict::Up);
    CHECK_FALSE(good_round(partial, r));
    CHECK_FALSE(good_round(PlaneResults{}, r));
}

TEST_CASE("the rules refuse what cannot judge, naming the fix", "[judge]")
{
    auto bad = [](auto change) {
        auto r = rules();
        change(r);
        return r;
    };
    CHECK_THROWS_WITH(check_rules(bad([](JudgeRules& r) { r.planes = {}; })), Catch::Contains("needs planes"));
    CHECK_THROWS_WITH(check_rules(default_rules(PlaneSet{Plane::Arp, Plane::MgmtHttp})),
                      Catch::Contains("depool_on is empty"));
    CHECK_THROWS_WITH(check_rules(bad([](JudgeRules& r) { r.planes = {Plane::VipIcmp}; })),
                      Catch::Contains("depool_on names vip-syn, which planes does not list"));
    CHECK_THROWS_WITH(check_rules(bad([](JudgeRules& r) { r.rise = 0; })), Catch::Contains("rise must be 1"));
    CHECK_THROWS_WITH(check_rules(bad([](JudgeRules& r) { r.fall = 0; })), Catch::Contains("fall must be 1"));
    CHECK_THROWS_WITH(check_rules(bad([](JudgeRules& r) { r.min_up = MinUp::count(0); })),
                      Catch::Contains("min_up 0"));
    CHECK_THROWS_WITH(check_rules(bad([](JudgeRules& r) { r.min_up = MinUp::percent(101); })),
                      Catch::Contains("min_up 101%"));
    CHECK_NOTHROW(check_rules(bad([](JudgeRules& r) { r.depool_on = {Plane::VipIcmp, Plane::MgmtHttp}; })));
    CHECK_THROWS_AS(ServiceJudge(bad([](JudgeRules& r) { r.fall = 0; })), Error);
}

TEST_CASE("min_up: a count, or a share of the proven realservers rounded up", "[judge]")
{
    CHECK(MinUp::none().floor(10) == 0);
    CHECK(MinUp::count(3).floor(10) == 3);
    CHECK(MinUp::percent(50).floor(4) == 2);
    CHECK(MinUp::percent(50).floor(3) == 2);
    CHECK(MinUp::percent(34).floor(3) == 2);
    CHECK(MinUp::percent(100).floor(7) == 7);
    CHECK(MinUp::percent(50).floor(0) == 0);
}

TEST_CASE("rise and fall: a table of rounds and the state after each", "[judge]")
{
    struct Row {
        unsigned rise, fall;
        std::string_view rounds, states;
    };
    const auto row = GENERATE(values<Row>({
        {2, 3, "gg", "LU"},                 // a learner is pooled after rise good rounds
        {2, 3, "gbgg", "LLLU"},             // consecutive: a failing round starts it again
        {3, 3, "ggbggg", "LLLLLU"},         //
        {1, 3, "g", "U"},                   // rise 1: the first good round
        {2, 3, "bbbbbb", "LLLLLL"},         // a learner that never answers stays learning
        {2, 3, "gggbbb", "LUUUUD"},         // down after fall failing rounds
        {2, 3, "ggbbgbbgbb", "LUUUUUUUUU"}, // never fall in a row: stays up
        {2, 3, "ggbbbgg", "LUUUDDU"},       // back up after rise good rounds
        {2, 3, "ggbbbgbgbgg", "LUUUDDDDDDU"}, // a flapping down one stays down
        {2, 1, "ggb", "LUD"},               // fall 1: one round flips a pooled realserver
        {2, 2, "ggbgbgbbg", "LUUUUUUDD"},   //
    }));
    CAPTURE(row.rise, row.fall, row.rounds);
    Service s(rules(row.rise, row.fall));
    CHECK(s.run(row.rounds) == row.states);
}

TEST_CASE("a flapping realserver: alternating rounds never move it either way", "[judge]")
{
    Service s(rules());
    CHECK(s.run("gbgbgbgbgbgbgbgb") == "LLLLLLLLLLLLLLLL"); // never proven
    CHECK(s.run("gg") == "LU");
    CHECK(s.run("bgbgbgbgbgbgbgbgbgbg") == std::string(20, 'U')); // never depooled
    CHECK(s.judge.find("rs")->transitions == 1);
}

TEST_CASE("planes outside depool_on inform only: mgmt-http down and arp-leak never depool", "[judge]")
{
    Service s(rules());
    s.run("gg");
    for (int i = 0; i < 10; ++i) {
        s.step({{"rs", failing(Plane::MgmtHttp, Verdict::Refused)}});
        s.step({{"rs", failing(Plane::Arp, Verdict::ArpLeak)}});
        s.step({{"rs", failing(Plane::MgmtHttp, Verdict::HttpStatus).set(Plane::Arp, Verdict::ArpLeak)}});
    }
    CHECK(s.state("rs") == RsState::Up);
    CHECK(s.judge.find("rs")->bad_run == 0);

    // Unless the service names them.
    auto strict = rules();
    strict.depool_on.insert(Plane::MgmtHttp);
    Service t(strict);
    t.run("gg");
    for (int i = 0; i < 3; ++i)
        t.step({{"rs", failing(Plane::MgmtHttp, Verdict::Refused)}});
    CHECK(t.state("rs") == RsState::Down);
}

TEST_CASE("a realserver without results in a round fails that round", "[judge]")
{
    Service s(rules(), {"a", "b"});
    s.step({{"a", all_up()}, {"b", all_up()}});
    s.step({{"a", all_up()}, {"b", all_up()}});
    REQUIRE(s.state("b") == RsState::Up);
    for (int i = 0; i < 3; ++i)
        s.step({{"a", all_up()}});
    CHECK(s.state("a") == RsState::Up);
    CHECK(s.state("b") == RsState::Down);
}

TEST_CASE("transitions are counted, since is the stamp of the last change", "[judge]")
{
    Service s(rules());
    const auto* st = s.judge.find("rs");
    CHECK(st->transitions == 0);
    CHECK(st->since.round == 0);
    s.run("gg");
    CHECK(st->transitions == 1);
    CHECK(st->since.round == 2);
    CHECK(st->since.at == TimePoint{} + 20s);
    CHECK(st->pooled_since.round == 2);
    s.run("bbbg");
    CHECK(st->transitions == 2);
    CHECK(st->since.round == 5);
    CHECK(st->last_good->round == 6);
    s.run("g");
    CHECK(st->transitions == 3);
    CHECK(st->since.round == 7);
    CHECK(st->pooled_since.round == 7);
}

TEST_CASE("a changed realserver learns again: not pooled, its counters at zero", "[judge]")
{
    Service s(rules(), {"a", "b"});
    s.step({{"a", all_up()}, {"b", all_up()}});
    s.step({{"a", all_up()}, {"b", all_up()}});
    REQUIRE(s.state("a") == RsState::Up);
    s.judge.learn("a", s.stamp()); // a reload changed it
    const auto* a = s.judge.find("a");
    CHECK(a->state == RsState::Learning);
    CHECK(a->transitions == 0);
    CHECK(a->good_run == 0);
    CHECK(s.judge.keys() == std::vector<std::string>{"a", "b"}); // keeps its place
    s.step({{"a", all_up()}, {"b", all_up()}});
    CHECK(s.state("a") == RsState::Learning);
    s.step({{"a", all_up()}, {"b", all_up()}});
    CHECK(s.state("a") == RsState::Up);
    s.judge.remove("b");
    CHECK(s.judge.find("b") == nullptr);
    CHECK(s.judge.keys() == std::vector<std::string>{"a"});
}

TEST_CASE("min_up holds a pool of four whose three break: which is held, how many", "[judge]")
{
    const auto min_up = GENERATE(MinUp::count(2), MinUp::percent(50));
    Service s(rules(2, 3, min_up), {"a"});
    s.step({{"a", all_up()}});
    s.step({{"a", all_up()}}); // a is pooled at round 2, before the others
    for (const auto* k : {"b", "c", "d"})
        s.judge.learn(k, s.stamp());
    const auto good = all_up();
    const auto bad = failing(Plane::VipIcmp, Verdict::NoReply);
    s.step({{"a", good}, {"b", good}, {"c", good}, {"d", good}});
    s.step({{"a", good}, {"b", good}, {"c", good}, {"d", good}});
    REQUIRE(s.judge.count(RsState::Up) == 4);

    // a, b and c break in the same rounds; d alone is up. Each is judged on its own,
    // in the service's order, as vipcheckd judges a realserver when its planes have
    // reported: a and b go down while two others stay pooled, and c, whose fall would
    // leave d alone, is held.
    for (int i = 0; i < 3; ++i)
        s.step({{"a", bad}, {"b", bad}, {"c", bad}, {"d", good}});
    CHECK(s.state("a") == RsState::Down);
    CHECK(s.state("b") == RsState::Down);
    CHECK(s.state("c") == RsState::Held);
    CHECK(s.state("d") == RsState::Up);
    CHECK(s.judge.count(RsState::Held) == 1);
    CHECK(pooled(s.state("c")));

    // The same one stays held, round after round.
    for (int i = 0; i < 5; ++i)
        s.step({{"a", bad}, {"b", bad}, {"c", bad}, {"d", good}});
    CHECK(s.state("c") == RsState::Held);
    CHECK(s.judge.find("c")->transitions == 2);

    // When b comes back, the floor holds without c: it goes down.
    s.step({{"a", bad}, {"b", good}, {"c", bad}, {"d", good}});
    CHECK(s.state("c") == RsState::Held);
    s.step({{"a", bad}, {"b", good}, {"c", bad}, {"d", good}});
    CHECK(s.state("b") == RsState::Up);
    CHECK(s.state("c") == RsState::Down);
    CHECK(s.judge.count(RsState::Held) == 0);

    // And a held realserver that is proven again is simply up.
    for (int i = 0; i < 3; ++i)
        s.step({{"a", bad}, {"b", good}, {"c", bad}, {"d", bad}});
    CHECK(s.state("d") == RsState::Held);
    s.step({{"a", bad}, {"b", good}, {"c", bad}, {"d", good}});
    s.step({{"a", bad}, {"b", good}, {"c", bad}, {"d", good}});
    CHECK(s.state("d") == RsState::Up);
}

TEST_CASE("min_up never pools a realserver again that is down already", "[judge]")
{
    Service s(rules(2, 3, MinUp::count(3)), {"a", "b", "c", "d"});
    const auto good = all_up();
    const auto bad = failing(Plane::VipSyn, Verdict::NoReply);
    s.step({{"a", good}, {"b", good}, {"c", good}, {"d", good}});
    s.step({{"a", good}, {"b", good}, {"c", good}, {"d", good}});
    for (int i = 0; i < 3; ++i)
        s.step({{"a", good}, {"b", bad}, {"c", good}, {"d", good}});
    CHECK(s.state("b") == RsState::Down); // three stay up: the floor holds
    for (int i = 0; i < 3; ++i)
        s.step({{"a", good}, {"b", bad}, {"c", bad}, {"d", bad}});
    CHECK(s.state("b") == RsState::Down);
    CHECK(s.state("c") == RsState::Held);
    CHECK(s.state("d") == RsState::Held);
}

TEST_CASE("min_up prefers the pooled longest, then the latest good round, then the service's order", "[judge]")
{
    const Stamp now{20, {}};
    auto make = [](std::uint64_t pooled_round, std::optional<std::uint64_t> last_good) {
        Standing s(Stamp{0, {}});
        s.state = RsState::Up;
        s.proposed = RsState::Down;
        s.pooled_since = Stamp{pooled_round, {}};
        if (last_good)
            s.last_good = Stamp{*last_good, {}};
        return s;
    };
    std::vector<Standing> pool{make(5, 10), make(5, 12), make(3, 1), make(5, 12), make(5, std::nullopt)};
    settle(pool, MinUp::count(3), now);
    std::string states;
    for (const auto& s : pool)
        states += letter(s.state);
    CHECK(states == "DHHHD"); // 2: pooled longest; 1 and 3: good at 12, 1 first
    CHECK(pool[1].since.round == 20);
    CHECK(pool[1].pooled_since.round == 5); // held keeps being pooled since then

    settle(pool, MinUp::count(1), now);
    CHECK(pool[2].state == RsState::Held);
    CHECK(pool[1].state == RsState::Down);
}

TEST_CASE("learners never count as pooled and are never held in", "[judge]")
{
    Service s(rules(2, 3, MinUp::percent(50)), {"a", "b", "c"});
    const Results good{{"a", all_up()}, {"b", all_up()}, {"c", all_up()}};
    s.step(good);
    s.step(good);
    // 500 newcomers that never answer: the floor stays a share of the proven three
    // (2), so c's failure takes it down as it would have without them.
    for (int i = 0; i < 500; ++i)
        s.judge.learn("192.0.2." + std::to_string(i), s.stamp());
    const Results c_fails{{"a", all_up()}, {"b", all_up()}, {"c", failing(Plane::VipHttp, Verdict::HttpStatus)}};
    for (int i = 0; i < 3; ++i)
        s.step(c_fails);
    CHECK(s.judge.count(RsState::Learning) == 500);
    CHECK(s.judge.count(RsState::Up) == 2);
    CHECK(s.state("c") == RsState::Down);
    CHECK(s.judge.count(RsState::Held) == 0);
    CHECK(s.judge.find("a")->transitions == 1);

    // A learner that would be needed for the floor is still not pooled.
    Service t(rules(2, 3, MinUp::count(2)), {"a"});
    t.step({{"a", all_up()}});
    t.step({{"a", all_up()}});
    t.judge.learn("b", t.stamp());
    for (int i = 0; i < 3; ++i)
        t.step({{"a", failing(Plane::VipIcmp, Verdict::NoReply)}, {"b", failing(Plane::VipIcmp, Verdict::NoReply)}});
    CHECK(t.state("a") == RsState::Held);
    CHECK(t.state("b") == RsState::Learning);
}
