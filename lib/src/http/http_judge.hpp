// The HTTP checks' judgement, shared by mgmt-http-check and vip-http-check: what a
// response or a failed transfer says about the realserver. Pure functions, unit-tested.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <optional>
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

// Status first (a 500 page rarely matches anything), then --expect-body, then --digest.
Judgement judge_response(const HttpOptions& options, const HttpResponse& response);

// A status outside --expect-status, for a transfer that ended before its body did.
Judgement wrong_status(const HttpOptions& options, long status, const std::string& reason, double total_ms);

// "200 OK", or "200" when the server sent no reason.
std::string status_text(long status, const std::string& reason);

} // namespace vipcheck
