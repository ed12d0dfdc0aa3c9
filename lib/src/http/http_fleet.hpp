// Many mgmt-http checks at once, for vipcheckd: one libcurl multi handle driven by the
// caller's own poll through libcurl's socket and timer callbacks, so that HTTP runs in
// the daemon's one loop beside the ProbeLoop's frames. Each check is what
// mgmt-http-check does (http_check.hpp): --attempts transfers within its own --timeout,
// judged by the same rules into the same verdict and detail line. A stalled server holds
// only its own transfers. Starts are paced overall and per realserver by the pacer the
// ProbeLoop's runs take theirs from (start_pacer.hpp). The caller owns the clock and the poll.
#pragma once

#include <poll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "http/http_options.hpp"
#include "http/http_transport.hpp"
#include "probe/start_pacer.hpp"
#include "vipcheck/clock.hpp"
#include "vipcheck/probe_loop.hpp"
#include "vipcheck/trace.hpp"

namespace vipcheck {

class HttpFleet {
public:
    // Makes a check's connection (kind http: the user-space TCP connection to the VIP,
    // vip_links.hpp) for a check that ends at `deadline`. Throws Error: the check's
    // verdict is then error.
    using ConnectionFactory = std::function<std::unique_ptr<Connection>(TimePoint deadline)>;

    // `tool` names the User-Agent.
    // `pacer` (which outlives the fleet) is shared with the ProbeLoop.
    HttpFleet(StartPacer& pacer, const char* tool, const Trace& trace);
    ~HttpFleet();
    HttpFleet(const HttpFleet&) = delete;
    HttpFleet& operator=(const HttpFleet&) = delete;

    // Queues one check of `options` (kept alive by the fleet while it runs); it starts
    // when pacing allows, its timeout counted from then. `realserver` is the address
    // the per-realserver pace counts. With `connection`, each check's transfers go over
    // the connection it makes rather than libcurl's own socket, and the check ends once
    // that connection is closed too.
    void submit(std::uint64_t id, std::shared_ptr<const HttpOptions> options, const IpAddress& realserver,
                TimePoint now, ConnectionFactory connection = {});
    // Starts what pacing allows, lets libcurl act on what the last poll saw and on its
    // timer, and ends the checks that are decided or out of time. Never blocks.
    void run(TimePoint now);
    std::vector<ProbeResult> take_results();

    // Appends libcurl's descriptors with the events it waits for; polled() takes the
    // same vector back after the poll.
    void poll_fds(std::vector<pollfd>& fds);
    void polled(const std::vector<pollfd>& fds);
    // When run() has work next (TimePoint::max() when idle).
    TimePoint next_wakeup() const;
    bool idle() const;
    std::size_t in_flight() const { return checks_.size(); }

private:
    struct Check;
    struct Waiting {
        std::uint64_t id;
        std::shared_ptr<const HttpOptions> options;
        ConnectionFactory connection;
    };

    void start(Waiting w, TimePoint now);
    void start_attempts(Check& c, TimePoint now);
    void read_done();
    void finish(Check& c, TimePoint now);
    void service(Check& c, TimePoint now);
    static int on_socket(CURL* easy, curl_socket_t fd, int what, void* user, void* socket_data);
    static int on_timer(CURLM* multi, long timeout_ms, void* user);

    const char* tool_;
    const Trace& trace_;
    CurlGlobal curl_;
    MultiHandle multi_;
    StartPacer& pacer_;
    std::uint64_t next_ticket_ = 1;
    std::unordered_map<std::uint64_t, Waiting> waiting_; // by pacer ticket
    std::map<curl_socket_t, int> sockets_;               // libcurl's CURL_POLL_* wish for each
    std::vector<std::pair<curl_socket_t, int>> events_;  // CURL_CSELECT_* from the last poll
    std::optional<TimePoint> timer_;                     // libcurl's, none when it has no timeout
    std::size_t polled_from_ = 0;                        // where poll_fds() put its descriptors
    std::size_t polled_count_ = 0;
    // After multi_: a check's transfers leave the multi handle when it ends.
    std::unordered_map<std::uint64_t, std::unique_ptr<Check>> checks_; // by ticket
    std::unordered_map<CURL*, Check*> by_easy_;
    std::vector<ProbeResult> results_;
};

} // namespace vipcheck
