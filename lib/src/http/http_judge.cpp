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

bool is_error_alert(TlsAlert alert)
{
    constexpr std::uint8_t close_notify = 0;
    constexpr std::uint8_t user_canceled = 90;
    return alert.description != close_notify && alert.description != user_canceled;
}

std::string_view alert_name(std::uint8_t description)
{
    switch (description) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 21: return "decryption_failed";
    case 22: return "record_overflow";
    case 30: return "decompression_failure";
    case 40: return "handshake_failure";
    case 41: return "no_certificate";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 60: return "export_restriction";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 111: return "certificate_unobtainable";
    case 112: return "unrecognized_name";
    case 113: return "bad_certificate_status_response";
    case 114: return "bad_certificate_hash_value";
    case 115: return "unknown_psk_identity";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    default: return "unknown";
    }
}

void TlsAlertReader::feed(std::span<const std::uint8_t> message)
{
    constexpr std::uint8_t alert = 21;
    constexpr std::uint8_t application_data = 23;
    constexpr std::uint8_t tls_major_version = 3;
    if (message.size() == 5 && message[1] == tls_major_version) {
        content_type_ = message[0];
    } else if (message.size() == 1 && content_type_ == application_data) {
        content_type_ = message[0];
    } else if (message.size() == 2 && content_type_ == alert) {
        const TlsAlert a{message[0], message[1]};
        if (!error_alert_ && is_error_alert(a))
            error_alert_ = a;
    }
}

Judgement judge_failure(CURLcode code, long os_errno, bool tls, const std::optional<TlsAlert>& server_alert,
                        std::string_view libcurl_message)
{
    if (server_alert && is_error_alert(*server_alert))
        return {Verdict::TlsError, fmt::format("the server sent the TLS alert {} ({})",
                                               alert_name(server_alert->description), server_alert->description)};
    return {classify_transfer(code, os_errno, tls), std::string(libcurl_message)};
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
