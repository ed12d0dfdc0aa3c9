#include "daemon/daemon.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <queue>
#include <unordered_map>

#include "daemon/daemon_config.hpp"
#include "daemon/http_server.hpp"
#include "daemon/metrics.hpp"
#include "vipcheck/privilege.hpp"
#include "vipcheck/probe_loop.hpp"
#include "daemon/state_files.hpp"
#include "vipcheck/version.hpp"

namespace vipcheck {

namespace {

constexpr const char* tool = "vipcheckd";

struct DaemonOptions {
    std::string config;
    bool once = false;
    bool json = false;
    bool verbose = false;
    std::string listen;
    std::string state_dir;
};

struct Target {
    TargetConfig config;
    std::uint64_t id = 0; // this incarnation's: a reload that changes the target makes a new one
    bool in_flight = false;
    TimePoint next_due{};
    std::optional<Outcome> last;
    std::map<std::string, std::uint64_t> totals;
    std::vector<DeferredRequest> waiting; // /probe requests for the run in flight
};

double seconds(double ms) { return ms / 1000; }

// The one-shot tools' line and JSON object, with the target's name (and kind) added.
std::string target_line(const Target& t, const Outcome& o) { return t.config.name + " " + format_line(o); }

std::string target_json(const Target& t, const Outcome& o)
{
    Outcome named = o;
    named.fields.insert(named.fields.begin(), {Field{"name", t.config.name}, Field{"kind", std::string(t.config.kind->name)}});
    return format_json(named);
}

class Daemon {
public:
    Daemon(DaemonOptions options, DaemonConfig config, const SignalWatch& signals)
        : options_(std::move(options)),
          trace_(tool, options_.verbose),
          signals_(signals),
          loop_(limits(config), trace_)
    {
        adopt(std::move(config), Clock::now());
    }

    int once();
    int resident();

private:
    static LoopLimits limits(const DaemonConfig& c)
    {
        LoopLimits l;
        l.rate = c.rate;
        l.realserver_rate = c.realserver_rate;
        return l;
    }
    // Returns the names of the targets the new configuration no longer has.
    std::vector<std::string> adopt(DaemonConfig config, TimePoint now);
    void reload(TimePoint now);
    void submit(Target& t, TimePoint now);
    void submit_due(TimePoint now);
    void collect(TimePoint now);
    void record(Target& t, const Outcome& o);
    void write_state(const std::string& name, bool up);
    TimePoint next_due() const;
    std::optional<HttpReply> serve(const HttpRequest& request, const std::function<DeferredRequest()>& defer);
    std::string metrics() const;

    DaemonOptions options_;
    Trace trace_;
    const SignalWatch& signals_;
    ProbeLoop loop_;
    std::vector<std::unique_ptr<Target>> targets_;
    std::unordered_map<std::uint64_t, Target*> by_id_;
    std::map<std::string, Target*> by_name_;
    using Due = std::pair<TimePoint, std::uint64_t>;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> schedule_;
    std::uint64_t next_id_ = 1;
    std::unique_ptr<HttpServer> http_;
    std::optional<StateFiles> state_; // --state-dir, resident only
};

// Takes a new configuration: a target whose every setting is unchanged keeps its state
// (verdict, counters, schedule, a run in flight); any other starts afresh.
std::vector<std::string> Daemon::adopt(DaemonConfig config, TimePoint now)
{
    std::map<std::string, std::unique_ptr<Target>> old;
    for (auto& t : targets_)
        old.emplace(t->config.name, std::move(t));
    targets_.clear();
    for (auto& c : config.targets) {
        auto it = old.find(c.name);
        if (it != old.end() && it->second->config == c) {
            targets_.push_back(std::move(it->second));
            old.erase(it);
            continue;
        }
        auto t = std::make_unique<Target>();
        t->config = std::move(c);
        t->id = next_id_++;
        t->next_due = now;
        targets_.push_back(std::move(t));
    }
    // Gone or changed: a /probe waiting for their run gets an answer now.
    for (auto& [name, t] : old)
        for (const auto& w : t->waiting)
            if (http_)
                http_->answer(w, {503, fmt::format("target '{}' was reconfigured while probed\n", name)});
    by_id_.clear();
    by_name_.clear();
    schedule_ = {};
    for (auto& t : targets_) {
        by_id_[t->id] = t.get();
        by_name_[t->config.name] = t.get();
        schedule_.push({t->next_due, t->id});
    }
    std::vector<std::string> removed;
    for (const auto& [name, t] : old)
        if (!by_name_.contains(name))
            removed.push_back(name);
    return removed;
}

void Daemon::reload(TimePoint now)
{
    try {
        auto config = load_daemon_config(options_.config);
        const auto removed = adopt(std::move(config), now);
        fmt::print(stderr, "{}: reloaded {}: {} target{}\n", tool, options_.config, targets_.size(),
                   targets_.size() == 1 ? "" : "s");
        if (state_) {
            // A new or changed target is down until its first result proves it.
            for (auto& t : targets_)
                if (!t->last)
                    write_state(t->config.name, false);
            // keepalived keeps a file's last value for as long as it reads the file: a
            // target nobody probes any more must not stay up there.
            for (const auto& name : removed)
                try {
                    state_->retire(name);
                } catch (const Error& e) {
                    fmt::print(stderr, "{}: {}\n", tool, e.what());
                }
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}: reload failed, keeping the previous configuration: {}\n", tool, e.what());
    }
}

void Daemon::submit(Target& t, TimePoint now)
{
    t.in_flight = true;
    loop_.submit(t.id, t.config.kind->kind, t.config.options, now);
}

void Daemon::submit_due(TimePoint now)
{
    while (!schedule_.empty() && schedule_.top().first <= now) {
        const auto [due, id] = schedule_.top();
        schedule_.pop();
        auto it = by_id_.find(id);
        if (it == by_id_.end() || it->second->next_due != due)
            continue;
        Target& t = *it->second;
        // A run still in flight (a /probe, or a timeout longer than the gap) skips a turn.
        if (!t.in_flight)
            submit(t, now);
        t.next_due = due + t.config.interval;
        if (t.next_due <= now)
            t.next_due = now + t.config.interval;
        schedule_.push({t.next_due, t.id});
    }
}

TimePoint Daemon::next_due() const
{
    return schedule_.empty() ? TimePoint::max() : schedule_.top().first;
}

void Daemon::write_state(const std::string& name, bool up)
{
    try {
        state_->record(name, up);
    } catch (const Error& e) {
        // Next result tries again; keepalived meanwhile reads the previous value.
        fmt::print(stderr, "{}: {}\n", tool, e.what());
    }
}

void Daemon::record(Target& t, const Outcome& o)
{
    t.in_flight = false;
    ++t.totals[std::string(token(o.verdict))];
    if (!options_.once && (!t.last || t.last->verdict != o.verdict))
        fmt::print(stderr, "{}: {}\n", tool, target_line(t, o));
    t.last = o;
    const bool up = o.verdict == Verdict::Up;
    if (state_)
        write_state(t.config.name, up);
    for (const auto& w : t.waiting)
        http_->answer(w, {200, format_probe(o, seconds(o.elapsed_ms))});
    t.waiting.clear();
}

void Daemon::collect(TimePoint)
{
    for (auto& r : loop_.take_results()) {
        auto it = by_id_.find(r.id);
        if (it != by_id_.end())
            record(*it->second, r.outcome);
    }
}

std::string Daemon::metrics() const
{
    std::vector<TargetMetrics> all;
    all.reserve(targets_.size());
    for (const auto& t : targets_) {
        TargetMetrics m;
        m.name = t->config.name;
        m.kind = t->config.kind->name;
        m.vip = t->config.options.target.vip.str();
        m.rip = t->config.options.target.rip.str();
        if (t->last) {
            m.probed = true;
            m.verdict = t->last->verdict;
            m.duration_seconds = seconds(t->last->elapsed_ms);
        }
        m.totals = t->totals;
        all.push_back(std::move(m));
    }
    return format_metrics(all);
}

std::optional<HttpReply> Daemon::serve(const HttpRequest& request, const std::function<DeferredRequest()>& defer)
{
    if (request.path == "/metrics")
        return HttpReply{200, metrics()};
    if (request.path == "/probe") {
        const auto name = request.query.find("target");
        if (name == request.query.end())
            return HttpReply{400, "missing ?target=NAME (a configured target)\n"};
        // Only configured targets: whoever reaches this port cannot choose what we send.
        const auto it = by_name_.find(name->second);
        if (it == by_name_.end())
            return HttpReply{404, fmt::format("no configured target '{}'\n", name->second)};
        Target& t = *it->second;
        if (!t.in_flight)
            submit(t, Clock::now());
        t.waiting.push_back(defer());
        return std::nullopt;
    }
    if (request.path == "/")
        return HttpReply{200, "vipcheckd: /metrics, /probe?target=NAME\n"};
    return HttpReply{404, "not found: /metrics, /probe?target=NAME\n"};
}

int Daemon::once()
{
    const TimePoint start = Clock::now();
    for (auto& t : targets_)
        submit(*t, start);
    // Every capture this round needs is open: the frames are parsed without privilege.
    drop_capabilities();
    std::vector<pollfd> fds;
    while (!loop_.idle()) {
        TimePoint now = Clock::now();
        loop_.run(now);
        collect(now);
        if (loop_.idle())
            break;
        fds.clear();
        fds.push_back({signals_.fd(), POLLIN, 0});
        loop_.poll_fds(fds);
        const timespec wait = poll_wait(now, loop_.next_wakeup());
        if (ppoll(fds.data(), fds.size(), &wait, nullptr) < 0 && errno != EINTR)
            throw_system_error("ppoll", errno);
        if (fds[0].revents)
            if (auto signo = signals_.pending())
                throw_interrupted(*signo, "every verdict");
    }
    bool all_up = true;
    for (const auto& t : targets_) {
        const Outcome& o = *t->last;
        all_up = all_up && o.verdict == Verdict::Up;
        fmt::print("{}\n", options_.json ? target_json(*t, o) : target_line(*t, o));
    }
    std::fflush(stdout);
    return all_up ? 0 : 1;
}

int Daemon::resident()
{
    // A state directory that cannot be written is a start-up error: keepalived would
    // otherwise go on reading whatever the files held before.
    if (!options_.state_dir.empty()) {
        if (access(options_.state_dir.c_str(), W_OK | X_OK) < 0)
            throw Error(fmt::format("cannot write state files in {}: {}", options_.state_dir, std::strerror(errno)));
        state_.emplace(options_.state_dir);
        for (auto& t : targets_)
            state_->adopt(t->config.name);
    }
    if (!options_.listen.empty())
        http_ = std::make_unique<HttpServer>(parse_listen_address(options_.listen),
                                             [this](const HttpRequest& r, const std::function<DeferredRequest()>& d) {
                                                 return serve(r, d);
                                             });
    fmt::print(stderr, "{}: probing {} target{}{}{}\n", tool, targets_.size(), targets_.size() == 1 ? "" : "s",
               options_.listen.empty() ? "" : ", serving http://" + options_.listen,
               options_.state_dir.empty() ? "" : ", state files in " + options_.state_dir);
    std::vector<pollfd> fds;
    for (;;) {
        TimePoint now = Clock::now();
        submit_due(now);
        loop_.run(now);
        collect(now);
        if (http_)
            http_->run();
        fds.clear();
        fds.push_back({signals_.fd(), POLLIN, 0});
        if (http_)
            fds.push_back({http_->fd(), POLLIN, 0});
        loop_.poll_fds(fds);
        TimePoint wake = std::min(loop_.next_wakeup(), next_due());
        if (http_) {
            const long long ms = http_->timeout_ms();
            if (ms >= 0)
                wake = std::min(wake, now + std::chrono::milliseconds(ms));
        }
        const timespec wait = poll_wait(now, wake);
        if (ppoll(fds.data(), fds.size(), &wait, nullptr) < 0 && errno != EINTR)
            throw_system_error("ppoll", errno);
        if (!fds[0].revents)
            continue;
        while (auto signo = signals_.pending()) {
            if (*signo == SIGHUP) {
                reload(Clock::now());
                continue;
            }
            fmt::print(stderr, "{}: {}, stopping\n", tool, sigabbrev_np(*signo));
            return 0;
        }
    }
}

} // namespace

int vipcheckd_main(int argc, const char* const* argv)
{
    const std::unique_ptr<SignalWatch> signals = start_signal_watch(tool);
    if (!signals)
        return 1;
    DaemonOptions o;
    CLI::App app("Prove many (VIP, realserver) pairs from one resident process: state files for keepalived, "
                 "Prometheus metrics, or one round with --once.",
                 tool);
    app.add_option("-c,--config", o.config, "The YAML file of targets (see vipcheckd(8))")->required();
    auto* once = app.add_flag("--once", o.once, "Probe every target once, print one line each, exit 0 only if all are up");
    app.add_flag("--json", o.json, "With --once: one JSON object per target and line (NDJSON)")->needs(once);
    app.add_option("--listen", o.listen, "Serve /metrics and /probe?target=NAME on ADDR:PORT (default address 127.0.0.1)")
        ->excludes(once);
    app.add_option("--state-dir", o.state_dir, "Keep DIR/NAME holding 0 (up) or 1 for each target, for keepalived");
    app.add_flag("-v,--verbose", o.verbose, "Trace the probe loop on stderr");
    app.set_version_flag("--version", std::string(tool) + " " + version_string);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // Never CLI11's own codes: whatever runs us reads only 0 as success.
        std::string message = e.what();
        while (!message.empty() && message.back() == '\n')
            message.pop_back();
        fmt::print(stderr, "{}: {} (see --help)\n", tool, message);
        return 1;
    }
    try {
        if (!o.listen.empty())
            parse_listen_address(o.listen);
        Daemon daemon(o, load_daemon_config(o.config), *signals);
        return o.once ? daemon.once() : daemon.resident();
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}: {}\n", tool, e.what());
        return 1;
    }
}

} // namespace vipcheck
