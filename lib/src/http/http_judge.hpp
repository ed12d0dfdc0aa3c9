// The HTTP checks' judgement, shared by mgmt-http-check and vip-http-check: what a
// response or a failed transfer says about the realserver. Pure functions, unit-tested.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/http_options.hpp"
#include "vipcheck/verdict.hpp"

namespace vipcheck {

// What a transfer that did not complete (code != CURLE_OK) says about the realserver.
// os_errno is CURLINFO_OS_ERRNO: it tells a refused connection from an unreachable one;
// tls says the connection was HTTPS. A body over --max-body is decided by the caller,
// who knows it aborted the transfer.
Verdict classify_transfer(CURLcode code, long os_errno, bool tls);

// A TLS alert (RFC 8446 section 6): its level and description bytes.
struct TlsAlert {
    std::uint8_t level = 0;
    std::uint8_t description = 0;
};

// close_notify and user_canceled end a connection; every other alert reports an error,
// whatever its level says (RFC 8446 section 6: the level "can be safely ignored").
bool is_error_alert(TlsAlert alert);

// The RFC's name of an alert description ("certificate_required"); "unknown" otherwise.
std::string_view alert_name(std::uint8_t description);

// Picks the server's alerts out of what TLS received, as libcurl's debug callback
// hands it over (CURLINFO_SSL_DATA_IN, one call per message OpenSSL's message callback
// sees): each record header (5 bytes), in TLS 1.3 the decrypted record's inner content
// type (1 byte), then the record's messages; an alert is the 2-byte message of a record
// of type alert (21). This sees an alert that OpenSSL read only when libcurl closed the
// connection, after libcurl had already failed on something else.
class TlsAlertReader {
public:
    void feed(std::span<const std::uint8_t> message);
    // The first error alert the server sent, if any.
    const std::optional<TlsAlert>& error_alert() const { return error_alert_; }

private:
    std::uint8_t content_type_ = 0; // of the record whose messages come next
    std::optional<TlsAlert> error_alert_;
};

// A completed response, as the checks see it.
struct HttpResponse {
    long status = 0;
    std::string reason;                 // "OK"; empty when the server sent none
    std::uint64_t bytes = 0;
    std::string_view body;              // held only when --expect-body needs it
    std::optional<std::string> md5;     // absent for HEAD
    double total_ms = 0;
};

struct Judgement {
    Verdict verdict;
    std::string detail;
};

// What a transfer that did not complete says, given what libcurl reported and any
// error alert the server sent. An alert is the server's own word and outranks libcurl's
// first failure: a server that refuses our client certificate (TLS 1.3 says so only
// after the handshake) and resets, as OpenSSL servers do, leaves the alert unread if
// the request goes out after the reset, and libcurl then fails on the send.
// libcurl_message is CURLOPT_ERRORBUFFER's text (or curl_easy_strerror's).
Judgement judge_failure(CURLcode code, long os_errno, bool tls, const std::optional<TlsAlert>& server_alert,
                        std::string_view libcurl_message);

// Status first (a 500 page rarely matches anything), then --expect-body, then --digest.
Judgement judge_response(const HttpOptions& options, const HttpResponse& response);

// A status outside --expect-status, for a transfer that ended before its body did.
Judgement wrong_status(const HttpOptions& options, long status, const std::string& reason, double total_ms);

// "200 OK", or "200" when the server sent no reason.
std::string status_text(long status, const std::string& reason);

} // namespace vipcheck
