// mgmt-http-check: one HTTP(S) request to the realserver's management address through
// libcurl's multi interface, so that the wait also watches the SignalWatch fd and the
// whole --timeout is one deadline. Lives in the separate vipcheck-http library so that
// the VIP probes never load libcurl.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vipcheck/cli.hpp"
#include "vipcheck/http_options.hpp"
#include "vipcheck/report.hpp"
#include "vipcheck/signals.hpp"
#include "vipcheck/trace.hpp"

namespace vipcheck {

// What a transfer that did not complete (code != CURLE_OK) says about the realserver.
// os_errno is CURLINFO_OS_ERRNO: it tells a refused connection from an unreachable one;
// tls says the connection was HTTPS. A body over --max-body is decided by the caller,
// who knows it aborted the transfer.
Verdict classify_transfer(CURLcode code, long os_errno, bool tls);

// MD5 as lower-case hex, through OpenSSL's EVP interface; keepalived's genhash and
// HTTP_GET digest are the MD5 of the body as received (no content decoding).
class Md5 {
public:
    Md5();
    ~Md5();
    Md5(const Md5&) = delete;
    Md5& operator=(const Md5&) = delete;
    void update(std::string_view data);
    std::string hex(); // ends the digest
    static std::string of(std::string_view data);

private:
    void* ctx_; // EVP_MD_CTX, kept out of this header
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

// Status first (a 500 page rarely matches anything), then --expect-body, then --digest.
Judgement judge_response(const HttpOptions& options, const HttpResponse& response);

struct HttpResult {
    Outcome outcome;
    std::optional<std::string> md5; // of the body that decided the verdict, if complete
};

// Runs --attempts requests within --timeout. Throws Error for local problems and when a
// signal arrives.
// options.timeout counts from `origin`, as for run_probe (engine.hpp).
HttpResult run_http_check(const HttpOptions& options, const SignalWatch& signals, const Trace& trace,
                          std::chrono::steady_clock::time_point origin = std::chrono::steady_clock::now());

// The whole of mgmt-http-check's main().
// mgmt-http-check's command line: its synopsis and the options it accepts.
CommandSpec mgmt_http_command();
int mgmt_http_main(int argc, const char* const* argv);

} // namespace vipcheck
