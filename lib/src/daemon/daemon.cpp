#include "daemon/daemon.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

#include "daemon/endpoint.hpp"
#include "daemon/metrics.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/service_board.hpp"
#include "daemon/service_round.hpp"
#include "daemon/state_files.hpp"
#include "http/http_fleet.hpp"
#include "probe/capture_set.hpp"
#include "probe/start_pacer.hpp"
#include "vip_http/vip_links.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/privilege.hpp"
#include "vipcheck/probe_loop.hpp"
#include "vipcheck/version.hpp"

namespace vipcheck {

namespace {

constexpr const char* tool = "vipcheckd";

// The one-shot tools' line and JSON object, with the target's name (and kind) added.
std::string target_line(const ScheduledTarget& t, const Outcome& o) { return t.config.name + " " + format_line(o); }

std::string target_json(const ScheduledTarget& t, const Outcome& o)
{
    Outcome named = o;
    named.fields.insert(named.fields.begin(),
                        {Field{"name", t.config.name}, Field{"kind", std::string(t.config.kind->name)}});
    return format_json(named);
}

std::string url(const ListenAddress& a)
{
    const bool v6 = a.address.find(':') != std::string::npos;
    return fmt::format("http://{}{}{}:{}", v6 ? "[" : "", a.address, v6 ? "]" : "", a.port);
}

Moment moment_now()
{
    return Moment{Clock::now(), unix_seconds(std::chrono::system_clock::now())};
}

// `web 192.0.2.11 learning -> up: healthy: ...`; a change another realserver's round
// made is min_up's doing.
std::string event_line(const RealserverEvent& e)
{
    const std::string head = fmt::format("{} {} {} -> {}", e.service, e.rip, token(e.from), token(e.to));
    if (e.diagnosis)
        return fmt::format("{}: {}: {}", head, codes_text(*e.diagnosis), e.diagnosis->sentence);
    return head + (e.to == RsState::Held ? ": held in the pool by min_up" : ": released by min_up");
}

// One event loop for both uses; they differ only here:
// - once: every target is submitted at start and the loop ends when nothing is in
//   flight; every signal interrupts the round (exit 1: no verdict for some targets).
// - resident: targets come due every interval, HTTP is served, SIGHUP reloads, and
//   SIGTERM or SIGINT stops with status 0.
class Daemon {
public:
    Daemon(const DaemonOptions& options, DaemonConfig config, const SignalWatch& signals)
        : options_(options),
          trace_(tool, options.verbose),
          signals_(signals),
          pacer_(config.rate, config.realserver_rate),
          captures_(trace_),
          loop_(captures_, pacer_, trace_),
          vip_(captures_, trace_),
          http_(pacer_, tool, trace_),
          summary_(describe_config(config))
    {
        const Moment now = moment_now();
        status_.version = version_string;
        status_.reload_success_seconds = now.unix_seconds;
        status_.last_result_seconds = now.unix_seconds;
        scheduler_.adopt(std::move(config.targets), now.steady);
        board_.adopt(std::move(config.services), {}, now);
    }

    int run();

private:
    void start(TimePoint now);
    void submit(const ScheduledTarget& t, TimePoint now)
    {
        if (t.config.http)
            http_.submit(t.id, t.config.http->options, t.config.options.target.rip, now, connection(t));
        else
            loop_.submit(t.id, *t.config.kind->kind, t.config.options, now);
    }
    // Kind http's connection to the VIP, planned now (its capture opens with the
    // privilege a --once round drops after submitting); a target that cannot run
    // gets its reason as its error verdict when it starts.
    HttpFleet::ConnectionFactory connection(const ScheduledTarget& t)
    {
        if (!t.config.kind->at_vip)
            return {};
        try {
            return vip_.prepare(t.config.options);
        } catch (const std::exception& e) {
            return [why = std::string(e.what())](TimePoint) -> std::unique_ptr<Connection> { throw Error(why); };
        }
    }
    void collect();
    void reload(Moment now);
    // A signal read: nullopt to go on, or the exit status.
    std::optional<int> on_signal(int signo);
    int print_round() const;

    const DaemonOptions& options_;
    Trace trace_;
    const SignalWatch& signals_;
    StartPacer pacer_; // one pace for the starts of every kind
    CaptureSet captures_; // one per interface, for every kind that reads frames
    ProbeLoop loop_;
    // Kind http's connections: its one lwIP stack and its nftables elements. Before http_:
    // the fleet's checks hold connections that leave its demultiplexers, and hand it
    // their elements to delete, when they go.
    VipLinks vip_;
    HttpFleet http_; // kinds mgmt-http and http, on the same poll
    Scheduler scheduler_;
    DaemonMetrics status_;
    std::optional<StateFiles> state_files_;
    std::string summary_; // of the configuration at start, for the first log line
    ServiceBoard board_;
    std::unique_ptr<Endpoint> endpoint_; // after what its handler reads
};

void Daemon::start(TimePoint now)
{
    if (!options_.state_dir.empty())
        state_files_.emplace(options_.state_dir);
    if (options_.once) {
        for (const ScheduledTarget* t : scheduler_.take_due(now))
            submit(*t, now);
        // Every capture this round needs is open: the frames are parsed without privilege,
        // but for the nftables elements of a backup director's kind http connections,
        // added as each starts: the kernel asks for CAP_NET_ADMIN at every transaction.
        if (vip_.bypassing()) {
            drop_capabilities(KeptCapability::NetAdmin);
            trace_.step("privilege", "dropped every capability but CAP_NET_ADMIN, no_new_privs set");
        } else {
            drop_capabilities();
            trace_.step("privilege", "dropped every capability, no_new_privs set");
        }
        return;
    }
    if (state_files_) {
        std::vector<std::string> names;
        for (const auto& t : scheduler_.targets())
            names.push_back(t->config.name);
        for (auto& name : board_.files())
            names.push_back(std::move(name));
        state_files_->start(names);
    }
    if (options_.listen)
        endpoint_ = std::make_unique<Endpoint>(
            *options_.listen, scheduler_, status_, [this] { return board_.views(); },
            [this](const ScheduledTarget& t) { submit(t, Clock::now()); });
    fmt::print(stderr, "{}: probing {}{}{}\n", tool, summary_,
               options_.listen ? ", serving " + url(*options_.listen) : "",
               options_.state_dir.empty() ? "" : ", state files in " + options_.state_dir);
}

void Daemon::collect()
{
    auto results = loop_.take_results();
    for (auto& r : http_.take_results())
        results.push_back(std::move(r));
    if (results.empty())
        return;
    const Moment now = moment_now();
    status_.last_result_seconds = now.unix_seconds;
    for (auto& r : results) {
        // Moved in, not copied: the target's last outcome is the one to read from here on.
        const auto recorded = scheduler_.record(r.id, std::move(r.outcome));
        if (!recorded)
            continue; // a run of a target that a reload changed or removed
        const ScheduledTarget& t = recorded->target;
        const Outcome& outcome = *t.last;
        if (!options_.once && recorded->previous != outcome.verdict)
            fmt::print(stderr, "{}: {}\n", tool, target_line(t, outcome));
        if (state_files_)
            state_files_->set(t.config.name, outcome.verdict == Verdict::Up);
        if (endpoint_)
            endpoint_->answer(t.id, outcome);
        for (const auto& e : board_.record(t.config.name, outcome, now)) {
            if (!options_.once && e.from != e.to)
                fmt::print(stderr, "{}: {}\n", tool, event_line(e));
            if (state_files_ && e.file_pooled)
                state_files_->set(e.file, *e.file_pooled);
        }
    }
}

void Daemon::reload(Moment now)
{
    DaemonConfig config;
    try {
        config = load_daemon_config(options_.config);
    } catch (const std::exception& e) {
        status_.reload_successful = false;
        fmt::print(stderr, "{}: reload failed, keeping the previous configuration: {}\n", tool, e.what());
        return;
    }
    const std::string summary = describe_config(config);
    Adoption changed = scheduler_.adopt(std::move(config.targets), now.steady);
    const ServiceBoard::Adopted realservers = board_.adopt(std::move(config.services), changed.started, now);
    status_.reload_successful = true;
    status_.reload_success_seconds = unix_seconds(std::chrono::system_clock::now());
    // The line --check prints: what the reload would take is what it took.
    fmt::print(stderr, "{}: reloaded {}: {}\n", tool, options_.config, summary);
    if (endpoint_)
        endpoint_->retire(changed.retired);
    if (state_files_) {
        state_files_->adopt(changed.started, changed.removed);
        state_files_->adopt(realservers.learning_files, realservers.removed_files);
    }
}

std::optional<int> Daemon::on_signal(int signo)
{
    if (options_.once)
        throw_interrupted(signo, "every verdict");
    if (signo == SIGHUP) {
        reload(moment_now());
        return std::nullopt;
    }
    fmt::print(stderr, "{}: {}, stopping\n", tool, sigabbrev_np(signo));
    return 0;
}

int Daemon::run()
{
    start(Clock::now());
    std::vector<pollfd> fds;
    for (;;) {
        const TimePoint now = Clock::now();
        if (!options_.once)
            for (const ScheduledTarget* t : scheduler_.take_due(now))
                submit(*t, now);
        captures_.run();
        loop_.run(now);
        http_.run(now);
        vip_.end_turn();
        collect();
        if (options_.once && loop_.idle() && http_.idle())
            return print_round();
        if (endpoint_)
            endpoint_->run();

        fds.clear();
        fds.push_back({signals_.fd(), POLLIN, 0});
        if (endpoint_)
            fds.push_back({endpoint_->fd(), POLLIN, 0});
        captures_.poll_fds(fds);
        http_.poll_fds(fds);
        TimePoint wake = std::min(loop_.next_wakeup(), http_.next_wakeup());
        if (!options_.once)
            wake = std::min(wake, scheduler_.next_due());
        if (endpoint_)
            if (const long long ms = endpoint_->timeout_ms(); ms >= 0)
                wake = std::min(wake, now + std::chrono::milliseconds(ms));
        const timespec wait = poll_wait(now, wake);
        if (ppoll(fds.data(), fds.size(), &wait, nullptr) < 0 && errno != EINTR)
            throw_system_error("ppoll", errno);
        http_.polled(fds);
        if (fds[0].revents)
            while (const auto signo = signals_.pending())
                if (const auto status = on_signal(*signo))
                    return *status;
    }
}

int Daemon::print_round() const
{
    bool all_up = true;
    // A service's targets are reported by realserver below, its planes together.
    for (const auto& t : scheduler_.targets()) {
        if (!t->last)
            throw Error(fmt::format("target '{}' has no result after the round", t->config.name));
        if (!t->config.service.empty())
            continue;
        all_up = all_up && t->last->verdict == Verdict::Up;
        fmt::print("{}\n", options_.json ? target_json(*t, *t->last) : target_line(*t, *t->last));
    }
    const LastOutcome last = [this](const std::string& name) -> const Outcome* {
        const ScheduledTarget* t = scheduler_.find(name);
        return t && t->last ? &*t->last : nullptr;
    };
    for (const auto& service : board_.services())
        for (const auto& server : service.realservers) {
            const RealserverRound round = judge_round(service, server, last);
            all_up = all_up && round.up;
            fmt::print("{}\n", options_.json ? format_json(round) : format_line(round));
        }
    std::fflush(stdout);
    return all_up ? 0 : 1;
}

} // namespace

int run_daemon(const DaemonOptions& options, DaemonConfig config, const SignalWatch& signals)
{
    Daemon daemon(options, std::move(config), signals);
    return daemon.run();
}

} // namespace vipcheck
