#include "daemon/http_server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "vipcheck/address.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/options.hpp"

namespace vipcheck {

struct ConnectionState {
    bool deferred = false;
    std::optional<HttpReply> reply;
};

namespace {

MHD_Result queue(MHD_Connection* connection, const HttpReply& reply)
{
    MHD_Response* response =
        MHD_create_response_from_buffer(reply.body.size(), const_cast<char*>(reply.body.data()), MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    MHD_add_response_header(response, "Content-Type", reply.content_type.c_str());
    const MHD_Result r = MHD_queue_response(connection, reply.status, response);
    MHD_destroy_response(response);
    return r;
}

MHD_Result collect_argument(void* cls, MHD_ValueKind, const char* key, const char* value)
{
    static_cast<std::map<std::string, std::string>*>(cls)->emplace(key, value ? value : "");
    return MHD_YES;
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                      const char*, std::size_t* upload_size, void** con_cls)
{
    auto& server = *static_cast<HttpServer*>(cls);
    if (!*con_cls) {
        // First call: headers only. Remember the request; answer on the next call.
        *con_cls = std::make_unique<ConnectionState>().release();
        return MHD_YES;
    }
    auto& state = *static_cast<ConnectionState*>(*con_cls);
    if (state.reply)
        return queue(connection, *state.reply); // resumed with its answer
    if (state.deferred)
        return MHD_YES;
    if (std::string_view(method) != "GET" && std::string_view(method) != "HEAD")
        return queue(connection, {405, "only GET\n"});
    if (*upload_size != 0) {
        *upload_size = 0;
        return MHD_YES;
    }
    HttpRequest request;
    request.path = url;
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_argument, &request.query);
    const auto defer = [&]() {
        state.deferred = true;
        MHD_suspend_connection(connection);
        server.outstanding().emplace(&state, connection);
        return DeferredRequest{connection, &state};
    };
    auto reply = server.handler()(request, defer);
    if (reply)
        return queue(connection, *reply);
    return MHD_YES;
}

void on_completed(void* cls, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode)
{
    std::unique_ptr<ConnectionState> state(static_cast<ConnectionState*>(*con_cls));
    *con_cls = nullptr;
    if (state)
        static_cast<HttpServer*>(cls)->outstanding().erase(state.get());
}

} // namespace

HttpLimits http_limits(std::uint64_t open_files)
{
    HttpLimits limits;
    // A quarter of the descriptors: the rest is for the probes' captures and sockets.
    limits.connections = static_cast<unsigned>(std::clamp<std::uint64_t>(open_files / 4, 16, 1024));
    // Enough for a Prometheus pair, its /probe job's concurrent requests and a human with
    // curl; a single address then holds at most a sixteenth of the endpoint.
    limits.per_client = std::max(limits.connections / 16, 4u);
    // A scrape's request arrives whole at once; only a slow or silent client waits longer.
    limits.idle_timeout_s = 5;
    // Requests are a line and a few headers; libmicrohttpd's 32 KiB default doubles
    // what a full endpoint can pin for nothing.
    limits.memory_per_connection = 16 * 1024;
    return limits;
}

ListenAddress parse_listen_address(const std::string& text)
{
    ListenAddress out{"127.0.0.1", 0};
    std::string port = text;
    if (!text.empty() && text[0] == '[') {
        const auto close = text.find("]:");
        if (close == std::string::npos)
            throw Error(fmt::format("bad --listen '{}': expected [ADDR6]:PORT", text));
        out.address = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
        if (text.find(':') != colon)
            throw Error(fmt::format("bad --listen '{}': write an IPv6 address in brackets, [ADDR6]:PORT", text));
        if (colon > 0)
            out.address = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (!IpAddress::parse(out.address))
        throw Error(fmt::format("bad --listen '{}': '{}' is not an IP address", text, out.address));
    try {
        out.port = parse_port(port, "--listen port");
    } catch (const Error& e) {
        throw Error(fmt::format("bad --listen '{}': {}", text, e.what()));
    }
    if (out.port == 0)
        throw Error(fmt::format("bad --listen '{}': port 0", text));
    return out;
}

HttpServer::HttpServer(const ListenAddress& where, Handler handler) : handler_(std::move(handler))
{
    const auto ip = IpAddress::parse(where.address);
    sockaddr_storage address{};
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    if (ip->is_v4()) {
        auto& sin = reinterpret_cast<sockaddr_in&>(address);
        sin.sin_family = AF_INET;
        sin.sin_port = htons(where.port);
        inet_pton(AF_INET, where.address.c_str(), &sin.sin_addr);
    } else {
        auto& sin6 = reinterpret_cast<sockaddr_in6&>(address);
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(where.port);
        inet_pton(AF_INET6, where.address.c_str(), &sin6.sin6_addr);
        flags |= MHD_USE_IPv6;
    }
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) < 0)
        throw_system_error("getrlimit(RLIMIT_NOFILE)", errno);
    const HttpLimits limits = http_limits(files.rlim_cur);
    daemon_ = MHD_start_daemon(flags, where.port, nullptr, nullptr, &on_request, this, MHD_OPTION_SOCK_ADDR,
                               reinterpret_cast<sockaddr*>(&address), MHD_OPTION_NOTIFY_COMPLETED, &on_completed, this,
                               MHD_OPTION_CONNECTION_LIMIT, limits.connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                               limits.per_client, MHD_OPTION_CONNECTION_TIMEOUT, limits.idle_timeout_s,
                               MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits.memory_per_connection, MHD_OPTION_END);
    if (!daemon_)
        throw Error(fmt::format("cannot listen on {}:{} (address in use, or not an address of this host?)",
                                where.address, where.port));
}

HttpServer::~HttpServer()
{
    // libmicrohttpd must not be stopped with connections suspended.
    while (!outstanding_.empty()) {
        const auto [state, connection] = *outstanding_.begin();
        answer({connection, state}, {503, "vipcheckd is stopping\n"});
    }
    run();
    MHD_stop_daemon(daemon_);
}

int HttpServer::fd() const
{
    return MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd;
}

void HttpServer::run()
{
    MHD_run(daemon_);
    // A resumed connection is taken back and answered by the run above; its socket was
    // writable all along, so epoll (edge-triggered) will not say so again: write now.
    if (std::exchange(resumed_, false))
        MHD_run(daemon_);
}

long long HttpServer::timeout_ms() const
{
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout(daemon_, &ms) != MHD_YES)
        return -1;
    return static_cast<long long>(ms);
}

void HttpServer::answer(const DeferredRequest& request, HttpReply reply)
{
    if (outstanding_.erase(request.state) == 0)
        return;
    request.state->reply = std::move(reply);
    MHD_resume_connection(request.connection);
    resumed_ = true;
}

} // namespace vipcheck
