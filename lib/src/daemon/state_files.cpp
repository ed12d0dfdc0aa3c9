#include "daemon/state_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>

#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

struct Fd {
    int fd;
    ~Fd()
    {
        if (fd >= 0)
            close(fd);
    }
};

} // namespace

void write_state_file(const std::string& dir, const std::string& name, bool up)
{
    const std::string path = dir + "/" + name;
    // No target name holds a '+' (daemon_config.cpp), so this is never a target's file.
    const std::string temp = dir + "/.+" + name;
    Fd f{open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644)};
    if (f.fd < 0)
        throw Error(fmt::format("cannot write state file {}: {}", temp, std::strerror(errno)));
    const char* text = up ? "0\n" : "1\n";
    if (write(f.fd, text, 2) != 2)
        throw Error(fmt::format("cannot write state file {}: {}", temp, std::strerror(errno)));
    if (std::rename(temp.c_str(), path.c_str()) < 0) {
        const int err = errno;
        unlink(temp.c_str());
        throw Error(fmt::format("cannot replace state file {}: {}", path, std::strerror(err)));
    }
}

void StateFiles::start(const std::vector<std::string>& names)
{
    for (const auto& name : names) {
        write_state_file(dir_, name, false);
        holds_[name] = false;
    }
}

void StateFiles::adopt(const std::vector<std::string>& started, const std::vector<std::string>& removed)
{
    for (const auto& name : started)
        write(name, false);
    for (const auto& name : removed) {
        write(name, false);
        holds_.erase(name);
    }
}

void StateFiles::set(const std::string& name, bool up)
{
    const auto it = holds_.find(name);
    if (it == holds_.end() || it->second != up)
        write(name, up);
}

void StateFiles::write(const std::string& name, bool up)
{
    try {
        write_state_file(dir_, name, up);
        holds_[name] = up;
    } catch (const Error& e) {
        holds_.erase(name);
        fmt::print(stderr, "vipcheckd: {}\n", e.what());
    }
}

} // namespace vipcheck
