// The status page (vipcheckd(8), STATUS PAGE): /status.json parses and has the
// documented shape, the HTML has a row per realserver with its state for a script and a
// person, everything from the configuration or a probe is escaped, and nothing is
// fetched from another host.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "daemon/status_page.hpp"

using namespace vipcheck;

namespace {

// A small JSON reader of the test's own, so that the test does not trust the escaping it
// tests: strict enough to refuse a raw control character, an unknown escape or trailing
// text.
struct Json {
    enum class Type { Null, Bool, Number, String, Array, Object } type = Type::Null;
    bool boolean = false;
    double number = 0;
    std::string string;
    std::vector<Json> array;
    std::map<std::string, Json> object;
    std::vector<std::string> keys; // the object's, in the order written

    const Json& operator[](const std::string& key) const
    {
        const auto it = object.find(key);
        if (it == object.end())
            FAIL("no member " << key);
        return it->second;
    }
    const Json& operator[](std::size_t i) const { return array.at(i); }
};

class JsonReader {
public:
    explicit JsonReader(std::string_view text) : text_(text) {}

    Json document()
    {
        Json v = value();
        space();
        if (at_ < text_.size())
            throw std::runtime_error("trailing text at " + std::to_string(at_));
        return v;
    }

private:
    void space()
    {
        while (at_ < text_.size() && std::string_view(" \n\t\r").find(text_[at_]) != std::string_view::npos)
            ++at_;
    }
    char next()
    {
        if (at_ >= text_.size())
            throw std::runtime_error("unexpected end");
        return text_[at_++];
    }
    void expect(std::string_view word)
    {
        if (text_.substr(at_, word.size()) != word)
            throw std::runtime_error("expected " + std::string(word) + " at " + std::to_string(at_));
        at_ += word.size();
    }
    std::string string()
    {
        expect("\"");
        std::string out;
        for (;;) {
            const char c = next();
            if (c == '"')
                return out;
            if (static_cast<unsigned char>(c) < 0x20)
                throw std::runtime_error("raw control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            switch (const char e = next()) {
            case '"': case '\\': case '/': out += e; break;
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                const std::string hex(text_.substr(at_, 4));
                at_ += 4;
                const unsigned long code = std::strtoul(hex.c_str(), nullptr, 16);
                if (hex.size() != 4 || code >= 0x80)
                    throw std::runtime_error("escape beyond ASCII: " + hex);
                out += static_cast<char>(code);
                break;
            }
            default: throw std::runtime_error(std::string("unknown escape \\") + e);
            }
        }
    }
    Json value()
    {
        space();
        Json v;
        if (at_ >= text_.size())
            throw std::runtime_error("unexpected end");
        const char c = text_[at_];
        if (c == '{') {
            v.type = Json::Type::Object;
            ++at_;
            space();
            if (text_[at_] == '}')
                return ++at_, v;
            for (;;) {
                space();
                std::string key = string();
                space();
                expect(":");
                if (!v.object.emplace(key, value()).second)
                    throw std::runtime_error("member given twice: " + key);
                v.keys.push_back(key);
                space();
                if (next() == '}')
                    return v;
                --at_;
                expect(",");
            }
        }
        if (c == '[') {
            v.type = Json::Type::Array;
            ++at_;
            space();
            if (text_[at_] == ']')
                return ++at_, v;
            for (;;) {
                v.array.push_back(value());
                space();
                if (next() == ']')
                    return v;
                --at_;
                expect(",");
            }
        }
        if (c == '"') {
            v.type = Json::Type::String;
            v.string = string();
            return v;
        }
        if (c == 'n')
            return expect("null"), v;
        if (c == 't' || c == 'f') {
            v.type = Json::Type::Bool;
            v.boolean = c == 't';
            expect(v.boolean ? "true" : "false");
            return v;
        }
        std::size_t end = at_;
        while (end < text_.size() && std::string_view("-+.eE0123456789").find(text_[end]) != std::string_view::npos)
            ++end;
        if (end == at_)
            throw std::runtime_error(std::string("unexpected ") + c);
        v.type = Json::Type::Number;
        v.number = std::stod(std::string(text_.substr(at_, end - at_)));
        at_ = end;
        return v;
    }

    std::string_view text_;
    std::size_t at_ = 0;
};

Json parse(const std::string& text) { return JsonReader(text).document(); }

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

constexpr double generated = 1'700'000'100; // 2023-11-14T22:15:00Z
const std::string nasty = "it said \"<script>alert('x')</script>\" & then\nbroke\x01";

RealserverView realserver(std::string rip, RsState state, double since, std::vector<Code> codes, std::string sentence)
{
    RealserverView r;
    r.rip = std::move(rip);
    r.state = state;
    r.since_seconds = since;
    r.transitions = state == RsState::Learning ? 0 : 1;
    r.rounds = 5;
    r.diagnosis = Diagnosis{std::move(codes), std::move(sentence)};
    return r;
}

// A service of four realservers in every state, with an arp plane that informs only, a
// realserver whose arp plane has no result yet, and a probe detail that is hostile HTML.
std::vector<ServiceView> board()
{
    ServiceView web;
    web.name = "web";
    web.vip = ip("198.51.100.10");
    web.port = 80;
    web.rules = default_rules(PlaneSet{Plane::VipIcmp, Plane::VipSyn, Plane::Arp});
    web.rules.min_up = MinUp::percent(50);

    auto up = realserver("192.0.2.11", RsState::Up, generated - 42, {Code::Healthy}, "192.0.2.11 answers for the VIP");
    up.planes = {{Plane::VipIcmp, PlaneResult{Verdict::Up, "echo reply in 0.3 ms"}},
                 {Plane::VipSyn, PlaneResult{Verdict::Up, "SYN-ACK"}},
                 {Plane::Arp, PlaneResult{Verdict::Up, "silent"}}};
    auto down = realserver("192.0.2.12", RsState::Down, generated - 3 * 3600 - 7 * 60,
                           {Code::VipSilent, Code::ArpLeak}, nasty);
    down.planes = {{Plane::VipIcmp, PlaneResult{Verdict::NoReply, nasty}},
                   {Plane::VipSyn, PlaneResult{Verdict::NoReply, "no SYN-ACK"}},
                   {Plane::Arp, PlaneResult{Verdict::ArpLeak, "answered who-has"}}};
    auto held = realserver("192.0.2.13", RsState::Held, generated - 150, {Code::ServiceDownOnVip}, "port 80 closed");
    held.planes = {{Plane::VipIcmp, PlaneResult{Verdict::Up, ""}},
                   {Plane::VipSyn, PlaneResult{Verdict::PortClosed, "RST"}},
                   {Plane::Arp, PlaneResult{Verdict::Up, ""}}};
    auto learning =
        realserver("192.0.2.14", RsState::Learning, generated - 1, {Code::NoResult}, "arp has no result yet");
    learning.planes = {{Plane::VipIcmp, PlaneResult{Verdict::Up, ""}},
                       {Plane::VipSyn, PlaneResult{Verdict::Up, ""}},
                       {Plane::Arp, std::nullopt}};
    web.realservers = {up, down, held, learning};

    ServiceView v6;
    v6.name = "mail\"<b>";
    v6.vip = ip("2001:db8::10");
    v6.port = 25;
    v6.rules = default_rules(PlaneSet{Plane::VipSyn});
    v6.rules.min_up = MinUp::count(2);
    auto fresh = realserver("2001:db8::11", RsState::Learning, generated, {Code::NoResult}, "no round yet");
    fresh.planes = {{Plane::VipSyn, std::nullopt}};
    v6.realservers = {fresh};
    return {web, v6};
}

const StatusMeta meta{"1.2.3\"x", generated};

std::size_t occurrences(const std::string& text, std::string_view what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
        ++n;
    return n;
}

// The text between `from` and the next `to` after it.
std::string between(const std::string& text, std::string_view from, std::string_view to)
{
    const auto start = text.find(from);
    REQUIRE(start != std::string::npos);
    const auto end = text.find(to, start + from.size());
    REQUIRE(end != std::string::npos);
    return text.substr(start + from.size(), end - start - from.size());
}

} // namespace

TEST_CASE("status page: html_escape leaves no markup and no quote")
{
    CHECK(html_escape("a<b>&\"c\"'d'") == "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
    CHECK(html_escape("plain 192.0.2.11 ünïcode") == "plain 192.0.2.11 ünïcode");
    CHECK(html_escape("&amp;") == "&amp;amp;");
    CHECK(html_escape("").empty());
}

TEST_CASE("status page: /status.json parses, with the documented members in order")
{
    const Json doc = parse(format_status_json(board(), meta));
    CHECK(doc.keys == std::vector<std::string>{"version", "generated", "services"});
    CHECK(doc["version"].string == "1.2.3\"x");
    CHECK(doc["generated"].number == generated);
    REQUIRE(doc["services"].array.size() == 2);

    const Json& web = doc["services"][0];
    CHECK(web.keys == std::vector<std::string>{"name", "vip", "port", "planes", "depool_on", "rise", "fall", "min_up",
                                               "counts", "realservers"});
    CHECK(web["name"].string == "web");
    CHECK(web["vip"].string == "198.51.100.10");
    CHECK(web["port"].number == 80);
    REQUIRE(web["planes"].array.size() == 3);
    CHECK(web["planes"][0].string == "vip-icmp");
    CHECK(web["planes"][1].string == "vip-syn");
    CHECK(web["planes"][2].string == "arp");
    // arp informs: the default depool_on is the vip-* planes alone.
    REQUIRE(web["depool_on"].array.size() == 2);
    CHECK(web["depool_on"][1].string == "vip-syn");
    CHECK(web["rise"].number == 2);
    CHECK(web["fall"].number == 3);
    CHECK(web["min_up"].string == "50%");
    CHECK(web["counts"].keys == std::vector<std::string>{"learning", "up", "down", "held"});
    for (const char* s : {"learning", "up", "down", "held"})
        CHECK(web["counts"][s].number == 1);

    REQUIRE(web["realservers"].array.size() == 4);
    const Json& up = web["realservers"][0];
    CHECK(up.keys == std::vector<std::string>{"rip", "state", "since", "transitions", "rounds", "planes", "diagnosis",
                                              "detail"});
    CHECK(up["rip"].string == "192.0.2.11");
    CHECK(up["state"].string == "up");
    CHECK(up["since"].number == generated - 42);
    CHECK(up["transitions"].number == 1);
    CHECK(up["rounds"].number == 5);
    CHECK(up["planes"].keys == std::vector<std::string>{"vip-icmp", "vip-syn", "arp"});
    CHECK(up["planes"]["vip-icmp"]["verdict"].string == "up");
    CHECK(up["planes"]["vip-icmp"]["detail"].string == "echo reply in 0.3 ms");
    REQUIRE(up["diagnosis"].array.size() == 1);
    CHECK(up["diagnosis"][0].string == "healthy");

    const Json& down = web["realservers"][1];
    CHECK(down["state"].string == "down");
    CHECK(down["planes"]["vip-icmp"]["verdict"].string == "no-reply");
    CHECK(down["planes"]["arp"]["verdict"].string == "arp-leak");
    REQUIRE(down["diagnosis"].array.size() == 2);
    CHECK(down["diagnosis"][0].string == "vip-silent");
    CHECK(down["diagnosis"][1].string == "arp-leak");
    CHECK(web["realservers"][2]["state"].string == "held");
    const Json& learning = web["realservers"][3];
    CHECK(learning["state"].string == "learning");
    CHECK(learning["transitions"].number == 0);
    // No result yet is null, never a verdict made up.
    CHECK(learning["planes"]["arp"].type == Json::Type::Null);
    CHECK(learning["planes"]["vip-syn"]["verdict"].string == "up");

    const Json& v6 = doc["services"][1];
    CHECK(v6["vip"].string == "2001:db8::10");
    CHECK(v6["min_up"].string == "2");
    CHECK(v6["realservers"][0]["planes"]["vip-syn"].type == Json::Type::Null);
}

TEST_CASE("status page: quotes, newlines and control characters survive JSON intact")
{
    const std::string text = format_status_json(board(), meta);
    // One line: a newline inside a string would be raw otherwise.
    CHECK(occurrences(text, "\n") == 1);
    CHECK(text.back() == '\n');
    CHECK(text.find("\\u0001") != std::string::npos);
    const Json doc = parse(text);
    CHECK(doc["services"][0]["realservers"][1]["detail"].string == nasty);
    CHECK(doc["services"][0]["realservers"][1]["planes"]["vip-icmp"]["detail"].string == nasty);
    CHECK(doc["services"][1]["name"].string == "mail\"<b>");
}

TEST_CASE("status page: without min_up the member is null; no service is an empty list")
{
    auto services = board();
    services[0].rules.min_up = MinUp::none();
    CHECK(parse(format_status_json(services, meta))["services"][0]["min_up"].type == Json::Type::Null);
    const Json empty = parse(format_status_json({}, meta));
    CHECK(empty["services"].type == Json::Type::Array);
    CHECK(empty["services"].array.empty());
}

TEST_CASE("status page: HTML has one row per realserver, its state as data and as a word")
{
    const std::string page = format_status_html(board(), meta);
    CHECK(page.rfind("<!DOCTYPE html>\n", 0) == 0);
    CHECK(page.find("<meta charset=\"utf-8\">") != std::string::npos);
    CHECK(page.find("<meta http-equiv=\"refresh\" content=\"5\">") != std::string::npos);
    CHECK(occurrences(page, "<table") == 2);
    CHECK(occurrences(page, "<tr data-rip=") == 5);

    CHECK(page.find("<tr data-rip=\"192.0.2.11\" data-state=\"up\" data-diagnosis=\"healthy\">") != std::string::npos);
    CHECK(page.find("<tr data-rip=\"192.0.2.12\" data-state=\"down\" data-diagnosis=\"vip-silent,arp-leak\">") !=
          std::string::npos);
    CHECK(page.find("<tr data-rip=\"192.0.2.13\" data-state=\"held\"") != std::string::npos);
    CHECK(page.find("<tr data-rip=\"192.0.2.14\" data-state=\"learning\"") != std::string::npos);
    CHECK(page.find("<tr data-rip=\"2001:db8::11\" data-state=\"learning\"") != std::string::npos);
    // The word, not only the colour: a monochrome reader sees each state.
    for (const char* s : {"up", "down", "held", "learning"})
        CHECK(page.find(fmt::format("<td class=\"state {0}\">{0}</td>", s)) != std::string::npos);

    const std::string up_row = between(page, "<tr data-rip=\"192.0.2.11\"", "</tr>");
    CHECK(up_row.find("data-plane=\"vip-icmp\" title=\"echo reply in 0.3 ms\">up</td>") != std::string::npos);
    CHECK(up_row.find("<time datetime=\"2023-11-14T22:14:18Z\">2023-11-14T22:14:18Z</time><br>42s ago") !=
          std::string::npos);
    CHECK(up_row.find("<td class=\"codes\">healthy</td><td class=\"detail\">192.0.2.11 answers for the VIP</td>") !=
          std::string::npos);
    CHECK(between(page, "<tr data-rip=\"192.0.2.12\"", "</tr>").find("3h 07m ago") != std::string::npos);
    CHECK(between(page, "<tr data-rip=\"192.0.2.13\"", "</tr>").find("2m 30s ago") != std::string::npos);
    const std::string learning_row = between(page, "<tr data-rip=\"192.0.2.14\"", "</tr>");
    CHECK(learning_row.find("<td class=\"verdict none\" data-plane=\"arp\">no result</td>") != std::string::npos);
    CHECK(learning_row.find("1s ago") != std::string::npos);
}

TEST_CASE("status page: HTML captions, plane headers and the page's own lines")
{
    const std::string page = format_status_html(board(), meta);
    // The depool_on planes are marked, and the legend says what the mark means.
    CHECK(page.find("<th scope=\"col\">vip-icmp *</th><th scope=\"col\">vip-syn *</th><th scope=\"col\">arp</th>") !=
          std::string::npos);
    CHECK(page.find("A plane marked * is in depool_on") != std::string::npos);
    const std::string web = between(page, "<caption>", "</caption>");
    CHECK(web.find("<span class=\"name\">web</span> 198.51.100.10:80") != std::string::npos);
    CHECK(web.find("rise 2, fall 3, min_up 50% (holds 1 realserver in the pool)") != std::string::npos);
    CHECK(web.find("1 up, 1 held, 1 down, 1 learning") != std::string::npos);
    const std::string v6 = between(page, "<table data-service=\"mail&quot;&lt;b&gt;\">\n<caption>", "</caption>");
    CHECK(v6.find("[2001:db8::10]:25") != std::string::npos);
    CHECK(v6.find("min_up 2 (holds none)") != std::string::npos);
    CHECK(page.find("Generated <time datetime=\"2023-11-14T22:15:00Z\">") != std::string::npos);
    CHECK(page.find("by vipcheckd 1.2.3&quot;x;") != std::string::npos);

    auto services = board();
    services[0].rules.min_up = MinUp::none();
    CHECK(format_status_html(services, meta).find("rise 2, fall 3, no min_up") != std::string::npos);
}

TEST_CASE("status page: HTML escapes every configured and probed text")
{
    const std::string page = format_status_html(board(), meta);
    CHECK(page.find("<script") == std::string::npos);
    CHECK(page.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") != std::string::npos);
    CHECK(page.find("mail\"<b>") == std::string::npos);
    CHECK(page.find("<span class=\"name\">mail&quot;&lt;b&gt;</span>") != std::string::npos);
    // The hostile detail as a plane's title attribute stays inside its quotes.
    CHECK(page.find("title=\"it said &quot;&lt;script&gt;") != std::string::npos);
}

TEST_CASE("status page: HTML fetches nothing: no script, no asset, links only to its own pages")
{
    const std::string page = format_status_html(board(), meta);
    CHECK(page.find("http://") == std::string::npos);
    CHECK(page.find("https://") == std::string::npos);
    CHECK(page.find("src=") == std::string::npos);
    CHECK(page.find("<link") == std::string::npos);
    CHECK(page.find("@import") == std::string::npos);
    CHECK(page.find("url(") == std::string::npos);
    std::vector<std::string> links;
    for (auto at = page.find("href=\""); at != std::string::npos; at = page.find("href=\"", at + 1))
        links.push_back(page.substr(at + 6, page.find('"', at + 6) - at - 6));
    CHECK(links == std::vector<std::string>{"/status.json", "/metrics"});
}

TEST_CASE("status page: no service configured says so")
{
    const std::string page = format_status_html({}, meta);
    CHECK(page.find("No service is configured") != std::string::npos);
    CHECK(page.find("<table") == std::string::npos);
    CHECK(page.find("href=\"/status.json\"") != std::string::npos);
    CHECK(page.rfind("</html>\n") == page.size() - 8);
}
