#include "vipcheck/signals.hpp"

#include <fmt/format.h>

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "vipcheck/error.hpp"

namespace vipcheck {

SignalWatch::SignalWatch()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, nullptr) < 0)
        throw_system_error("sigprocmask", errno);
    fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd_ < 0)
        throw_system_error("signalfd", errno);
    // stdout may be a pipe whose reader went away: that is an I/O error, not a death.
    std::signal(SIGPIPE, SIG_IGN);
}

SignalWatch::~SignalWatch()
{
    // The mask stays blocked: unblocking with a signal pending would deliver it and
    // kill the process after all, between its verdict and its exit.
    close(fd_);
}

std::optional<int> SignalWatch::pending() const
{
    signalfd_siginfo info{};
    if (read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
        return static_cast<int>(info.ssi_signo);
    return std::nullopt;
}

std::unique_ptr<SignalWatch> start_signal_watch(const char* tool)
{
    try {
        return std::make_unique<SignalWatch>();
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}: {}\n", tool, e.what());
        return nullptr;
    }
}

void throw_interrupted(int signo, std::string_view before)
{
    const char* name = sigabbrev_np(signo);
    throw Error(fmt::format("interrupted by {} before {}", name ? name : "a signal", before));
}

} // namespace vipcheck
