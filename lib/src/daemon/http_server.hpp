// vipcheckd's HTTP endpoint: libmicrohttpd driven from the daemon's own poll loop
// (its epoll descriptor polled beside the captures), so every request is answered on
// the one thread that owns the targets, without locks. A request whose answer needs a
// probe is suspended and answered when the probe ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct MHD_Daemon;
struct MHD_Connection;

namespace vipcheck {
struct ConnectionState;
}

namespace vipcheck {

struct HttpReply {
    unsigned status = 200;
    std::string body;
    std::string content_type = "text/plain; version=0.0.4; charset=utf-8";
};

// A request the handler chose to answer later (HttpServer::answer).
struct DeferredRequest {
    MHD_Connection* connection = nullptr;
    struct ConnectionState* state = nullptr;
};

struct HttpRequest {
    std::string path;
    std::map<std::string, std::string> query;
};

// What one client, or many slow ones, may hold of the endpoint (vipcheckd(8), HTTP
// ENDPOINT). A slowloris holds every connection it gets for as long as it trickles
// bytes, so the per-client limit is what keeps a scraper from another address served;
// the total stays a fraction of the descriptors the probes need too.
struct HttpLimits {
    unsigned connections = 0;       // in all
    unsigned per_client = 0;        // from one IP address (more are closed when accepted)
    unsigned idle_timeout_s = 0;    // a connection silent this long is closed
    std::size_t memory_per_connection = 0;
};
// The limits for a process allowed `open_files` descriptors (RLIMIT_NOFILE, soft).
HttpLimits http_limits(std::uint64_t open_files);

// ADDR:PORT, [ADDR6]:PORT, :PORT or PORT (address 127.0.0.1). Throws Error.
struct ListenAddress {
    std::string address;
    std::uint16_t port = 0;
};
ListenAddress parse_listen_address(const std::string& text);

class HttpServer {
public:
    // The handler answers now (a reply) or later (nullopt, after it kept `defer()`'s
    // handle and will pass it to answer()).
    using Handler = std::function<std::optional<HttpReply>(const HttpRequest&, const std::function<DeferredRequest()>& defer)>;

    HttpServer(const ListenAddress& where, Handler handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    int fd() const;
    // Serves whatever is ready; never blocks.
    void run();
    // Milliseconds until run() must be called again, -1 for no timer.
    long long timeout_ms() const;
    void answer(const DeferredRequest& request, HttpReply reply);

    // For libmicrohttpd's callbacks (http_server.cpp).
    const Handler& handler() const { return handler_; }
    std::map<ConnectionState*, MHD_Connection*>& outstanding() { return outstanding_; }

private:
    Handler handler_;
    std::map<ConnectionState*, MHD_Connection*> outstanding_; // deferred, not yet answered
    bool resumed_ = false;
    MHD_Daemon* daemon_ = nullptr; // owned: MHD_stop_daemon in the destructor
};

} // namespace vipcheck
