// libcurl as the HTTP checks' transport: one Transfer is one request and what came back,
// driven by a multi handle that the caller's loop runs. How a transfer reaches the
// server is a Connector's business: mgmt-http-check lets libcurl open its own socket,
// vip-http-check hands it one end of a socket pair whose other end it relays over a
// user-space TCP connection to the VIP.
#pragma once

#include <curl/curl.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vipcheck/clock.hpp"
#include "vipcheck/error.hpp"
#include "http/http_judge.hpp"
#include "http/http_options.hpp"
#include "http/md5.hpp"
#include "vipcheck/report.hpp"
#include "vipcheck/signals.hpp"
#include "vipcheck/trace.hpp"

namespace vipcheck {


class CurlGlobal {
public:
    CurlGlobal();
    ~CurlGlobal();
    CurlGlobal(const CurlGlobal&) = delete;
    CurlGlobal& operator=(const CurlGlobal&) = delete;
};

struct CurlEasyDeleter {
    void operator()(CURL* e) const { curl_easy_cleanup(e); }
};
struct CurlMultiDeleter {
    void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
struct CurlSlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using EasyHandle = std::unique_ptr<CURL, CurlEasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, CurlMultiDeleter>;
using Slist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// curl_easy_setopt that throws Error naming the option.
template <typename T>
void set_curl_option(CURL* easy, CURLoption option, T value)
{
    if (const CURLcode rc = curl_easy_setopt(easy, option, value); rc != CURLE_OK)
        throw Error(fmt::format("libcurl rejected option {}: {}", static_cast<int>(option), curl_easy_strerror(rc)));
}

// What a transfer needs of a transport other than libcurl's own sockets, every part of
// it without blocking, so that many run in one loop (vipcheckd's HttpFleet).
class Connection {
public:
    virtual ~Connection() = default;
    // Called for each transfer's handle before it starts (socket callbacks).
    virtual void configure(CURL* easy) = 0;
    // Descriptors to wait on beside libcurl's, and the latest time to wake up.
    virtual std::vector<curl_waitfd> wait_fds() = 0;
    virtual Clock::time_point next_wakeup(Clock::time_point deadline) const = 0;
    // After every wait: moves frames and bytes. Throws Error for local failures.
    virtual void service(Clock::time_point now) = 0;
    // What the connection itself proved, when that outranks libcurl's view of the
    // transfer (a refused or unanswered connection, which libcurl sees only as a socket
    // that closed). nullopt: libcurl's result stands.
    virtual std::optional<Judgement> verdict() const = 0;
    // Ends the connection once the verdict is in, one step per call (after service()):
    // true once nothing of it is left open, or its time is up.
    virtual bool close_step(Clock::time_point now) = 0;
    // The connection's own words in the verdict line and its own JSON members.
    virtual void describe(Outcome& out) const = 0;
};

// A Connection that a one-shot tool's loop drives, and closes by itself.
class Connector : public Connection {
public:
    // Ends the connection once the verdict is in: a clean close, within a bound.
    virtual void close(const SignalWatch& signals) = 0;
};

// One request and what came back. Its address is handed to libcurl's callbacks, so
// transfers live behind unique_ptr and never move.
class Transfer {
public:
    // `tool` names the User-Agent. `connector` may be null: libcurl's own socket.
    Transfer(int number, const char* tool, const HttpOptions& o, const Trace& trace, CURLM* multi,
             Clock::time_point deadline, Connection* connector);
    ~Transfer();
    Transfer(const Transfer&) = delete;
    Transfer& operator=(const Transfer&) = delete;

    CURL* easy() const { return easy_.get(); }
    int number() const { return number_; }
    bool done() const { return done_; }

    // Called once libcurl reports the transfer finished.
    Judgement finish(CURLcode code);

    std::optional<long> status() const { return status_ > 0 ? std::optional<long>(status_) : std::nullopt; }
    const std::string& reason() const { return reason_; }
    std::uint64_t bytes() const { return bytes_; }
    std::optional<double> ttfb_ms() const { return ttfb_ms_; }
    double total_ms() const { return total_ms_; }
    const std::optional<std::string>& md5() const { return md5_; }
    const std::string& remote() const { return remote_; }

private:
    void configure(const char* tool, Clock::time_point deadline);
    void configure_binding(CURL* e);
    static int on_socket(void* user, curl_socket_t fd, curlsocktype purpose);
    static size_t on_body(char* data, size_t size, size_t count, void* user);
    static size_t on_header(char* data, size_t size, size_t count, void* user);
    static int on_debug(CURL*, curl_infotype type, char* data, size_t size, void* user);

    int number_;
    const HttpOptions& options_;
    const Trace& trace_;
    CURLM* multi_;
    Connection* connector_;
    EasyHandle easy_;
    bool added_ = false;
    bool done_ = false;
    Slist headers_;
    Slist connect_to_;
    std::string bind_text_;
    std::string user_agent_;
    char errbuf_[CURL_ERROR_SIZE] = {};
    TlsAlertReader alerts_;

    std::string body_;
    std::uint64_t bytes_ = 0;
    bool too_large_ = false;
    std::unique_ptr<Md5> md5_state_ = std::make_unique<Md5>();
    std::string reason_;
    long status_ = 0;
    std::optional<double> ttfb_ms_;
    double total_ms_ = 0;
    std::optional<std::string> md5_;
    std::string remote_;
};

} // namespace vipcheck
