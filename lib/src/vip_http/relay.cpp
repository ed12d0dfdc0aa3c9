#include "vip_http/relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

void make_nonblocking(int fd)
{
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        throw_system_error("fcntl O_NONBLOCK", errno);
}

// What one read of the application's end brings at most; TLS records are 16 KiB.
constexpr std::size_t read_chunk = 64 * 1024;

} // namespace

LocalListener::LocalListener()
{
    std::uint64_t random = 0;
    if (getrandom(&random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
        throw_system_error("getrandom", errno);
    name_ = fmt::format("vipcheck-http-{}-{:016x}", getpid(), random);
    listener_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listener_ < 0)
        throw_system_error("socket AF_UNIX", errno);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    // Abstract: sun_path starts with NUL, and the name is not a file anyone must remove.
    std::memcpy(address.sun_path + 1, name_.data(), name_.size());
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name_.size());
    if (bind(listener_, reinterpret_cast<const sockaddr*>(&address), length) != 0 || listen(listener_, 1) != 0) {
        const int e = errno;
        close(listener_);
        throw_system_error("listen on a local socket for libcurl", e);
    }
}

LocalListener::~LocalListener()
{
    if (connection_ >= 0)
        close(connection_);
    close(listener_);
}

int LocalListener::accept_own()
{
    while (connection_ < 0) {
        const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                return -1;
            throw_system_error("accept libcurl's connection", errno);
        }
        ucred peer{};
        socklen_t size = sizeof peer;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) == 0 && peer.pid == getpid())
            connection_ = fd;
        else
            close(fd);
    }
    return connection_;
}

SocketRelay::SocketRelay(int fd) : fd_(fd)
{
    make_nonblocking(fd_);
}

void SocketRelay::pump(ByteStream& stream)
{
    // Application to stream: read only what the stream can take soon, so that the
    // socket's own buffer is the back-pressure.
    stream_open_ = stream.established();
    if (stream_open_ && !app_eof_ && up_.size() < read_chunk) {
        char buffer[read_chunk];
        const ssize_t n = read(fd_, buffer, sizeof buffer - up_.size());
        if (n > 0)
            up_.append(buffer, static_cast<std::size_t>(n));
        else if (n == 0)
            app_eof_ = true;
        else if (errno == ECONNRESET || errno == EPIPE)
            app_eof_ = app_gone_ = true;
        else if (errno != EAGAIN && errno != EINTR)
            throw_system_error("read from libcurl's socket", errno);
    }
    while (!up_.empty()) {
        const std::size_t taken =
            stream.send(Bytes(reinterpret_cast<const std::uint8_t*>(up_.data()), up_.size()));
        if (taken == 0)
            break;
        up_.erase(0, taken);
        total_up_ += taken;
    }

    // Stream to application.
    down_ += stream.take_received();
    while (!down_.empty() && !app_gone_) {
        const ssize_t n = send(fd_, down_.data(), down_.size(), MSG_NOSIGNAL);
        if (n > 0) {
            down_.erase(0, static_cast<std::size_t>(n));
            total_down_ += static_cast<std::size_t>(n);
            continue;
        }
        if (errno == EPIPE || errno == ECONNRESET) {
            app_gone_ = app_eof_ = true;
            down_.clear();
        } else if (errno != EAGAIN && errno != EINTR) {
            throw_system_error("write to libcurl's socket", errno);
        }
        break;
    }
    // The peer's FIN reaches the application once the data before it has; a failed
    // connection closes the application's view of it at once.
    if (!down_shut_ && down_.empty() && (stream.peer_finished() || stream.failed())) {
        shutdown(fd_, stream.failed() ? SHUT_RDWR : SHUT_WR);
        down_shut_ = true;
    }
}

short SocketRelay::events() const
{
    short e = 0;
    if (stream_open_ && !app_eof_ && up_.size() < read_chunk)
        e |= POLLIN;
    if (!down_.empty() && !app_gone_)
        e |= POLLOUT;
    return e;
}

} // namespace vipcheck
