// vipcheckd's judge of a service's realservers, as a pure state machine: each round the
// verdicts of every realserver's planes in, each realserver's state out (learning, up,
// down, held). No clock, no I/O: the daemon feeds it rounds and stamps them.
// The rules below are the whole contract until vipcheckd feeds the judge (its services
// configuration, outputs and man page section come with that).
//
// A realserver is judged from the combination of its planes, never from one probe, and
// only the planes in `depool_on` can take it out: an ARP-leaking realserver leaks
// whether pooled or not, and a management plane that is down while the VIP serves
// clients is no reason to depool it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vipcheck/clock.hpp"
#include "vipcheck/verdict.hpp"

namespace vipcheck {

// The probe kinds a realserver is judged by: vip-icmp (icmp at the VIP), vip-syn (syn on
// the service's port), vip-http (HTTP at the VIP), arp (the ARP-leak test), mgmt-http
// (HTTP at the RIP).
enum class Plane { VipIcmp, VipSyn, VipHttp, Arp, MgmtHttp };

inline constexpr std::array<Plane, 5> all_planes{Plane::VipIcmp, Plane::VipSyn, Plane::VipHttp, Plane::Arp,
                                                 Plane::MgmtHttp};

std::string_view token(Plane p);
std::optional<Plane> parse_plane(std::string_view text);
constexpr bool is_vip_plane(Plane p) { return p == Plane::VipIcmp || p == Plane::VipSyn || p == Plane::VipHttp; }

class PlaneSet {
public:
    PlaneSet() = default;
    PlaneSet(std::initializer_list<Plane> planes);
    bool contains(Plane p) const { return (bits_ & bit(p)) != 0; }
    void insert(Plane p) { bits_ |= bit(p); }
    bool empty() const { return bits_ == 0; }
    // In the order of all_planes, which is the order of every output.
    std::vector<Plane> list() const;
    friend bool operator==(PlaneSet, PlaneSet) = default;

private:
    static unsigned bit(Plane p) { return 1u << static_cast<unsigned>(p); }
    unsigned bits_ = 0;
};

// depool_on's default: every vip-* plane the service lists.
PlaneSet vip_planes(PlaneSet planes);

// The floor under depooling: a realserver that would go down stays pooled (held) while
// the pool would otherwise fall below it.
struct MinUp {
    enum class Kind { None, Count, Percent };
    Kind kind = Kind::None;
    unsigned value = 0;

    static MinUp none() { return {}; }
    static MinUp count(unsigned n) { return {Kind::Count, n}; }
    static MinUp percent(unsigned p) { return {Kind::Percent, p}; }
    // The number of realservers to keep pooled when `proven` of the service's
    // realservers have left learning; a share rounds up ("at least half of 3" is 2).
    // Learners are left out of the base, so that a reload adding realservers that never
    // answer cannot raise the floor and hold the others in.
    std::size_t floor(std::size_t proven) const;
};

struct JudgeRules {
    PlaneSet planes;
    PlaneSet depool_on;
    unsigned rise = 2;
    unsigned fall = 3;
    MinUp min_up;
};

// The rules of a service that lists `planes` and says nothing else: depool_on every
// vip-* plane, rise 2, fall 3, no min_up.
JudgeRules default_rules(PlaneSet planes);

// Throws Error naming the setting and the fix: no plane, an empty depool_on, a
// depool_on plane the service does not list, a rise or fall of 0, a min_up of 0 or a
// share above 100%.
void check_rules(const JudgeRules& rules);

struct PlaneResult {
    Verdict verdict = Verdict::Error;
    std::string detail; // the probe's detail line, for the diagnosis sentence
};

// One realserver's round: the result of each plane, none for a plane that has none yet.
class PlaneResults {
public:
    PlaneResults& set(Plane p, Verdict v, std::string detail = {});
    const PlaneResult* find(Plane p) const;

private:
    std::array<std::optional<PlaneResult>, all_planes.size()> results_;
};

// A round is good iff every depool_on plane has a result and it is up. Anything else
// fails, a missing result too: no absence of proof reads as up.
bool good_round(const PlaneResults& results, const JudgeRules& rules);

enum class RsState { Learning, Up, Down, Held };

std::string_view token(RsState s);
constexpr bool pooled(RsState s) { return s == RsState::Up || s == RsState::Held; }

// When something happened: the service's round index (which orders) and its time.
struct Stamp {
    std::uint64_t round = 0;
    TimePoint at{};
};

// One realserver's standing in its service.
struct Standing {
    RsState state = RsState::Learning; // the judgement, min_up included
    RsState proposed = RsState::Learning; // rise and fall alone: learning, up or down
    std::uint64_t good_run = 0;        // consecutive good rounds, up to this one
    std::uint64_t bad_run = 0;         // consecutive failing rounds
    std::uint64_t transitions = 0;     // changes of `state` since it started learning
    Stamp since;                       // of the last change of `state` (its start for a learner)
    Stamp pooled_since;                // when it was last pooled after not being pooled
    std::optional<Stamp> last_good;    // its last good round

    explicit Standing(Stamp start) : since(start) {}
};

// Rise and fall: `proposed` after one more round; `state` is left to settle().
// Learning and down become up after `rise` consecutive good rounds, up becomes down
// after `fall` consecutive failing ones, so one round alone never flips a pooled
// realserver (unless fall is 1). A learner that fails stays learning: it leaves
// learning only by being proven up.
Standing tally(Standing s, bool good, const JudgeRules& rules, Stamp now);

// min_up, over a whole service after every realserver was tallied: each `state` becomes
// its `proposed`, except that realservers which were pooled and would go down are held
// while fewer than min_up realservers would stay pooled. Held first are those pooled
// longest (earliest pooled_since), then those with the latest good round, then the
// first in the service; a held realserver keeps its pooled_since, so the same ones stay
// held round after round. Learners never count as pooled and are never held; a
// realserver already down is never pooled again by min_up.
void settle(std::span<Standing> service, const MinUp& min_up, Stamp now);

// The realservers of one service, by key (their RIP as written), in the order added.
class ServiceJudge {
public:
    // Throws Error as check_rules() does.
    explicit ServiceJudge(JudgeRules rules);

    // A new realserver, or one a reload changed: learning from `now`, counters at zero.
    void learn(const std::string& key, Stamp now);
    void remove(std::string_view key);
    // Changed rules keep every realserver's standing; the daemon calls learn() for the
    // realservers whose probes changed with them.
    void set_rules(JudgeRules rules);

    // One realserver's own round (vipcheckd judges each realserver as soon as all its
    // planes have reported), then min_up over the service. By its position in keys(),
    // which the caller keeps: no lookup per round.
    void observe_at(std::size_t index, bool good, Stamp now);

    const JudgeRules& rules() const { return rules_; }
    const Standing* find(std::string_view key) const;
    const std::vector<std::string>& keys() const { return keys_; }
    // In the order of keys().
    std::span<const Standing> standings() const { return standings_; }
    std::size_t count(RsState s) const;

private:
    JudgeRules rules_;
    std::vector<std::string> keys_;
    // Apart from the keys, in the same order, so that settle() sees the service as one span.
    std::vector<Standing> standings_;
};

} // namespace vipcheck
