#include "http/http_judge.hpp"

#include <fmt/format.h>

#include <cerrno>

namespace vipcheck {

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

std::string status_text(long status, const std::string& reason)
{
    return reason.empty() ? fmt::format("{}", status) : fmt::format("{} {}", status, reason);
}

namespace {

std::string response_summary(const HttpResponse& r)
{
    return fmt::format("{}, {} byte{} in {:.2f} ms", status_text(r.status, r.reason), r.bytes, r.bytes == 1 ? "" : "s",
                       r.total_ms);
}

} // namespace

Judgement wrong_status(const HttpOptions& o, long status, const std::string& reason, double total_ms)
{
    return {Verdict::HttpStatus,
            fmt::format("{} in {:.2f} ms, expected status {}", status_text(status, reason), total_ms, o.expect_status.str())};
}

Judgement judge_response(const HttpOptions& o, const HttpResponse& r)
{
    if (!o.expect_status.contains(r.status))
        return wrong_status(o, r.status, r.reason, r.total_ms);
    if (o.expect_body && !o.expect_body->search(r.body))
        return {Verdict::BodyMismatch,
                fmt::format("{}: body does not match /{}/", response_summary(r), o.expect_body->expression())};
    if (o.digest && r.md5 != o.digest)
        return {Verdict::DigestMismatch,
                fmt::format("{}: body MD5 {}, expected {}", response_summary(r), r.md5.value_or("none"), *o.digest)};
    return {Verdict::Up, response_summary(r)};
}

} // namespace vipcheck
