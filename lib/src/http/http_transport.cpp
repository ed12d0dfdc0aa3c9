#include "http/http_transport.hpp"

#include <net/if.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "vipcheck/version.hpp"

namespace vipcheck {

namespace {

void append(Slist& list, const std::string& item)
{
    curl_slist* head = curl_slist_append(list.get(), item.c_str());
    if (!head)
        throw Error("out of memory building the request");
    // The head changes only when the list was empty; on failure the old list is intact.
    if (!list)
        list.reset(head);
}

std::string_view chomp(std::string_view s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

} // namespace

CurlGlobal::CurlGlobal()
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        throw Error("libcurl initialisation failed");
}

CurlGlobal::~CurlGlobal()
{
    curl_global_cleanup();
}

Transfer::Transfer(int number, const char* tool, const HttpOptions& o, const Trace& trace, CURLM* multi,
                   Clock::time_point deadline, Connection* connector)
    : number_(number), options_(o), trace_(trace), multi_(multi), connector_(connector), easy_(curl_easy_init())
{
    if (!easy_)
        throw Error("libcurl could not create a transfer");
    configure(tool, deadline);
    if (curl_multi_add_handle(multi_, easy_.get()) != CURLM_OK)
        throw Error("libcurl could not start the transfer");
    added_ = true;
}

Transfer::~Transfer()
{
    if (added_)
        curl_multi_remove_handle(multi_, easy_.get());
}

Judgement Transfer::finish(CURLcode code)
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
        return wrong_status(options_, status, reason_, total_ms_);
    if (too_large_ || code == CURLE_FILESIZE_EXCEEDED)
        return {Verdict::BodyMismatch, fmt::format("{}: body larger than --max-body {}", status_text(status, reason_),
                                                   format_byte_size(options_.max_body))};
    // After a followed redirect the scheme may differ from the URL's.
    const char* scheme = nullptr;
    curl_easy_getinfo(easy_.get(), CURLINFO_SCHEME, &scheme);
    const bool tls = scheme ? strcasecmp(scheme, "https") == 0 : options_.target.https;
    Judgement j = judge_failure(code, os_errno, tls, alerts_.error_alert(),
                                errbuf_[0] ? chomp(errbuf_) : std::string_view(curl_easy_strerror(code)));
    if (j.verdict == Verdict::Refused)
        j.detail = fmt::format("connection refused by {} port {}", remote_.empty() ? options_.target.host : remote_,
                               options_.target.port);
    else if (code == CURLE_INTERFACE_FAILED)
        j.detail = fmt::format("cannot bind to{}{}: {}",
                               options_.interface.empty() ? "" : " --interface " + options_.interface,
                               options_.source ? " --source " + options_.source->str() : "", j.detail);
    return j;
}

void Transfer::configure(const char* tool, Clock::time_point deadline)
{
    CURL* e = easy_.get();
    const HttpOptions& o = options_;
    set_curl_option(e, CURLOPT_PRIVATE, static_cast<void*>(this));
    set_curl_option(e, CURLOPT_URL, o.target.url.c_str());
    set_curl_option(e, CURLOPT_ERRORBUFFER, errbuf_);
    // A redirect or a crafted URL must not turn a health check into file:// or
    // another protocol.
    set_curl_option(e, CURLOPT_PROTOCOLS_STR, "http,https");
    set_curl_option(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    // A director's http_proxy / ALL_PROXY must never reroute health checks: the
    // realserver itself is what is being checked.
    set_curl_option(e, CURLOPT_PROXY, "");
    set_curl_option(e, CURLOPT_NOPROXY, "*");
    // Signals are blocked and read from a signalfd; libcurl must not use SIGALRM.
    set_curl_option(e, CURLOPT_NOSIGNAL, 1L);
    // Each attempt proves a fresh connection, and none is left open afterwards.
    set_curl_option(e, CURLOPT_FRESH_CONNECT, 1L);
    set_curl_option(e, CURLOPT_FORBID_REUSE, 1L);
    // keepalived's HTTP_GET and ldirectord speak HTTP/1.x; no ALPN surprise to h2.
    set_curl_option(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    user_agent_ = std::string(tool) + "/" + version_string;
    set_curl_option(e, CURLOPT_USERAGENT, user_agent_.c_str());
    set_curl_option(e, CURLOPT_TIMEOUT_MS, std::max(1L, ceil_ms(deadline - Clock::now())));
    if (o.method == HttpMethod::Head)
        set_curl_option(e, CURLOPT_NOBODY, 1L);
    if (o.follow) {
        set_curl_option(e, CURLOPT_FOLLOWLOCATION, 1L);
        set_curl_option(e, CURLOPT_MAXREDIRS, 10L);
    }
    for (const auto& h : o.headers)
        append(headers_, h);
    if (headers_)
        set_curl_option(e, CURLOPT_HTTPHEADER, headers_.get());
    if (!o.target.connect_to.empty()) {
        append(connect_to_, o.target.connect_to);
        set_curl_option(e, CURLOPT_CONNECT_TO, connect_to_.get());
    }
    // With a connector the connection is not libcurl's to bind: it only ever sees its
    // end of the connector's socket pair.
    if (connector_)
        connector_->configure(e);
    else
        configure_binding(e);
    if (o.insecure) {
        set_curl_option(e, CURLOPT_SSL_VERIFYPEER, 0L);
        set_curl_option(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!o.ca.empty())
        set_curl_option(e, CURLOPT_CAINFO, o.ca.c_str());
    if (!o.cert.empty())
        set_curl_option(e, CURLOPT_SSLCERT, o.cert.c_str());
    if (!o.key.empty())
        set_curl_option(e, CURLOPT_SSLKEY, o.key.c_str());
    // Rejects a declared Content-Length at once; the write callback bounds the rest.
    set_curl_option(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(o.max_body));
    set_curl_option(e, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
    set_curl_option(e, CURLOPT_WRITEDATA, static_cast<void*>(this));
    set_curl_option(e, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
    set_curl_option(e, CURLOPT_HEADERDATA, static_cast<void*>(this));
    // The server's TLS alerts reach us only through the debug callback, and libcurl
    // hands TLS messages to it only when verbose.
    if (trace_.enabled() || o.target.https || o.follow) {
        set_curl_option(e, CURLOPT_DEBUGFUNCTION, &Transfer::on_debug);
        set_curl_option(e, CURLOPT_DEBUGDATA, static_cast<void*>(this));
        set_curl_option(e, CURLOPT_VERBOSE, 1L);
    }
}

void Transfer::configure_binding(CURL* e)
{
    const HttpOptions& o = options_;
    if (o.source) {
        // "host!" makes libcurl take the text as an address, never as an interface.
        bind_text_ = "host!" + o.source->str();
        set_curl_option(e, CURLOPT_INTERFACE, bind_text_.c_str());
        set_curl_option(e, CURLOPT_IPRESOLVE, static_cast<long>(o.source->is_v4() ? CURL_IPRESOLVE_V4 : CURL_IPRESOLVE_V6));
        if (!o.interface.empty()) {
            // libcurl 7.88 binds to a device or an address, not both: the device
            // is bound here, before libcurl binds the address.
            set_curl_option(e, CURLOPT_SOCKOPTFUNCTION, &Transfer::on_socket);
            set_curl_option(e, CURLOPT_SOCKOPTDATA, static_cast<void*>(this));
        }
    } else if (!o.interface.empty()) {
        bind_text_ = "if!" + o.interface;
        set_curl_option(e, CURLOPT_INTERFACE, bind_text_.c_str());
    }
}

int Transfer::on_socket(void* user, curl_socket_t fd, curlsocktype purpose)
{
    auto* self = static_cast<Transfer*>(user);
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

size_t Transfer::on_body(char* data, size_t size, size_t count, void* user)
{
    auto* self = static_cast<Transfer*>(user);
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

size_t Transfer::on_header(char* data, size_t size, size_t count, void* user)
{
    auto* self = static_cast<Transfer*>(user);
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

int Transfer::on_debug(CURL*, curl_infotype type, char* data, size_t size, void* user)
{
    auto* self = static_cast<Transfer*>(user);
    if (type == CURLINFO_SSL_DATA_IN)
        self->alerts_.feed(std::span(reinterpret_cast<const std::uint8_t*>(data), size));
    if (!self->trace_.enabled())
        return 0;
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

} // namespace vipcheck
