// The bytes between libcurl and a user-space TCP connection. libcurl speaks HTTP and
// TLS over a local stream socket; the relay holds the other end and moves bytes between
// it and the connection, both ways, half-closes included.
//
// The local socket is an abstract AF_UNIX one that libcurl connects to itself
// (CURLOPT_ABSTRACT_UNIX_SOCKET), not a socket pair handed over with
// CURLOPT_OPENSOCKETFUNCTION and CURL_SOCKOPT_ALREADY_CONNECTED: Debian 12's libcurl
// 7.88.1 ignores CURL_SOCKOPT_ALREADY_CONNECTED and calls connect() on the handed-over
// socket anyway (GitHub curl/curl#10626, fixed in 8.0), which fails on a socket pair.
#pragma once

#include <cstddef>
#include <string>

#include "vipcheck/packet.hpp"

namespace vipcheck {

// The relay's view of the TCP connection.
class ByteStream {
public:
    virtual ~ByteStream() = default;
    virtual bool established() const = 0;
    virtual bool failed() const = 0;        // ended other than by a clean close
    virtual bool peer_finished() const = 0; // the peer's FIN is in
    virtual std::size_t send(Bytes data) = 0;
    virtual std::string take_received() = 0;
};

// A listening abstract AF_UNIX stream socket with a random name, private to this
// process: a connection from any other process is refused (SO_PEERCRED).
class LocalListener {
public:
    LocalListener(); // throws Error
    ~LocalListener();
    LocalListener(const LocalListener&) = delete;
    LocalListener& operator=(const LocalListener&) = delete;

    // The name without the leading NUL, as CURLOPT_ABSTRACT_UNIX_SOCKET takes it.
    const std::string& name() const { return name_; }
    int fd() const { return listener_; }
    // The connection from this process, once it came; -1 until then. Never blocks.
    int accept_own();
    int connection() const { return connection_; }

private:
    std::string name_;
    int listener_ = -1;
    int connection_ = -1;
};

class SocketRelay {
public:
    // `fd` is non-blocking afterwards; the relay does not own it.
    explicit SocketRelay(int fd);

    // Moves whatever can move now, without blocking. Throws Error on a socket failure
    // other than the application going away.
    void pump(ByteStream& stream);
    // poll(2) events worth waiting for on fd().
    short events() const;
    int fd() const { return fd_; }

    // The application closed its end (or shut down writing) and every byte it wrote
    // has gone into the stream.
    bool application_finished() const { return app_eof_ && up_.empty(); }
    // The application can no longer be told anything (it closed its end).
    bool application_gone() const { return app_gone_; }
    std::size_t bytes_up() const { return total_up_; }
    std::size_t bytes_down() const { return total_down_; }

private:
    int fd_;
    std::string up_;   // from the application, not yet taken by the stream
    std::string down_; // from the stream, not yet written to the application
    bool stream_open_ = false;
    bool app_eof_ = false;
    bool app_gone_ = false;
    bool down_shut_ = false;
    std::size_t total_up_ = 0;
    std::size_t total_down_ = 0;
};

} // namespace vipcheck
