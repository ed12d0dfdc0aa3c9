#include "http/http_options.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

#include "vipcheck/error.hpp"

namespace vipcheck {

void add_http_options(CLI::App& app, HttpArgs& a)
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
// the target

namespace {

struct UrlDeleter {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

struct CurlFree {
    void operator()(char* p) const { curl_free(p); }
};

std::optional<std::string> url_part(CURLU* url, CURLUPart part, unsigned flags = 0)
{
    char* raw = nullptr;
    if (curl_url_get(url, part, &raw, flags) != CURLUE_OK)
        return std::nullopt;
    std::unique_ptr<char, CurlFree> owned(raw);
    return std::string(raw);
}

bool valid_host_name(std::string_view name)
{
    if (name.empty() || name.size() > 253 || name.front() == '.' || name.front() == '-')
        return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '-' || c == '_';
    });
}

std::string bracketed(const IpAddress& a)
{
    return a.is_v4() ? a.str() : "[" + a.str() + "]";
}

IpAddress parse_address(std::string_view text, std::string_view what)
{
    if (auto a = IpAddress::parse(text))
        return *a;
    throw Error(fmt::format("bad {} '{}': expected an IPv4 or IPv6 address", what, text));
}

// The URL text for the ldirectord form, before the common URL checks.
std::string ldirectord_url(const std::vector<std::string>& p, const HttpArgs& a)
{
    // Nothing is sent to the VIP: it is read only so that a typo in the ldirectord
    // configuration is an error, and a fwmark number needs no --vip here.
    const bool fwmark = !p[0].empty() && p[0].size() <= 10 &&
                        std::all_of(p[0].begin(), p[0].end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!fwmark)
        parse_address(p[0], "VIP");
    parse_port(p[1], "VPORT");
    const IpAddress rip = parse_address(p[2], "RIP");
    if (rip.is_unspecified() || rip.is_multicast() || rip.is_broadcast())
        throw Error(fmt::format("bad RIP {}: it must be a unicast address", rip.str()));
    std::uint16_t port = parse_port(p[3], "RPORT");
    if (!a.port.empty())
        port = parse_port(a.port, "--port");
    if (port == 0)
        throw Error("RPORT is 0 and no --port given: say which port to fetch from at RIP");
    const std::string scheme = a.scheme.empty() ? "http" : a.scheme;
    if (scheme != "http" && scheme != "https")
        throw Error(fmt::format("bad --scheme '{}': expected http or https", a.scheme));
    const std::string path = a.path.empty() ? "/" : a.path;
    if (path.front() != '/' || path.find_first_of(" \t\r\n") != std::string::npos)
        throw Error(fmt::format("bad --path '{}': expected an absolute path such as /health", a.path));
    return fmt::format("{}://{}:{}{}", scheme, bracketed(rip), port, path);
}

} // namespace

HttpTarget parse_http_target(const std::vector<std::string>& p, const HttpArgs& a)
{
    HttpTarget t;
    std::string text;
    if (p.size() == 4) {
        t.ldirectord_form = true;
        text = ldirectord_url(p, a);
    } else if (p.size() == 1) {
        if (!a.scheme.empty() || !a.port.empty() || !a.path.empty())
            throw Error(fmt::format("--scheme, --port and --path belong to the VIP VPORT RIP RPORT form; the URL "
                                    "{} already says what to fetch",
                                    p[0]));
        text = p[0];
    } else {
        throw Error(fmt::format("expected URL or VIP VPORT RIP RPORT, got {} argument{}", p.size(),
                                p.size() == 1 ? "" : "s"));
    }

    UrlHandle url(curl_url());
    if (!url)
        throw Error("out of memory parsing the URL");
    // No default scheme: "192.0.2.11" alone would be a guess between http and https.
    if (const CURLUcode rc = curl_url_set(url.get(), CURLUPART_URL, text.c_str(), 0); rc != CURLUE_OK)
        throw Error(fmt::format("bad URL '{}': {}", text, curl_url_strerror(rc)));
    const auto scheme = url_part(url.get(), CURLUPART_SCHEME);
    if (!scheme || (*scheme != "http" && *scheme != "https"))
        throw Error(fmt::format("bad URL '{}': only http:// and https:// can be checked", text));
    t.https = *scheme == "https";
    const auto host = url_part(url.get(), CURLUPART_HOST);
    const auto port = url_part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (!host || host->empty() || !port)
        throw Error(fmt::format("bad URL '{}': it names no host", text));
    t.host = *host;
    t.port = parse_port(*port, "URL port");
    if (t.port == 0)
        throw Error(fmt::format("bad URL '{}': port 0", text));
    t.literal = IpAddress::parse(t.host);
    if (!t.literal && !valid_host_name(t.host))
        throw Error(fmt::format("bad URL '{}': host '{}' is neither an address nor a host name", text, t.host));
    const auto normal = url_part(url.get(), CURLUPART_URL);
    if (!normal)
        throw Error(fmt::format("bad URL '{}'", text));
    t.display = *normal;
    t.url = *normal;

    if (!a.host.empty()) {
        // Colons are left out so that a CONNECT_TO entry stays unambiguous; a virtual
        // host is a name, and an IPv4 literal works too.
        if (!valid_host_name(a.host))
            throw Error(fmt::format("bad --host '{}': expected a host name such as www.example.org", a.host));
        if (curl_url_set(url.get(), CURLUPART_HOST, a.host.c_str(), 0) != CURLUE_OK)
            throw Error(fmt::format("bad --host '{}'", a.host));
        const auto with_host = url_part(url.get(), CURLUPART_URL);
        if (!with_host)
            throw Error(fmt::format("bad --host '{}'", a.host));
        t.url = *with_host;
        t.host_header = a.host;
        // The URL carries the name, so curl sends it as Host, as TLS SNI and verifies
        // the certificate against it; CONNECT_TO keeps the connection on the URL's host.
        t.connect_to = fmt::format("{}:{}:{}:{}", a.host, t.port, t.host, t.port);
    }
    return t;
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
