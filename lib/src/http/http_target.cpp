#include "http/http_options.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "vipcheck/error.hpp"

// What mgmt-http-check and vip-http-check fetch: the URL (libcurl's own URL parser) or
// ldirectord's VIP VPORT RIP RPORT, read into an HttpTarget.

namespace vipcheck {

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

} // namespace vipcheck
