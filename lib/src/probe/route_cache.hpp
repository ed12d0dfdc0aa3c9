// The kernel's answers a vipcheckd run needs before it starts (may this target be
// probed, the route to its realserver), asked once per key and second rather than once
// per run: 10,000 runs to four realservers need four route lookups. A second is far
// shorter than any interval and far longer than a round's start.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "probe/loop_keys.hpp"
#include "vipcheck/clock.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/options.hpp"
#include "vipcheck/route.hpp"

namespace vipcheck {

inline constexpr Duration route_cache_life = std::chrono::seconds(1);

// Answers by key, each kept for `life` from when it was asked, a refusal (an Error
// the question threw) as well as a value. Pure but for the question it is handed.
template <class Key, class Value>
class ExpiringCache {
public:
    explicit ExpiringCache(Duration life) : life_(life) {}

    // The answer for `key`: from `ask()` when there is none younger than `life`.
    // Throws Error again with the message of a refusal kept.
    template <class Ask>
    const Value& get(const Key& key, TimePoint now, Ask&& ask)
    {
        Entry& e = entries_[key];
        if (e.expires <= now) {
            try {
                e.answer = ask();
            } catch (const Error& refusal) {
                e.answer = std::string(refusal.what());
            }
            e.expires = now + life_;
        }
        if (const auto* refusal = std::get_if<std::string>(&e.answer))
            throw Error(*refusal);
        return std::get<Value>(e.answer);
    }
    void clear() { entries_.clear(); }
    std::size_t size() const { return entries_.size(); }

private:
    struct Entry {
        std::variant<std::string, Value> answer;
        TimePoint expires = TimePoint::min();
    };
    Duration life_;
    std::unordered_map<Key, Entry, KeyHash> entries_;
};

class RouteCache {
public:
    explicit RouteCache(Duration life = route_cache_life) : life_(life), checked_(life), routes_(life) {}

    // check_target() then probe_route() (engine.hpp) for `o`, each from the cache when
    // it has the answer. Throws Error as they do.
    Route route(RouteLookup& routes, const ProbeOptions& o, TimePoint now);
    // A capture failed: its interface may be gone, and every route through it.
    void forget_routes() { routes_.clear(); }

private:
    // The kernel's broadcast routes, asked at most once per life: 10,000 VIPs outside
    // them need no question each. nullptr when they could not be listed (each VIP is
    // then asked).
    const std::vector<RoutePrefix>* broadcast_routes(RouteLookup& routes, TimePoint now);

    Duration life_;
    std::optional<std::vector<RoutePrefix>> broadcast_;
    TimePoint broadcast_expires_ = TimePoint::min();
    ExpiringCache<TargetKey, std::monostate> checked_;
    ExpiringCache<RouteKey, Route> routes_;
};

} // namespace vipcheck
