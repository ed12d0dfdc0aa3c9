// vipcheckd's HTTP endpoint: which page a request asks for (/metrics, /probe?target=,
// the status page at / and /status.json), the metrics of the scheduler's targets, and
// the /probe requests that wait for a run. Served by HttpServer from the daemon's own
// loop. See vipcheckd(8), METRICS and STATUS PAGE.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "daemon/http_server.hpp"
#include "daemon/metrics.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/status_page.hpp"

namespace vipcheck {

struct MetricsPage {};
struct ProbePage {
    std::uint64_t id = 0; // the target's incarnation
};
struct StatusPage {
    bool json = false; // /status.json, else the HTML of /
};
// What a request gets: an answer now, the metrics, a run of a configured target, or the
// status page.
using Page = std::variant<HttpReply, MetricsPage, ProbePage, StatusPage>;
Page route(const HttpRequest& request, const Scheduler& targets);

// The metrics adapter: the targets as metrics.hpp formats them.
std::vector<TargetMetrics> target_metrics(const Scheduler& targets);

class Endpoint {
public:
    // Submits a run that start_now() marked in flight.
    using Start = std::function<void(const ScheduledTarget&)>;

    // The services' realservers as judged now (ServiceBoard::views).
    using Services = std::function<std::vector<ServiceView>()>;

    Endpoint(const ListenAddress& where, Scheduler& targets, const DaemonMetrics& daemon, Services services,
             Start start);

    int fd() const { return server_.fd(); }
    void run() { server_.run(); }
    long long timeout_ms() const { return server_.timeout_ms(); }

    // A result: answers the /probe requests waiting for a run of incarnation `id`.
    void answer(std::uint64_t id, const Outcome& outcome);
    // Incarnations a reload ended: their waiting requests get 503 now.
    void retire(const std::vector<std::uint64_t>& ids);

private:
    std::optional<HttpReply> serve(const HttpRequest& request, const std::function<DeferredRequest()>& defer);

    struct Waiting {
        std::string name;
        std::vector<DeferredRequest> requests;
    };
    Scheduler& targets_;
    const DaemonMetrics& daemon_;
    Services services_;
    Start start_;
    std::unordered_map<std::uint64_t, Waiting> waiting_;
    HttpServer server_; // last: its handler uses the members above
};

} // namespace vipcheck
