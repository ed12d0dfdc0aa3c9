// The relay between libcurl's local socket and the TCP connection, with a scripted
// stream and a real socket pair: bytes both ways, back-pressure, half-closes.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "vip_http/relay.hpp"

using namespace vipcheck;

namespace {

struct ScriptedStream final : ByteStream {
    bool open = false;
    bool broken = false;
    bool fin = false;
    std::size_t room = 1 << 20;
    std::string sent;
    std::string incoming;

    bool established() const override { return open; }
    bool failed() const override { return broken; }
    bool peer_finished() const override { return fin; }
    std::size_t send(Bytes data) override
    {
        const std::size_t n = std::min(room, data.size());
        sent.append(reinterpret_cast<const char*>(data.data()), n);
        room -= n;
        return n;
    }
    std::string take_received() override { return std::exchange(incoming, {}); }
};

struct Pair {
    int fds[2];
    Pair() { REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0); }
    ~Pair()
    {
        close(fds[0]);
        if (fds[1] >= 0)
            close(fds[1]);
    }
};

std::string read_some(int fd)
{
    char buffer[4096];
    pollfd p{fd, POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    const ssize_t n = read(fd, buffer, sizeof buffer);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

} // namespace

TEST_CASE("relay: nothing is read from libcurl before the connection is established", "[relay]")
{
    Pair pair;
    SocketRelay relay(pair.fds[0]);
    ScriptedStream stream;
    REQUIRE(write(pair.fds[1], "GET /", 5) == 5);
    relay.pump(stream);
    CHECK(stream.sent.empty());
    CHECK_FALSE(relay.events() & POLLIN); // no busy loop while connecting
    stream.open = true;
    relay.pump(stream);
    CHECK(stream.sent == "GET /");
    CHECK(relay.events() & POLLIN);
}

TEST_CASE("relay: bytes both ways, with back-pressure from the stream", "[relay]")
{
    Pair pair;
    SocketRelay relay(pair.fds[0]);
    ScriptedStream stream;
    stream.open = true;
    stream.room = 3;
    REQUIRE(write(pair.fds[1], "abcdef", 6) == 6);
    relay.pump(stream);
    CHECK(stream.sent == "abc");
    stream.room = 10;
    relay.pump(stream);
    CHECK(stream.sent == "abcdef");
    CHECK(relay.bytes_up() == 6);

    stream.incoming = "HTTP/1.1 200 OK\r\n";
    relay.pump(stream);
    CHECK(read_some(pair.fds[1]) == "HTTP/1.1 200 OK\r\n");
    CHECK(relay.bytes_down() == 17);
}

TEST_CASE("relay: the peer's FIN reaches libcurl after the data before it", "[relay]")
{
    Pair pair;
    SocketRelay relay(pair.fds[0]);
    ScriptedStream stream;
    stream.open = true;
    stream.incoming = "body";
    stream.fin = true;
    relay.pump(stream);
    CHECK(read_some(pair.fds[1]) == "body");
    CHECK(read_some(pair.fds[1]).empty()); // EOF
}

TEST_CASE("relay: libcurl closing is seen once its bytes are in the stream", "[relay]")
{
    Pair pair;
    SocketRelay relay(pair.fds[0]);
    ScriptedStream stream;
    stream.open = true;
    REQUIRE(write(pair.fds[1], "last", 4) == 4);
    close(pair.fds[1]);
    pair.fds[1] = -1;
    relay.pump(stream);
    relay.pump(stream);
    CHECK(stream.sent == "last");
    CHECK(relay.application_finished());
}

TEST_CASE("relay: a failed connection closes libcurl's view at once", "[relay]")
{
    Pair pair;
    SocketRelay relay(pair.fds[0]);
    ScriptedStream stream;
    stream.broken = true;
    relay.pump(stream);
    CHECK(read_some(pair.fds[1]).empty()); // EOF
}

TEST_CASE("local listener: only this process may connect", "[relay]")
{
    LocalListener listener;
    CHECK(listener.name().rfind("vipcheck-http-", 0) == 0);
    CHECK(listener.accept_own() == -1); // nobody yet, and it does not block
}
