// SIGTERM, SIGINT and SIGHUP as readable events instead of deaths. ldirectord counts a
// check killed by a signal as *up*, and keepalived sends SIGTERM on misc_timeout: so the
// signals are blocked and read from a signalfd the engine polls beside the capture, and
// the run ends at once with status 1.
#pragma once

#include <csignal>
#include <memory>
#include <optional>
#include <string_view>

namespace vipcheck {

class SignalWatch {
public:
    SignalWatch();
    ~SignalWatch();
    SignalWatch(const SignalWatch&) = delete;
    SignalWatch& operator=(const SignalWatch&) = delete;

    int fd() const { return fd_; }
    // The signal that arrived, if any; never blocks.
    std::optional<int> pending() const;

private:
    int fd_ = -1;
};

// The first thing each binary's main does, so that a signal during start-up is read,
// not fatal. On failure it prints "TOOL: why" on stderr and returns nullptr: exit 1.
std::unique_ptr<SignalWatch> start_signal_watch(const char* tool);

// What a loop does with a signal it read: ends the run with an Error, "interrupted by
// SIGTERM before a verdict", which each main turns into status 1.
[[noreturn]] void throw_interrupted(int signo, std::string_view before = "a verdict");

} // namespace vipcheck
