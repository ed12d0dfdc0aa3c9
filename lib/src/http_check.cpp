#include "vipcheck/http_check.hpp"

#include <fmt/format.h>
#include <net/if.h>
#include <openssl/evp.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "vipcheck/cli.hpp"
#include "vipcheck/deadline.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/version.hpp"

namespace vipcheck {

// ---------------------------------------------------------------------------
// pure parts

Verdict classify_transfer(CURLcode code, long os_errno, bool tls)
{
    switch (code) {
    case CURLE_OK:
        return Verdict::Up;
    case CURLE_COULDNT_CONNECT:
        switch (os_errno) {
        case ECONNREFUSED:
            return Verdict::Refused;
        // Our own side cannot even try: no route, a --source that is not ours, a
        // --interface we may not bind to.
        case ENETUNREACH:
        case EADDRNOTAVAIL:
        case EACCES:
        case EPERM:
        case ENODEV:
            return Verdict::Error;
        default:
            // EHOSTUNREACH (no ARP answer, ICMP unreachable), ETIMEDOUT: nobody answered.
            return Verdict::NoReply;
        }
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        // Without a socket error the TLS layer failed: in TLS 1.3 a server that
        // rejects our client certificate says so only after the handshake.
        return tls && os_errno == 0 ? Verdict::TlsError : Verdict::NoReply;
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:   // accepted, then closed without a response
    case CURLE_PARTIAL_FILE:  // the body stopped short of its Content-Length
        return Verdict::NoReply;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP_RETURNED_ERROR:
    case CURLE_RANGE_ERROR:
        return Verdict::HttpStatus;
    case CURLE_FILESIZE_EXCEEDED:
        return Verdict::BodyMismatch;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
        return Verdict::TlsError;
    default:
        // Bad URL, unusable --ca/--cert/--key, unresolvable name, unbindable interface,
        // out of memory, unsupported protocol: all on this side.
        return Verdict::Error;
    }
}

Md5::Md5() : ctx_(EVP_MD_CTX_new())
{
    if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_md5(), nullptr) != 1) {
        EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
        // MD5 is missing only under an OpenSSL FIPS configuration.
        throw Error("OpenSSL refuses MD5 (FIPS mode?): cannot compute the body digest");
    }
}

Md5::~Md5()
{
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Md5::update(std::string_view data)
{
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

std::string Md5::hex()
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), digest, &size);
    std::string out;
    for (unsigned i = 0; i < size; ++i)
        out += fmt::format("{:02x}", digest[i]);
    return out;
}

std::string Md5::of(std::string_view data)
{
    Md5 md5;
    md5.update(data);
    return md5.hex();
}

namespace {

std::string status_text(long status, const std::string& reason)
{
    return reason.empty() ? fmt::format("{}", status) : fmt::format("{} {}", status, reason);
}

std::string response_summary(const HttpResponse& r)
{
    return fmt::format("{}, {} byte{} in {:.2f} ms", status_text(r.status, r.reason), r.bytes, r.bytes == 1 ? "" : "s",
                       r.total_ms);
}

} // namespace

Judgement judge_response(const HttpOptions& o, const HttpResponse& r)
{
    if (!o.expect_status.contains(r.status))
        return {Verdict::HttpStatus, fmt::format("{} in {:.2f} ms, expected status {}", status_text(r.status, r.reason),
                                                 r.total_ms, o.expect_status.str())};
    if (o.expect_body && !o.expect_body->search(r.body))
        return {Verdict::BodyMismatch,
                fmt::format("{}: body does not match /{}/", response_summary(r), o.expect_body->expression())};
    if (o.digest && r.md5 != o.digest)
        return {Verdict::DigestMismatch,
                fmt::format("{}: body MD5 {}, expected {}", response_summary(r), r.md5.value_or("none"), *o.digest)};
    return {Verdict::Up, response_summary(r)};
}

// ---------------------------------------------------------------------------
// libcurl handles

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d)
{
    return std::chrono::duration<double, std::milli>(d).count();
}

long ceil_ms(Clock::duration d)
{
    if (d <= Clock::duration::zero())
        return 0;
    return static_cast<long>(std::chrono::ceil<std::chrono::milliseconds>(d).count());
}

struct EasyDeleter {
    void operator()(CURL* e) const { curl_easy_cleanup(e); }
};
struct MultiDeleter {
    void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void append(Slist& list, const std::string& item)
{
    curl_slist* head = curl_slist_append(list.get(), item.c_str());
    if (!head)
        throw Error("out of memory building the request");
    // The head changes only when the list was empty; on failure the old list is intact.
    if (!list)
        list.reset(head);
}

template <typename T>
void set(CURL* easy, CURLoption option, T value)
{
    if (const CURLcode rc = curl_easy_setopt(easy, option, value); rc != CURLE_OK)
        throw Error(fmt::format("libcurl rejected option {}: {}", static_cast<int>(option), curl_easy_strerror(rc)));
}

class CurlGlobal {
public:
    CurlGlobal()
    {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw Error("libcurl initialisation failed");
    }
    ~CurlGlobal() { curl_global_cleanup(); }
    CurlGlobal(const CurlGlobal&) = delete;
    CurlGlobal& operator=(const CurlGlobal&) = delete;
};

std::string_view chomp(std::string_view s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// One request and what came back. Its address is handed to libcurl's callbacks, so
// attempts live behind unique_ptr and never move.
class Attempt {
public:
    Attempt(int number, const HttpOptions& o, const Trace& trace, CURLM* multi, Clock::time_point deadline)
        : number_(number), options_(o), trace_(trace), multi_(multi), easy_(curl_easy_init())
    {
        if (!easy_)
            throw Error("libcurl could not create a transfer");
        configure(deadline);
        if (curl_multi_add_handle(multi_, easy_.get()) != CURLM_OK)
            throw Error("libcurl could not start the transfer");
        added_ = true;
    }
    ~Attempt()
    {
        if (added_)
            curl_multi_remove_handle(multi_, easy_.get());
    }
    Attempt(const Attempt&) = delete;
    Attempt& operator=(const Attempt&) = delete;

    CURL* easy() const { return easy_.get(); }
    int number() const { return number_; }
    bool done() const { return done_; }

    // Called once libcurl reports the transfer finished.
    Judgement finish(CURLcode code)
    {
        done_ = true;
        curl_multi_remove_handle(multi_, easy_.get());
        added_ = false;

        long status = 0;
        long os_errno = 0;
        curl_off_t ttfb_us = 0;
        curl_off_t total_us = 0;
        const char* ip = nullptr;
        curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(easy_.get(), CURLINFO_OS_ERRNO, &os_errno);
        curl_easy_getinfo(easy_.get(), CURLINFO_STARTTRANSFER_TIME_T, &ttfb_us);
        curl_easy_getinfo(easy_.get(), CURLINFO_TOTAL_TIME_T, &total_us);
        curl_easy_getinfo(easy_.get(), CURLINFO_PRIMARY_IP, &ip);
        status_ = status;
        remote_ = ip ? ip : "";
        if (status > 0)
            ttfb_ms_ = static_cast<double>(ttfb_us) / 1000.0;
        total_ms_ = static_cast<double>(total_us) / 1000.0;

        trace_.step("result", "attempt {}: {} ({}), status {}, {} bytes in {:.2f} ms", number_, static_cast<int>(code),
                    curl_easy_strerror(code), status, bytes_, total_ms_);
        if (code == CURLE_OK) {
            HttpResponse r;
            r.status = status;
            r.reason = reason_;
            r.bytes = bytes_;
            r.body = body_;
            if (options_.method == HttpMethod::Get)
                r.md5 = md5_ = md5_state_->hex();
            r.total_ms = total_ms_;
            return judge_response(options_, r);
        }
        // A wrong status says more than a body we stopped reading.
        if (status > 0 && !options_.expect_status.contains(status))
            return {Verdict::HttpStatus, fmt::format("{} in {:.2f} ms, expected status {}", status_text(status, reason_),
                                                     total_ms_, options_.expect_status.str())};
        if (too_large_ || code == CURLE_FILESIZE_EXCEEDED)
            return {Verdict::BodyMismatch, fmt::format("{}: body larger than --max-body {}", status_text(status, reason_),
                                                       format_byte_size(options_.max_body))};
        // After a followed redirect the scheme may differ from the URL's.
        const char* scheme = nullptr;
        curl_easy_getinfo(easy_.get(), CURLINFO_SCHEME, &scheme);
        const bool tls = scheme ? strcasecmp(scheme, "https") == 0 : options_.target.https;
        const Verdict v = classify_transfer(code, os_errno, tls);
        std::string why = errbuf_[0] ? std::string(chomp(errbuf_)) : curl_easy_strerror(code);
        if (v == Verdict::Refused)
            why = fmt::format("connection refused by {} port {}", remote_.empty() ? options_.target.host : remote_,
                              options_.target.port);
        else if (code == CURLE_INTERFACE_FAILED)
            why = fmt::format("cannot bind to{}{}: {}", options_.interface.empty() ? "" : " --interface " + options_.interface,
                              options_.source ? " --source " + options_.source->str() : "", why);
        return {v, why};
    }

    std::optional<long> status() const { return status_ > 0 ? std::optional<long>(status_) : std::nullopt; }
    const std::string& reason() const { return reason_; }
    std::uint64_t bytes() const { return bytes_; }
    std::optional<double> ttfb_ms() const { return ttfb_ms_; }
    double total_ms() const { return total_ms_; }
    const std::optional<std::string>& md5() const { return md5_; }
    const std::string& remote() const { return remote_; }

private:
    void configure(Clock::time_point deadline)
    {
        CURL* e = easy_.get();
        const HttpOptions& o = options_;
        set(e, CURLOPT_PRIVATE, static_cast<void*>(this));
        set(e, CURLOPT_URL, o.target.url.c_str());
        set(e, CURLOPT_ERRORBUFFER, errbuf_);
        // A redirect or a crafted URL must not turn a health check into file:// or
        // another protocol.
        set(e, CURLOPT_PROTOCOLS_STR, "http,https");
        set(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        // A director's http_proxy / ALL_PROXY must never reroute health checks: the
        // realserver itself is what is being checked.
        set(e, CURLOPT_PROXY, "");
        set(e, CURLOPT_NOPROXY, "*");
        // Signals are blocked and read from a signalfd; libcurl must not use SIGALRM.
        set(e, CURLOPT_NOSIGNAL, 1L);
        // Each attempt proves a fresh connection, and none is left open afterwards.
        set(e, CURLOPT_FRESH_CONNECT, 1L);
        set(e, CURLOPT_FORBID_REUSE, 1L);
        // keepalived's HTTP_GET and ldirectord speak HTTP/1.x; no ALPN surprise to h2.
        set(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
        set(e, CURLOPT_USERAGENT, (std::string("mgmt-http-check/") + version_string).c_str());
        set(e, CURLOPT_TIMEOUT_MS, std::max(1L, ceil_ms(deadline - Clock::now())));
        if (o.method == HttpMethod::Head)
            set(e, CURLOPT_NOBODY, 1L);
        if (o.follow) {
            set(e, CURLOPT_FOLLOWLOCATION, 1L);
            set(e, CURLOPT_MAXREDIRS, 10L);
        }
        for (const auto& h : o.headers)
            append(headers_, h);
        if (headers_)
            set(e, CURLOPT_HTTPHEADER, headers_.get());
        if (!o.target.connect_to.empty()) {
            append(connect_to_, o.target.connect_to);
            set(e, CURLOPT_CONNECT_TO, connect_to_.get());
        }
        configure_binding(e);
        if (o.insecure) {
            set(e, CURLOPT_SSL_VERIFYPEER, 0L);
            set(e, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (!o.ca.empty())
            set(e, CURLOPT_CAINFO, o.ca.c_str());
        if (!o.cert.empty())
            set(e, CURLOPT_SSLCERT, o.cert.c_str());
        if (!o.key.empty())
            set(e, CURLOPT_SSLKEY, o.key.c_str());
        // Rejects a declared Content-Length at once; the write callback bounds the rest.
        set(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(o.max_body));
        set(e, CURLOPT_WRITEFUNCTION, &Attempt::on_body);
        set(e, CURLOPT_WRITEDATA, static_cast<void*>(this));
        set(e, CURLOPT_HEADERFUNCTION, &Attempt::on_header);
        set(e, CURLOPT_HEADERDATA, static_cast<void*>(this));
        if (trace_.enabled()) {
            set(e, CURLOPT_DEBUGFUNCTION, &Attempt::on_debug);
            set(e, CURLOPT_DEBUGDATA, static_cast<void*>(this));
            set(e, CURLOPT_VERBOSE, 1L);
        }
    }

    void configure_binding(CURL* e)
    {
        const HttpOptions& o = options_;
        if (o.source) {
            // "host!" makes libcurl take the text as an address, never as an interface.
            bind_text_ = "host!" + o.source->str();
            set(e, CURLOPT_INTERFACE, bind_text_.c_str());
            set(e, CURLOPT_IPRESOLVE, static_cast<long>(o.source->is_v4() ? CURL_IPRESOLVE_V4 : CURL_IPRESOLVE_V6));
            if (!o.interface.empty()) {
                // libcurl 7.88 binds to a device or an address, not both: the device
                // is bound here, before libcurl binds the address.
                set(e, CURLOPT_SOCKOPTFUNCTION, &Attempt::on_socket);
                set(e, CURLOPT_SOCKOPTDATA, static_cast<void*>(this));
            }
        } else if (!o.interface.empty()) {
            bind_text_ = "if!" + o.interface;
            set(e, CURLOPT_INTERFACE, bind_text_.c_str());
        }
    }

    static int on_socket(void* user, curl_socket_t fd, curlsocktype purpose)
    {
        auto* self = static_cast<Attempt*>(user);
        if (purpose != CURLSOCKTYPE_IPCXN)
            return CURL_SOCKOPT_OK;
        const std::string& name = self->options_.interface;
        if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name.c_str(), static_cast<socklen_t>(name.size())) != 0) {
            self->trace_.step("bind", "SO_BINDTODEVICE {}: {}", name, std::strerror(errno));
            std::snprintf(self->errbuf_, sizeof self->errbuf_, "cannot bind to interface %s: %s", name.c_str(),
                          std::strerror(errno));
            return CURL_SOCKOPT_ERROR;
        }
        return CURL_SOCKOPT_OK;
    }

    static size_t on_body(char* data, size_t size, size_t count, void* user)
    {
        auto* self = static_cast<Attempt*>(user);
        const std::size_t n = size * count;
        // Returning short aborts the transfer: memory stays bounded by --max-body
        // whatever the server sends, chunked or not.
        if (n > self->options_.max_body - self->bytes_) {
            self->too_large_ = true;
            return 0;
        }
        self->bytes_ += n;
        const std::string_view chunk(data, n);
        self->md5_state_->update(chunk);
        if (self->options_.expect_body)
            self->body_.append(chunk);
        return n;
    }

    static size_t on_header(char* data, size_t size, size_t count, void* user)
    {
        auto* self = static_cast<Attempt*>(user);
        const std::size_t n = size * count;
        const std::string_view line = chomp(std::string_view(data, n));
        // Each status line (after a 100 Continue or a followed redirect) replaces the
        // last, so the reason belongs to the final response.
        if (line.substr(0, 5) == "HTTP/") {
            const auto code_at = line.find(' ');
            const auto reason_at = code_at == std::string_view::npos ? code_at : line.find(' ', code_at + 1);
            self->reason_ = reason_at == std::string_view::npos ? "" : std::string(line.substr(reason_at + 1));
            // A body from an earlier response of a followed redirect is not the body.
            self->bytes_ = 0;
            self->body_.clear();
            self->md5_state_ = std::make_unique<Md5>();
        }
        return n;
    }

    static int on_debug(CURL*, curl_infotype type, char* data, size_t size, void* user)
    {
        auto* self = static_cast<Attempt*>(user);
        const char* stage = type == CURLINFO_TEXT ? "curl" : type == CURLINFO_HEADER_OUT ? "send" : "recv";
        if (type != CURLINFO_TEXT && type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN)
            return 0;
        std::string_view text(data, size);
        while (!text.empty()) {
            const auto eol = text.find('\n');
            const std::string_view line = chomp(text.substr(0, eol));
            if (!line.empty())
                self->trace_.step(stage, "#{} {}", self->number_, line);
            if (eol == std::string_view::npos)
                break;
            text.remove_prefix(eol + 1);
        }
        return 0;
    }

    int number_;
    const HttpOptions& options_;
    const Trace& trace_;
    CURLM* multi_;
    EasyHandle easy_;
    bool added_ = false;
    bool done_ = false;
    Slist headers_;
    Slist connect_to_;
    std::string bind_text_;
    char errbuf_[CURL_ERROR_SIZE] = {};

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

[[noreturn]] void interrupted(int signo)
{
    throw Error(fmt::format("interrupted by {} before a verdict",
                            sigabbrev_np(signo) ? sigabbrev_np(signo) : "a signal"));
}

// A failure that got an answer from the realserver says more than a timeout.
bool answered(Verdict v)
{
    return v != Verdict::NoReply;
}

} // namespace

// ---------------------------------------------------------------------------
// the run

HttpResult run_http_check(const HttpOptions& o, const SignalWatch& signals, const Trace& trace,
                          Clock::time_point start)
{
    const Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(o.timeout);
    const auto interval = std::chrono::duration_cast<Clock::duration>(o.timeout) / o.attempts;
    if (auto signo = signals.pending())
        interrupted(*signo);

    MultiHandle multi(curl_multi_init());
    if (!multi)
        throw Error("libcurl could not create a multi handle");
    // Declared after `multi`, so every transfer leaves it before it is cleaned up.
    std::vector<std::unique_ptr<Attempt>> attempts;
    Attempt* decided = nullptr;      // the attempt whose result is reported
    std::optional<Judgement> verdict;

    trace.step("target", "{} {}{}, deadline {}, {} attempt{}", o.method == HttpMethod::Head ? "HEAD" : "GET",
               o.target.url, o.target.connect_to.empty() ? "" : " connecting to " + o.target.connect_to,
               format_duration(o.timeout), o.attempts, o.attempts == 1 ? "" : "s");

    for (;;) {
        Clock::time_point now = Clock::now();
        // Attempts are spread over the deadline but may overlap: a lost SYN is retried
        // well before TCP would, and a slow answer to an early attempt still counts.
        if (static_cast<int>(attempts.size()) < o.attempts &&
            now >= start + interval * static_cast<int>(attempts.size())) {
            const int number = static_cast<int>(attempts.size()) + 1;
            trace.step("attempt", "{} of {}", number, o.attempts);
            attempts.push_back(std::make_unique<Attempt>(number, o, trace, multi.get(), deadline));
        }
        int running = 0;
        if (const CURLMcode rc = curl_multi_perform(multi.get(), &running); rc != CURLM_OK)
            throw Error(fmt::format("libcurl: {}", curl_multi_strerror(rc)));
        int queued = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            void* priv = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            auto* attempt = static_cast<Attempt*>(priv);
            const CURLcode code = msg->data.result;
            // `msg` is invalid once the handle leaves the multi handle in finish().
            Judgement j = attempt->finish(code);
            trace.step("verdict", "attempt {}: {} {}", attempt->number(), token(j.verdict), j.detail);
            if (j.verdict == Verdict::Up || j.verdict == Verdict::Error || !verdict || answered(j.verdict) ||
                !answered(verdict->verdict)) {
                verdict = std::move(j);
                decided = attempt;
            }
            if (verdict->verdict == Verdict::Up || verdict->verdict == Verdict::Error)
                break;
        }
        if (verdict && (verdict->verdict == Verdict::Up || verdict->verdict == Verdict::Error))
            break;
        now = Clock::now();
        if (now >= deadline)
            break;
        const bool more = static_cast<int>(attempts.size()) < o.attempts;
        if (!more && std::all_of(attempts.begin(), attempts.end(), [](const auto& a) { return a->done(); }))
            break;
        Clock::time_point wake = deadline;
        if (more)
            wake = std::min(wake, start + interval * static_cast<int>(attempts.size()));
        curl_waitfd extra{signals.fd(), CURL_WAIT_POLLIN, 0};
        // curl_multi_poll also wakes for libcurl's own timers and sockets.
        if (const CURLMcode rc = curl_multi_poll(multi.get(), &extra, 1, static_cast<int>(ceil_ms(wake - now)), nullptr);
            rc != CURLM_OK)
            throw Error(fmt::format("libcurl: {}", curl_multi_strerror(rc)));
        if (extra.revents)
            if (auto signo = signals.pending())
                interrupted(*signo);
    }

    HttpResult result;
    Outcome& out = result.outcome;
    out.elapsed_ms = ms(Clock::now() - start);
    out.subject = o.target.display;
    if (!o.target.host_header.empty())
        out.subject += fmt::format(" [Host: {}]", o.target.host_header);
    if (verdict) {
        out.verdict = verdict->verdict;
        out.detail = verdict->detail;
    } else {
        out.verdict = Verdict::NoReply;
        out.detail = fmt::format("no reply within {} ({} attempt{})", format_duration(o.timeout), attempts.size(),
                                 attempts.size() == 1 ? "" : "s");
    }
    Field status{"status", nullptr}, reason{"reason", nullptr}, bytes{"bytes", nullptr}, ttfb{"ttfb_ms", nullptr},
        total{"total_ms", nullptr}, md5{"md5", nullptr}, remote{"remote", nullptr}, host{"host", nullptr};
    if (!o.target.host_header.empty())
        host.value = o.target.host_header;
    if (decided) {
        if (decided->status()) {
            status.value = std::int64_t{*decided->status()};
            reason.value = decided->reason();
            bytes.value = static_cast<std::int64_t>(decided->bytes());
            out.rtt_ms = decided->total_ms();
        }
        if (decided->ttfb_ms())
            ttfb.value = *decided->ttfb_ms();
        total.value = decided->total_ms();
        if (decided->md5()) {
            md5.value = *decided->md5();
            result.md5 = decided->md5();
        }
        if (!decided->remote().empty())
            remote.value = decided->remote();
    }
    out.fields = {
        {"url", o.target.display},
        host,
        remote,
        status,
        reason,
        bytes,
        ttfb,
        total,
        md5,
        {"attempts", static_cast<std::int64_t>(attempts.size())},
    };
    return result;
}

// ---------------------------------------------------------------------------
// main

CommandSpec mgmt_http_command()
{
    return {"mgmt-http-check",
            "Check the application at a realserver's management address over HTTP or HTTPS.",
            {"URL", "VIP VPORT RIP RPORT      (ldirectord's form: fetches from RIP, see --scheme, --port, --path)"},
            {.attempts = true}};
}

int mgmt_http_main(int argc, const char* const* argv)
{
    static constexpr const char* tool = "mgmt-http-check";
    std::unique_ptr<SignalWatch> signals;
    try {
        // First of all, so that a SIGTERM during start-up is read, not fatal.
        signals = std::make_unique<SignalWatch>();
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}: {}\n", tool, e.what());
        return 1;
    }
    CommandLine cli(mgmt_http_command());
    HttpArgs args;
    add_http_options(cli.app(), args);
    if (auto status = cli.parse(argc, argv))
        return *status;

    OutputOptions output = cli.common().output;
    // --print-digest owns stdout: the verdict line moves to stderr.
    const bool print_digest = args.print_digest;
    if (print_digest)
        output.quiet = true;
    const Reporter report(tool, output);
    try {
        const HttpOptions options = make_http_options(cli.common(), args, cli.positionals());
        const CurlGlobal curl;
        const Trace trace(tool, options.output.verbose);
        const HttpResult result = run_http_check(options, *signals, trace, process_deadline_origin(options.timeout));
        if (print_digest) {
            if (result.md5)
                fmt::print("{}\n", *result.md5);
            if (result.outcome.verdict != Verdict::Error)
                fmt::print(stderr, "{}\n", format_line(result.outcome));
        }
        return report.emit(result.outcome);
    } catch (const std::exception& e) {
        return report.emit_error(e.what());
    }
}

} // namespace vipcheck
