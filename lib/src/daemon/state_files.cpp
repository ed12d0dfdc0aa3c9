#include "daemon/state_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
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

void replace_file(const std::string& dir, const std::string& file, const char* text)
{
    const std::string path = dir + "/" + file;
    // No target or realserver name holds a '+' (daemon_config.cpp), so this is never a
    // state file itself.
    const std::string temp = dir + "/.+" + file;
    const std::size_t size = std::strlen(text);
    Fd f{open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644)};
    if (f.fd < 0)
        throw Error(fmt::format("cannot write state file {}: {}", temp, std::strerror(errno)));
    if (write(f.fd, text, size) != static_cast<ssize_t>(size))
        throw Error(fmt::format("cannot write state file {}: {}", temp, std::strerror(errno)));
    if (std::rename(temp.c_str(), path.c_str()) < 0) {
        const int err = errno;
        unlink(temp.c_str());
        throw Error(fmt::format("cannot replace state file {}: {}", path, std::strerror(err)));
    }
}

// What a state file says: 0 or 1, or -1 when it is missing or holds anything else.
int read_bit(const std::string& path)
{
    Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
    if (f.fd < 0)
        return -1;
    char text[3] = {};
    const ssize_t n = read(f.fd, text, sizeof text);
    if (n != 2 || text[1] != '\n' || (text[0] != '0' && text[0] != '1'))
        return -1;
    return text[0] - '0';
}

} // namespace

void StateFiles::write(const std::string& name, bool up)
{
    // The proof last, so that between the two renames keepalived sees at most a
    // realserver held out one moment longer, never one pooled early.
    if (up) {
        replace_file(dir_, name, "0\n");
        replace_file(dir_, name + std::string(proven_suffix), "1\n");
    } else {
        replace_file(dir_, name + std::string(proven_suffix), "0\n");
        replace_file(dir_, name, "1\n");
    }
}

bool StateFiles::says(const std::string& name, bool up) const
{
    return read_bit(dir_ + "/" + name) == (up ? 0 : 1) &&
           read_bit(dir_ + "/" + name + std::string(proven_suffix)) == (up ? 1 : 0);
}

void StateFiles::start(const std::vector<std::string>& names)
{
    for (const auto& name : names)
        if (!says(name, true) && !says(name, false))
            write(name, false);
}

void StateFiles::adopt(const std::vector<std::string>& started, const std::vector<std::string>& removed)
{
    for (const auto& name : started)
        write_or_report(name, false);
    for (const auto& name : removed)
        write_or_report(name, false);
}

void StateFiles::set(const std::string& name, bool up)
{
    if (!says(name, up))
        write_or_report(name, up);
}

void StateFiles::write_or_report(const std::string& name, bool up)
{
    try {
        write(name, up);
    } catch (const Error& e) {
        fmt::print(stderr, "vipcheckd: {}\n", e.what());
    }
}

} // namespace vipcheck
