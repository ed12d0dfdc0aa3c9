// The next hops vipcheckd resolves once for every run that needs them while the
// resolution lives: 10,000 runs to four realservers send four ARP requests per
// interval, not 10,000. A resolution lives while a run queued or in flight uses it (a
// round), so every round asks afresh and a realserver's new MAC is seen at the next
// round. Pure: fed with time and captured frames, it says which requests are due and
// which sessions learn which MAC (ProbeSession::learn_mac); the loop sends and tells.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "probe/loop_keys.hpp"
#include "vipcheck/clock.hpp"
#include "vipcheck/neighbour.hpp"

namespace vipcheck {

class NeighbourCache {
public:
    using Id = std::uint64_t;
    struct Answer {
        MacAddress mac;
        TimePoint at;
    };
    // A MAC a frame brought, and the sessions to tell.
    struct Learned {
        Id id;
        MacAddress mac;
        std::vector<std::uint64_t> sessions;
    };

    // A run that needs `q` answered joins the resolution that lives for it, or starts
    // one. The resolution asks every `interval`, the shortest any of its runs gave,
    // until the first answer.
    Id acquire(const NeighbourQuery& q, Duration interval);
    // The run no longer needs it (finished, or never started): the last one ends it.
    void release(Id id);

    // A started run's session learns every answer from now on; the answers already in
    // are its to learn at once.
    const std::vector<Answer>& attach(Id id, std::uint64_t session);
    void detach(Id id, std::uint64_t session);

    // The resolutions whose request is due at `now`: unanswered, their interval passed.
    std::vector<Id> due(TimePoint now) const;
    // A request went out (or was tried) for `id` at `now`.
    void asked(Id id, TimePoint now);
    // What `f` answers: one entry per resolution on its interface that it answers.
    std::vector<Learned> on_frame(const CapturedFrame& f, TimePoint now);
    // When due() has something next: TimePoint::max() when nothing waits for an answer.
    TimePoint next_request() const;

    const NeighbourQuery& query(Id id) const { return live_.at(id).query; }
    int requests(Id id) const { return live_.at(id).requests; }
    std::size_t size() const { return live_.size(); }

private:
    struct Resolution {
        NeighbourQuery query;
        Duration interval{};
        TimePoint next_request = TimePoint::min();
        std::vector<Answer> answers;
        std::vector<std::uint64_t> sessions;
        int users = 0; // runs queued and in flight
        int requests = 0;
    };
    std::unordered_map<NeighbourKey, Id, KeyHash> ids_;
    std::unordered_map<Id, Resolution> live_;
    Id next_id_ = 1;
};

} // namespace vipcheck
