// vipcheckd's command line: the options, --check, and the one place where an error
// becomes exit status 1. See vipcheckd(8), OPTIONS.
#include <malloc.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <set>

#include "daemon/daemon.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/usage.hpp"
#include "vipcheck/version.hpp"

namespace vipcheck {

namespace {

constexpr const char* tool = "vipcheckd";

std::string plural(std::size_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

std::string range(Duration low, Duration high)
{
    return low == high ? format_duration(low) : format_duration(low) + " to " + format_duration(high);
}

// --check with --state-dir: the daemon's first act would be writing every file there.
void check_state_dir(const std::string& dir)
{
    if (access(dir.c_str(), W_OK | X_OK) < 0)
        throw Error(fmt::format("cannot write state files in {}: {}", dir, std::strerror(errno)));
}

} // namespace

std::string describe_config(const DaemonConfig& config)
{
    if (config.targets.empty())
        return "no targets";
    std::map<std::string_view, std::size_t> kinds;
    std::set<std::string> vips, rips;
    std::size_t leak = 0;
    Duration fastest = Duration::max(), slowest = Duration::min();
    Duration shortest = Duration::max(), longest = Duration::min();
    for (const auto& t : config.targets) {
        ++kinds[t.kind->name];
        // A mgmt-http target of `targets:` names no VIP; kind http's URL does.
        if (!t.http || t.kind->at_vip || !t.service.empty())
            vips.insert(t.options.target.vip.str());
        rips.insert(t.options.target.rip.str());
        leak += t.options.arp_leak ? 1 : 0;
        fastest = std::min(fastest, t.interval);
        slowest = std::max(slowest, t.interval);
        shortest = std::min(shortest, t.options.timeout);
        longest = std::max(longest, t.options.timeout);
    }
    std::string by_kind;
    for (const auto& k : probe_kinds())
        if (const auto it = kinds.find(k.name); it != kinds.end())
            by_kind += fmt::format("{}{} {}", by_kind.empty() ? "" : ", ", it->second, k.name);
    if (leak > 0)
        by_kind += fmt::format("; {} with arp_leak", leak);
    if (!config.services.empty()) {
        const auto from_services = std::count_if(config.targets.begin(), config.targets.end(),
                                                 [](const TargetConfig& t) { return !t.service.empty(); });
        by_kind += fmt::format("; {} from {}", from_services, plural(config.services.size(), "service"));
    }
    return fmt::format("{} ({}) on {} and {}, every {}, timeout {}", plural(config.targets.size(), "target"), by_kind,
                       plural(rips.size(), "realserver"), plural(vips.size(), "VIP"), range(fastest, slowest),
                       range(shortest, longest));
}

int vipcheckd_main(int argc, const char* const* argv)
{
    // Every round allocates and frees the same memory again: kept in the heap instead
    // of handed back to the kernel after each burst (glibc's default trims at 128 KiB
    // and maps big blocks apart), it is not faulted in anew. A 10,000-target round:
    // 3,600 of its 10,400 page faults.
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    const std::unique_ptr<SignalWatch> signals = start_signal_watch(tool);
    if (!signals)
        return 1;
    DaemonOptions o;
    bool check = false;
    std::string listen;
    CLI::App app("Prove many (VIP, realserver) pairs from one resident process: state files for keepalived, "
                 "Prometheus metrics, or one round with --once.",
                 tool);
    app.add_option("-c,--config", o.config, "The YAML file of targets (see vipcheckd(8))")->required();
    auto* once =
        app.add_flag("--once", o.once, "Probe every target once, print one line per target and per realserver of a service, exit 0 only if all are up");
    app.add_flag("--json", o.json, "With --once: one JSON object per target or realserver and line (NDJSON)")->needs(once);
    app.add_flag("--check", check,
                 "Read and check the configuration (and --listen, --state-dir), print a summary, probe nothing: exit 0 "
                 "if vipcheckd would take it")
        ->excludes(once);
    auto* listen_option = app.add_option("--listen", listen,
                                         "Serve /metrics and /probe?target=NAME on ADDR:PORT (default address "
                                         "127.0.0.1)")
                              ->excludes(once);
    app.add_option("--state-dir", o.state_dir, "Keep DIR/NAME holding 0 (up) or 1 for each target, for keepalived");
    app.add_flag("-v,--verbose", o.verbose, "Trace the probe loop on stderr");
    app.set_version_flag("--version", std::string(tool) + " " + version_string);
    if (auto status = parse_arguments(app, tool, argc, argv))
        return *status;
    if (listen_option->count() > 0) {
        try {
            o.listen = parse_listen_address(listen);
        } catch (const Error& e) {
            return usage_error(tool, e.what());
        }
    }
    try {
        DaemonConfig config = load_daemon_config(o.config);
        if (check) {
            if (!o.state_dir.empty())
                check_state_dir(o.state_dir);
            fmt::print("{}: {}: {}\n", tool, o.config, describe_config(config));
            return 0;
        }
        return run_daemon(o, std::move(config), *signals);
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}: {}\n", tool, e.what());
        return 1;
    }
}

} // namespace vipcheck
