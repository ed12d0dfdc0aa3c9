#include "daemon/status_page.hpp"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "vipcheck/report.hpp"

namespace vipcheck {

namespace {

constexpr std::array<RsState, 4> all_states{RsState::Learning, RsState::Up, RsState::Down, RsState::Held};

// Appends to a comma-separated list. Not `(empty ? "" : ",") + item`: GCC 12's Release
// build warns of a restrict overlap (a false positive) inside that operator+.
void append(std::string& list, std::string_view item)
{
    if (!list.empty())
        list += ',';
    list += item;
}

// Whole seconds: a person reads them, and a script compares them with time().
long long whole(double unix_seconds) { return static_cast<long long>(std::floor(unix_seconds)); }

// What min_up says as written in the configuration, none when the service has none.
std::optional<std::string> min_up_text(const MinUp& m)
{
    switch (m.kind) {
    case MinUp::Kind::Count: return fmt::format("{}", m.value);
    case MinUp::Kind::Percent: return fmt::format("{}%", m.value);
    case MinUp::Kind::None: break;
    }
    return std::nullopt;
}

// The realserver's result for a plane: none before its first round, or for a plane its
// view does not carry.
const PlaneResult* result_of(const RealserverView& r, Plane p)
{
    for (const auto& [plane, result] : r.planes)
        if (plane == p && result)
            return &*result;
    return nullptr;
}

// VIP:PORT as a client would write it, brackets around an IPv6 address.
std::string endpoint_text(const ServiceView& s)
{
    return s.vip.is_v4() ? fmt::format("{}:{}", s.vip.str(), s.port) : fmt::format("[{}]:{}", s.vip.str(), s.port);
}

std::string json_planes(PlaneSet set)
{
    std::string out;
    for (const Plane p : set.list())
        out += fmt::format("{}\"{}\"", out.empty() ? "" : ",", token(p));
    return fmt::format("[{}]", out);
}

std::string json_realserver(const RealserverView& r, const JudgeRules& rules)
{
    std::string planes;
    for (const Plane p : rules.planes.list()) {
        std::string value = "null";
        if (const PlaneResult* result = result_of(r, p))
            value = fmt::format("{{\"verdict\":\"{}\",\"detail\":\"{}\"}}", token(result->verdict),
                                json_escape(result->detail));
        planes += fmt::format("{}\"{}\":{}", planes.empty() ? "" : ",", token(p), value);
    }
    std::string codes;
    for (const Code c : r.diagnosis.codes)
        codes += fmt::format("{}\"{}\"", codes.empty() ? "" : ",", token(c));
    return fmt::format("{{\"rip\":\"{}\",\"state\":\"{}\",\"since\":{},\"transitions\":{},\"rounds\":{},"
                       "\"planes\":{{{}}},\"diagnosis\":[{}],\"detail\":\"{}\"}}",
                       json_escape(r.rip), token(r.state), whole(r.since_seconds), r.transitions, r.rounds, planes,
                       codes, json_escape(r.diagnosis.sentence));
}

std::string json_service(const ServiceView& s)
{
    const auto min_up = min_up_text(s.rules.min_up);
    std::string counts;
    for (const RsState state : all_states)
        counts += fmt::format("{}\"{}\":{}", counts.empty() ? "" : ",", token(state), s.count(state));
    std::string realservers;
    for (const auto& r : s.realservers)
        append(realservers, json_realserver(r, s.rules));
    return fmt::format("{{\"name\":\"{}\",\"vip\":\"{}\",\"port\":{},\"planes\":{},\"depool_on\":{},\"rise\":{},"
                       "\"fall\":{},\"min_up\":{},\"counts\":{{{}}},\"realservers\":[{}]}}",
                       json_escape(s.name), json_escape(s.vip.str()), s.port, json_planes(s.rules.planes),
                       json_planes(s.rules.depool_on), s.rules.rise, s.rules.fall,
                       min_up ? fmt::format("\"{}\"", json_escape(*min_up)) : "null", counts, realservers);
}

// ISO 8601 in UTC: the director's local zone is not the reader's.
std::string utc_text(double unix_seconds)
{
    const time_t t = static_cast<time_t>(whole(unix_seconds));
    struct tm tm {};
    if (!gmtime_r(&t, &tm))
        return fmt::format("@{}", whole(unix_seconds));
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// How long ago, in the two largest units: "42s ago" while it matters to the second,
// "3d 04h ago" when it no longer does. A time after the page's (a wall clock set back)
// reads as now rather than as a negative age.
std::string ago_text(double since, double now)
{
    const long long s = std::max(0LL, whole(now) - whole(since));
    if (s < 120)
        return fmt::format("{}s ago", s);
    if (s < 7200)
        return fmt::format("{}m {:02}s ago", s / 60, s % 60);
    if (s < 172800)
        return fmt::format("{}h {:02}m ago", s / 3600, s % 3600 / 60);
    return fmt::format("{}d {:02}h ago", s / 86400, s % 86400 / 3600);
}

// The page's whole style: colour says the state at a glance, and the word in every
// cell says it without colour (a monochrome print, a colour-blind reader, a text
// browser). Light tints under dark text keep the contrast readable. "monospace,
// monospace": with the generic family alone, browsers shrink it to 13px. The sentence
// gets a share of the width, and a long token may wrap at its hyphen: the verdict
// cells would take it all otherwise, and the sentence is what is read first.
constexpr std::string_view style = R"(
body { font-family: sans-serif; margin: 1em; color: #111; background: #fff; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
p { margin: .3em 0; }
table { border-collapse: collapse; margin: 1.2em 0; width: 100%; font-size: .9em; }
caption { text-align: left; padding: .3em 0; }
caption .name { font-weight: bold; font-size: 1.15em; }
th, td { border: 1px solid #999; padding: .2em .5em; text-align: left; vertical-align: top; }
th { background: #eee; white-space: nowrap; }
.rip, .codes, .verdict { font-family: monospace, monospace; }
.rip { white-space: nowrap; }
.state { font-weight: bold; text-transform: uppercase; white-space: nowrap; }
.up { background: #c9efc9; color: #0b4d0b; }
.held { background: #ffe2a6; color: #6b4500; }
.learning { background: #dce5f4; color: #20386b; }
.down { background: #f6c6c6; color: #7a0b0b; }
.none { color: #555; font-style: italic; }
.since { white-space: nowrap; }
.detail { width: 40%; }
)";

std::string html_plane_cell(const RealserverView& r, Plane p)
{
    const PlaneResult* result = result_of(r, p);
    if (!result)
        return fmt::format("<td class=\"verdict none\" data-plane=\"{}\">no result</td>", token(p));
    // A plane's own detail line is the hover text: the row's detail column is the
    // diagnosis over all planes, which is what a person reads first.
    return fmt::format("<td class=\"verdict {}\" data-plane=\"{}\" title=\"{}\">{}</td>",
                       result->verdict == Verdict::Up ? "up" : "down", token(p), html_escape(result->detail),
                       token(result->verdict));
}

std::string html_row(const RealserverView& r, const JudgeRules& rules, double now)
{
    // For a person, a space after each comma: a long list of codes may wrap in its cell.
    std::string shown;
    for (const Code c : r.diagnosis.codes)
        shown += fmt::format("{}{}", shown.empty() ? "" : ", ", token(c));
    std::string planes;
    for (const Plane p : rules.planes.list())
        planes += html_plane_cell(r, p);
    return fmt::format("<tr data-rip=\"{0}\" data-state=\"{1}\" data-diagnosis=\"{2}\">"
                       "<td class=\"rip\">{0}</td><td class=\"state {1}\">{1}</td>{3}"
                       "<td class=\"since\"><time datetime=\"{4}\">{4}</time><br>{5}</td>"
                       "<td class=\"codes\">{6}</td><td class=\"detail\">{7}</td></tr>\n",
                       html_escape(r.rip), token(r.state), html_escape(codes_text(r.diagnosis)), planes,
                       utc_text(r.since_seconds), ago_text(r.since_seconds, now), html_escape(shown),
                       html_escape(r.diagnosis.sentence));
}

std::string html_caption(const ServiceView& s)
{
    std::string rules = fmt::format("rise {}, fall {}", s.rules.rise, s.rules.fall);
    if (const auto min_up = min_up_text(s.rules.min_up)) {
        const std::size_t held = s.count(RsState::Held);
        rules += fmt::format(", min_up {} ({})", *min_up,
                             held == 0 ? std::string("holds none")
                                       : fmt::format("holds {} realserver{} in the pool", held, held == 1 ? "" : "s"));
    } else {
        rules += ", no min_up";
    }
    std::string counts;
    for (const RsState state : {RsState::Up, RsState::Held, RsState::Down, RsState::Learning})
        counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", s.count(state), token(state));
    return fmt::format("<caption><span class=\"name\">{}</span> {} &mdash; {} &mdash; {}</caption>\n",
                       html_escape(s.name), html_escape(endpoint_text(s)), html_escape(rules), counts);
}

std::string html_service(const ServiceView& s, double now)
{
    std::string out = fmt::format("<table data-service=\"{}\">\n", html_escape(s.name));
    out += html_caption(s);
    out += "<thead><tr><th scope=\"col\">RIP</th><th scope=\"col\">state</th>";
    for (const Plane p : s.rules.planes.list())
        out += fmt::format("<th scope=\"col\">{}{}</th>", token(p), s.rules.depool_on.contains(p) ? " *" : "");
    out += "<th scope=\"col\">since</th><th scope=\"col\">diagnosis</th><th scope=\"col\">detail</th></tr></thead>\n"
           "<tbody>\n";
    for (const auto& r : s.realservers)
        out += html_row(r, s.rules, now);
    if (s.realservers.empty())
        out += fmt::format("<tr><td colspan=\"{}\" class=\"none\">no realserver</td></tr>\n",
                           s.rules.planes.list().size() + 5);
    out += "</tbody>\n</table>\n";
    return out;
}

} // namespace

std::string html_escape(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string format_status_json(const std::vector<ServiceView>& services, const StatusMeta& meta)
{
    std::string all;
    for (const auto& s : services)
        append(all, json_service(s));
    return fmt::format("{{\"version\":\"{}\",\"generated\":{},\"services\":[{}]}}\n", json_escape(meta.version),
                       whole(meta.generated), all);
}

std::string format_status_html(const std::vector<ServiceView>& services, const StatusMeta& meta)
{
    std::string out = fmt::format("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                                  "<meta http-equiv=\"refresh\" content=\"{}\">\n"
                                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                                  "<title>vipcheckd status</title>\n<style>{}</style>\n</head>\n<body>\n"
                                  "<h1>vipcheckd status</h1>\n",
                                  status_refresh_seconds, style);
    out += fmt::format("<p>Generated <time datetime=\"{0}\">{0}</time> by vipcheckd {1}; "
                       "this page reloads every {2} s. "
                       "The same data: <a href=\"/status.json\">/status.json</a>; every target's metrics: "
                       "<a href=\"/metrics\">/metrics</a>.</p>\n",
                       utc_text(meta.generated), html_escape(meta.version), status_refresh_seconds);
    if (services.empty()) {
        out += "<p class=\"none\">No service is configured: this page shows the realservers of the "
                     "configuration's <code>services:</code> (vipcheckd(8), SERVICES). Targets alone are in "
                     "/metrics.</p>\n</body>\n</html>\n";
        return out;
    }
    out += "<p>States: <span class=\"up\">up</span> pooled and proven, <span class=\"held\">held</span> pooled "
           "because min_up holds it, <span class=\"down\">down</span> out of the pool, "
           "<span class=\"learning\">learning</span> not yet proven up. A plane marked * is in depool_on: only "
           "those take a realserver out of the pool; the others inform.</p>\n";
    for (const auto& s : services)
        out += html_service(s, meta.generated);
    out += "</body>\n</html>\n";
    return out;
}

} // namespace vipcheck
