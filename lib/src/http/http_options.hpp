// mgmt-http-check's own options: what the user wrote (HttpArgs, bound to CLI11 beside
// the common set) and the checked values (HttpOptions). Everything here is a pure
// function of its input, so the parsing rules are unit-tested without a network.
#pragma once

#include <regex.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "vipcheck/options.hpp"

namespace vipcheck {

// As written on the command line or in the config file section [mgmt-http-check].
struct HttpArgs {
    std::string scheme;  // ldirectord form only: http (default) or https
    std::string port;    // ldirectord form only: overrides RPORT
    std::string path;    // ldirectord form only: default "/"
    std::string method = "GET";
    std::string expect_status = "200";
    std::string expect_body;
    std::string digest;
    std::string max_body = "1MiB";
    std::string host;
    std::vector<std::string> headers;
    std::string ca;
    std::string cert;
    std::string key;
    bool insecure = false;
    bool follow = false;
    bool print_digest = false;

    // vipcheckd keeps a target whose settings compare equal across a reload.
    bool operator==(const HttpArgs&) const = default;
};

// Whether a tool may follow a redirect. vip-http-check may not: its one connection is
// to one realserver at the VIP, and a redirect names a URL, which another connection
// (perhaps to another host) would fetch, so --follow could only pretend there.
enum class Redirects { Followable, Never };

// Adds the HTTP options to the shared CommandLine's app (--follow only if Followable).
void add_http_options(CLI::App& app, HttpArgs& args, Redirects redirects);

// A set of acceptable status codes: "200", "200,204", "200-299,304".
class StatusSet {
public:
    struct Range {
        int low;
        int high;
    };
    // Throws Error naming the bad text. Codes are 100..599.
    static StatusSet parse(std::string_view text);
    bool contains(long status) const;
    // Normalised text, e.g. "200,300-399", for messages.
    std::string str() const;
    const std::vector<Range>& ranges() const { return ranges_; }

private:
    std::vector<Range> ranges_;
};

// "1048576", "512k", "64KiB", "1M", "1MiB", "2G": binary multiples, 0 to 1 GiB.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);
std::string format_byte_size(std::uint64_t bytes);

// 32 hex digits, either case; returns lower case, as genhash prints it.
std::optional<std::string> parse_md5_hex(std::string_view text);

enum class HttpMethod { Get, Head };

// A compiled POSIX extended regular expression (regcomp), owned. POSIX rather than
// std::regex: libstdc++'s matcher recurses per character and can overflow the stack on
// a megabyte body, glibc's does not.
class BodyPattern {
public:
    explicit BodyPattern(const std::string& expression); // throws Error
    ~BodyPattern();
    BodyPattern(const BodyPattern&) = delete;
    BodyPattern& operator=(const BodyPattern&) = delete;

    // Searched anywhere in the body, which may hold NUL bytes.
    bool search(std::string_view body) const;
    const std::string& expression() const { return expression_; }

private:
    std::string expression_;
    regex_t regex_{};
};

// What is fetched and how the connection is made.
struct HttpTarget {
    std::string url;          // what curl fetches (its host is --host's name if given)
    std::string display;      // the URL as it reaches the realserver, for the verdict line
    std::string connect_to;   // CURLOPT_CONNECT_TO entry when --host is given, else empty
    std::string host_header;  // --host, else empty
    std::string host;         // the URL's host, brackets kept for IPv6
    std::uint16_t port = 0;
    bool https = false;
    std::optional<IpAddress> literal; // the URL's host if it is an address
    bool ldirectord_form = false;
};

// Reads `URL` or ldirectord's `VIP VPORT RIP RPORT` (the check then fetches
// SCHEME://RIP:PORT/PATH with --scheme, --port, --path). Throws Error.
HttpTarget parse_http_target(const std::vector<std::string>& positionals, const HttpArgs& args);

struct HttpOptions {
    HttpTarget target;
    std::string interface;
    std::optional<IpAddress> source;
    Duration timeout = std::chrono::seconds(1);
    int attempts = 3;
    OutputOptions output;

    HttpMethod method = HttpMethod::Get;
    StatusSet expect_status;
    std::unique_ptr<BodyPattern> expect_body; // null: any body
    std::optional<std::string> digest; // lower-case hex
    std::uint64_t max_body = 1 << 20;
    std::vector<std::string> headers; // "Name: value"
    std::string ca;
    std::string cert;
    std::string key;
    bool insecure = false;
    bool follow = false;
    bool print_digest = false;
};

// Checks every option, the common ones included, and reads the target. Files named by
// --ca/--cert/--key must be readable. Throws Error naming the bad input.
HttpOptions make_http_options(const CommonOptions& common, const HttpArgs& args,
                              const std::vector<std::string>& positionals);

} // namespace vipcheck
