#include "http/http_options.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

#include "vipcheck/error.hpp"

namespace vipcheck {

void add_http_options(CLI::App& app, HttpArgs& a, Redirects redirects)
{
    app.add_option("--scheme", a.scheme, "VIP VPORT RIP RPORT form: fetch http (default) or https from RIP");
    app.add_option("--port", a.port, "VIP VPORT RIP RPORT form: the port at RIP (default RPORT)");
    app.add_option("--path", a.path, "VIP VPORT RIP RPORT form: the path at RIP (default /)");
    app.add_option("--method", a.method, "GET or HEAD")->capture_default_str();
    app.add_option("--expect-status", a.expect_status, "Acceptable status codes and ranges, e.g. 200,204,300-399")
        ->capture_default_str();
    app.add_option("--expect-body", a.expect_body, "POSIX extended regex the body must contain");
    app.add_option("--digest", a.digest, "MD5 of the body in hex, as keepalived's genhash prints it");
    app.add_option("--max-body", a.max_body, "A larger body fails the check, e.g. 64k, 1MiB")->capture_default_str();
    app.add_option("--host", a.host, "Host header and TLS server name; the connection still goes to the URL's host");
    // One word per -H, so that a URL after it stays a positional argument.
    app.add_option("-H,--header", a.headers, "Extra request header 'Name: value' (repeatable)")->allow_extra_args(false);
    app.add_option("--ca", a.ca, "Verify the server against this CA file instead of the system store");
    app.add_option("--cert", a.cert, "Client certificate (PEM)");
    app.add_option("--key", a.key, "Client certificate's private key (PEM)");
    app.add_flag("-k,--insecure", a.insecure, "Do not verify the server certificate");
    if (redirects == Redirects::Followable)
        app.add_flag("-L,--follow", a.follow, "Follow redirects (http and https only, at most 10)");
    app.add_flag("--print-digest", a.print_digest, "Print the MD5 of the fetched body (genhash's job)");
}

// ---------------------------------------------------------------------------
// status codes

namespace {

std::string_view trim(std::string_view s)
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

std::optional<int> parse_status_code(std::string_view text)
{
    text = trim(text);
    int value = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.size() != 3 || ec != std::errc() || p != text.data() + text.size() || value < 100 || value > 599)
        return std::nullopt;
    return value;
}

} // namespace

StatusSet StatusSet::parse(std::string_view text)
{
    StatusSet set;
    std::string_view rest = text;
    for (;;) {
        const auto comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        const auto dash = item.find('-');
        const auto low = parse_status_code(item.substr(0, dash));
        const auto high = dash == std::string_view::npos ? low : parse_status_code(item.substr(dash + 1));
        if (!low || !high || *high < *low)
            throw Error(fmt::format("bad --expect-status '{}' at '{}': expected status codes 100-599 and ranges "
                                    "like 200,204,300-399",
                                    text, trim(item)));
        set.ranges_.push_back({*low, *high});
        if (comma == std::string_view::npos)
            break;
        rest.remove_prefix(comma + 1);
    }
    return set;
}

bool StatusSet::contains(long status) const
{
    return std::any_of(ranges_.begin(), ranges_.end(),
                       [status](const Range& r) { return status >= r.low && status <= r.high; });
}

std::string StatusSet::str() const
{
    std::string out;
    for (const auto& r : ranges_) {
        if (!out.empty())
            out += ',';
        out += r.low == r.high ? fmt::format("{}", r.low) : fmt::format("{}-{}", r.low, r.high);
    }
    return out;
}

// ---------------------------------------------------------------------------
// sizes, digests, patterns

std::optional<std::uint64_t> parse_byte_size(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
        ++i;
    if (i == 0 || i > 12)
        return std::nullopt;
    std::uint64_t value = 0;
    std::from_chars(text.data(), text.data() + i, value);
    std::string unit(text.substr(i));
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
    std::uint64_t scale;
    if (unit.empty() || unit == "b")
        scale = 1;
    else if (unit == "k" || unit == "kb" || unit == "kib")
        scale = 1ULL << 10;
    else if (unit == "m" || unit == "mb" || unit == "mib")
        scale = 1ULL << 20;
    else if (unit == "g" || unit == "gb" || unit == "gib")
        scale = 1ULL << 30;
    else
        return std::nullopt;
    // The body is held in memory for --expect-body: a bound past a gigabyte is a typo.
    if (value > (1ULL << 30) / scale)
        return std::nullopt;
    return value * scale;
}

std::string format_byte_size(std::uint64_t bytes)
{
    if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0)
        return fmt::format("{} GiB", bytes >> 30);
    if (bytes >= (1ULL << 20) && bytes % (1ULL << 20) == 0)
        return fmt::format("{} MiB", bytes >> 20);
    if (bytes >= (1ULL << 10) && bytes % (1ULL << 10) == 0)
        return fmt::format("{} KiB", bytes >> 10);
    return fmt::format("{} bytes", bytes);
}

std::optional<std::string> parse_md5_hex(std::string_view text)
{
    if (text.size() != 32)
        return std::nullopt;
    std::string out;
    for (char c : text) {
        if (!std::isxdigit(static_cast<unsigned char>(c)))
            return std::nullopt;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

BodyPattern::BodyPattern(const std::string& expression) : expression_(expression)
{
    // REG_NEWLINE: '^'/'$' match at line ends and '.' stays on one line, as an operator
    // writing "^OK$" against a status page expects.
    const int rc = regcomp(&regex_, expression.c_str(), REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
    if (rc != 0) {
        char why[256];
        regerror(rc, &regex_, why, sizeof why);
        regfree(&regex_);
        throw Error(fmt::format("bad --expect-body '{}': {}", expression, why));
    }
}

BodyPattern::~BodyPattern()
{
    regfree(&regex_);
}

bool BodyPattern::search(std::string_view body) const
{
    // REG_STARTEND: the body is not NUL-terminated and may contain NUL bytes.
    regmatch_t range{0, static_cast<regoff_t>(body.size())};
    static const char empty = '\0';
    return regexec(&regex_, body.empty() ? &empty : body.data(), 1, &range, REG_STARTEND) == 0;
}

// ---------------------------------------------------------------------------
// everything together

namespace {

void check_readable(const std::string& path, std::string_view what)
{
    if (access(path.c_str(), R_OK) != 0)
        throw Error(fmt::format("cannot read {} '{}': {}", what, path, std::strerror(errno)));
}

void check_header(const std::string& h)
{
    // curl's syntax: "Name: value", "Name;" for an empty value, "Name:" removes one.
    const auto sep = h.find_first_of(":;");
    const bool name_ok = sep != std::string::npos && sep > 0 &&
                         std::all_of(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(sep), [](unsigned char c) {
                             return std::isgraph(c) && c != ':' && c != ';';
                         });
    if (!name_ok || h.find_first_of("\r\n") != std::string::npos || (h[sep] == ';' && sep + 1 != h.size()))
        throw Error(fmt::format("bad --header '{}': expected 'Name: value'", h));
}

} // namespace

HttpOptions make_http_options(const CommonOptions& common, const HttpArgs& a, const std::vector<std::string>& positionals)
{
    HttpOptions o;
    o.target = parse_http_target(positionals, a);
    o.output = common.output;

    o.interface = checked_interface(common.interface);
    o.source = checked_source(common.source);
    if (o.source && o.target.literal && o.target.literal->family() != o.source->family())
        throw Error(fmt::format("--source {} and {} are of different address families", common.source,
                                o.target.host));
    o.timeout = checked_timeout(common.timeout);
    o.attempts = checked_attempts(common.attempts);

    std::string method = a.method;
    std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::toupper(c); });
    if (method == "GET")
        o.method = HttpMethod::Get;
    else if (method == "HEAD")
        o.method = HttpMethod::Head;
    else
        throw Error(fmt::format("bad --method '{}': expected GET or HEAD", a.method));

    o.expect_status = StatusSet::parse(a.expect_status);
    if (!a.expect_body.empty())
        o.expect_body = std::make_unique<BodyPattern>(a.expect_body);
    if (!a.digest.empty()) {
        o.digest = parse_md5_hex(a.digest);
        if (!o.digest)
            throw Error(fmt::format("bad --digest '{}': expected 32 hex digits (an MD5 as genhash prints it)",
                                    a.digest));
    }
    const auto max_body = parse_byte_size(a.max_body);
    if (!max_body)
        throw Error(fmt::format("bad --max-body '{}': expected bytes from 0 to 1GiB such as 65536, 64k or 1MiB",
                                a.max_body));
    o.max_body = *max_body;
    o.print_digest = a.print_digest;
    if (o.method == HttpMethod::Head && (o.expect_body || o.digest || o.print_digest))
        throw Error("--method HEAD fetches no body: --expect-body, --digest and --print-digest need GET");
    if (o.print_digest && (o.digest || common.output.json || common.output.nagios || common.output.quiet))
        throw Error("--print-digest prints the digest alone: it does not go with --digest, --json, --nagios or "
                    "--quiet");

    for (const auto& h : a.headers)
        check_header(h);
    o.headers = a.headers;
    if (a.insecure && !a.ca.empty())
        throw Error("--insecure and --ca contradict each other: verify against the CA, or do not verify");
    if (!a.key.empty() && a.cert.empty())
        throw Error("--key needs --cert: the client certificate it belongs to");
    if (!a.ca.empty())
        check_readable(a.ca, "--ca");
    if (!a.cert.empty())
        check_readable(a.cert, "--cert");
    if (!a.key.empty())
        check_readable(a.key, "--key");
    o.ca = a.ca;
    o.cert = a.cert;
    o.key = a.key;
    o.insecure = a.insecure;
    o.follow = a.follow;
    return o;
}

} // namespace vipcheck
