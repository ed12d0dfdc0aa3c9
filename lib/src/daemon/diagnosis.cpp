#include "daemon/diagnosis.hpp"

#include <algorithm>
#include <cctype>
#include <initializer_list>

#include <fmt/format.h>

namespace vipcheck {

std::string_view token(Code c)
{
    switch (c) {
    case Code::Healthy: return "healthy";
    case Code::RsUnreachable: return "rs-unreachable";
    case Code::MacConflict: return "mac-conflict";
    case Code::VipNotConfigured: return "vip-not-configured";
    case Code::VipSilent: return "vip-silent";
    case Code::ServiceDownOnVip: return "service-down-on-vip";
    case Code::AppBrokenOnVip: return "app-broken-on-vip";
    case Code::AppBroken: return "app-broken";
    case Code::MgmtDown: return "mgmt-down";
    case Code::ArpLeak: return "arp-leak";
    case Code::PlaneDown: return "plane-down";
    case Code::ProbeError: return "probe-error";
    case Code::NoResult: return "no-result";
    }
    return "plane-down";
}

namespace {

// The listed planes' results; a plane the service does not list reads as absent.
struct View {
    const PlaneResults& results;
    const JudgeRules& rules;

    const PlaneResult* get(Plane p) const { return rules.planes.contains(p) ? results.find(p) : nullptr; }
    bool is(Plane p, std::initializer_list<Verdict> vs) const
    {
        const auto* r = get(p);
        return r && std::find(vs.begin(), vs.end(), r->verdict) != vs.end();
    }
    bool up(Plane p) const { return is(p, {Verdict::Up}); }
    bool fails(Plane p) const
    {
        const auto* r = get(p);
        return r && r->verdict != Verdict::Up;
    }
    std::vector<Plane> with(Verdict v, bool vip_only = false) const
    {
        std::vector<Plane> out;
        for (const auto p : all_planes)
            if ((!vip_only || is_vip_plane(p)) && is(p, {v}))
                out.push_back(p);
        return out;
    }
};

struct Finding {
    Code code;
    std::vector<Plane> evidence; // the planes the sentence quotes, in all_planes order
};

// An HTTP probe that got one of these reached the application through the port.
constexpr std::initializer_list<Verdict> reached_http = {Verdict::HttpStatus, Verdict::BodyMismatch,
                                                         Verdict::DigestMismatch, Verdict::TlsError};
// vip-http failing at the application: one of the above, or a connection refused or
// left unanswered after the port accepted.
constexpr std::initializer_list<Verdict> http_failure = {Verdict::HttpStatus,     Verdict::BodyMismatch,
                                                         Verdict::DigestMismatch, Verdict::TlsError,
                                                         Verdict::Refused,        Verdict::NoReply};

std::vector<Plane> only_listed(const View& v, std::initializer_list<Plane> planes)
{
    std::vector<Plane> out;
    for (const auto p : all_planes)
        if (std::find(planes.begin(), planes.end(), p) != planes.end() && v.get(p))
            out.push_back(p);
    return out;
}

// The VIP's layer: not configured, silent, or its port closed.
void vip_findings(const View& v, std::vector<Finding>& out)
{
    // A VIP the realserver does not own leaves the other VIP planes unanswered too.
    if (!v.with(Verdict::VipMissing, true).empty()) {
        Finding f{Code::VipNotConfigured, {}};
        for (const auto p : all_planes)
            if (is_vip_plane(p) && v.is(p, {Verdict::VipMissing, Verdict::NoReply}))
                f.evidence.push_back(p);
        out.push_back(std::move(f));
    }

    // Silence only means something once the realserver is known to answer at layer 2.
    const bool layer2 = v.with(Verdict::RsUnreachable).empty() && v.with(Verdict::MacConflict).empty();
    std::vector<Plane> answered;
    bool all_silent = true;
    for (const auto p : all_planes)
        if (is_vip_plane(p) && v.get(p)) {
            answered.push_back(p);
            all_silent = all_silent && v.is(p, {Verdict::NoReply});
        }
    if (layer2 && all_silent && !answered.empty())
        out.push_back({Code::VipSilent, std::move(answered)});

    // A RST from the VIP proves the VIP is there; so does an echo reply, when the SYN
    // then goes unanswered.
    const bool closed = v.is(Plane::VipSyn, {Verdict::PortClosed}) || v.is(Plane::VipHttp, {Verdict::PortClosed});
    const bool syn_lost = v.up(Plane::VipIcmp) && v.is(Plane::VipSyn, {Verdict::NoReply});
    if (closed || syn_lost) {
        Finding f{Code::ServiceDownOnVip, {}};
        for (const auto p : all_planes)
            if ((p == Plane::VipIcmp && v.up(p)) ||
                ((p == Plane::VipSyn || p == Plane::VipHttp) && v.is(p, {Verdict::PortClosed, Verdict::NoReply})))
                f.evidence.push_back(p);
        out.push_back(std::move(f));
    }
}

// The application's layer, once the port is known to accept on the VIP.
void app_findings(const View& v, std::vector<Finding>& out)
{
    const bool accepts = v.up(Plane::VipSyn) || v.is(Plane::VipHttp, reached_http);
    const bool mgmt_fails = v.fails(Plane::MgmtHttp) && !v.is(Plane::MgmtHttp, {Verdict::Error});
    if (accepts && v.is(Plane::VipHttp, http_failure)) {
        if (v.up(Plane::MgmtHttp))
            out.push_back({Code::AppBrokenOnVip, only_listed(v, {Plane::VipSyn, Plane::VipHttp, Plane::MgmtHttp})});
        else if (mgmt_fails)
            out.push_back({Code::AppBroken, only_listed(v, {Plane::VipSyn, Plane::VipHttp, Plane::MgmtHttp})});
    }
    const bool vip_up = std::all_of(all_planes.begin(), all_planes.end(), [&](Plane p) {
        return !is_vip_plane(p) || !v.rules.planes.contains(p) || v.up(p);
    });
    if (mgmt_fails && vip_up)
        out.push_back({Code::MgmtDown, {Plane::MgmtHttp}});
}

std::vector<Finding> findings(const View& v)
{
    std::vector<Finding> out;
    const auto by_verdict = [&](Code c, Verdict verdict) {
        if (auto planes = v.with(verdict); !planes.empty())
            out.push_back({c, std::move(planes)});
    };
    // A realserver that does not answer ARP does not answer the kernel's HTTP either.
    if (auto planes = v.with(Verdict::RsUnreachable); !planes.empty()) {
        if (v.is(Plane::MgmtHttp, {Verdict::NoReply}))
            planes.push_back(Plane::MgmtHttp);
        out.push_back({Code::RsUnreachable, std::move(planes)});
    }
    by_verdict(Code::MacConflict, Verdict::MacConflict);
    vip_findings(v, out);
    app_findings(v, out);
    by_verdict(Code::ArpLeak, Verdict::ArpLeak);
    by_verdict(Code::ProbeError, Verdict::Error);

    PlaneSet explained;
    for (const auto& f : out)
        for (const auto p : f.evidence)
            explained.insert(p);
    Finding unexplained{Code::PlaneDown, {}};
    Finding missing{Code::NoResult, {}};
    for (const auto p : v.rules.planes.list()) {
        if (v.fails(p) && !explained.contains(p))
            unexplained.evidence.push_back(p);
        if (!v.get(p))
            missing.evidence.push_back(p);
    }
    if (!unexplained.evidence.empty())
        out.push_back(std::move(unexplained));
    if (!missing.evidence.empty())
        out.push_back(std::move(missing));
    if (out.empty())
        out.push_back({Code::Healthy, v.rules.planes.list()});
    std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.code < b.code; });
    return out;
}

std::string join_planes(const std::vector<Plane>& planes)
{
    std::string out;
    for (std::size_t i = 0; i < planes.size(); ++i) {
        if (i > 0)
            out += i + 1 == planes.size() ? " and " : ", ";
        out += token(planes[i]);
    }
    return out;
}

// "vip-icmp up, vip-syn got port-closed (RST in answer to the SYN for port 80)"
std::string evidence(const View& v, const std::vector<Plane>& planes)
{
    std::string out;
    for (const auto p : planes) {
        const auto* r = v.get(p);
        if (!out.empty())
            out += ", ";
        if (r->verdict == Verdict::Up)
            out += fmt::format("{} up", token(p));
        else
            out += fmt::format("{} got {}{}", token(p), token(r->verdict),
                               r->detail.empty() ? "" : " (" + r->detail + ")");
    }
    return out;
}

std::string clause(const View& v, const Finding& f, const Subject& s)
{
    const auto rip = s.rip.str();
    const auto vip = s.vip.str();
    const std::string_view neighbour = s.rip.is_v4() ? "ARP" : "neighbour solicitations";
    const std::string_view vip_neighbour = s.vip.is_v4() ? "ARP" : "neighbour solicitations";
    const auto ev = [&] { return evidence(v, f.evidence); };
    switch (f.code) {
    case Code::Healthy: return fmt::format("{} serves VIP {}: {} up", rip, vip, join_planes(f.evidence));
    case Code::RsUnreachable: return fmt::format("{} does not answer {}: {}", rip, neighbour, ev());
    case Code::MacConflict: return fmt::format("more than one MAC answers for {}: {}", rip, ev());
    case Code::VipNotConfigured: return fmt::format("VIP {} is not configured on {}: {}", vip, rip, ev());
    case Code::VipSilent: return fmt::format("{} answers at layer 2 but not for VIP {}: {}", rip, vip, ev());
    case Code::ServiceDownOnVip:
        return fmt::format("port {} does not accept on VIP {} at {}: {}", s.port, vip, rip, ev());
    case Code::AppBrokenOnVip:
        return fmt::format("the application on {} fails for VIP {} port {} only, its management HTTP answers: {}",
                           rip, vip, s.port, ev());
    case Code::AppBroken:
        return fmt::format("the application on {} fails for VIP {} port {} and on its management HTTP: {}", rip, vip,
                           s.port, ev());
    case Code::MgmtDown: return fmt::format("{} serves VIP {} but its management HTTP fails: {}", rip, vip, ev());
    case Code::ArpLeak:
        return fmt::format("{} answers {} for VIP {}, which only the director may: {}", rip, vip_neighbour, vip, ev());
    case Code::PlaneDown: return fmt::format("{} fails {}: {}", rip, join_planes(f.evidence), ev());
    case Code::ProbeError:
        return fmt::format("vipcheckd could not probe {} (a local problem, not the realserver's): {}", rip, ev());
    case Code::NoResult: return fmt::format("{} has no result yet from {}", rip, join_planes(f.evidence));
    }
    return ev();
}

} // namespace

Diagnosis diagnose(const PlaneResults& results, const JudgeRules& rules, const Subject& subject)
{
    const View v{results, rules};
    Diagnosis d;
    for (const auto& f : findings(v)) {
        d.codes.push_back(f.code);
        if (!d.sentence.empty())
            d.sentence += "; ";
        d.sentence += clause(v, f, subject);
    }
    if (!d.sentence.empty() && std::islower(static_cast<unsigned char>(d.sentence[0])))
        d.sentence[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(d.sentence[0])));
    d.sentence += '.';
    return d;
}

std::string codes_text(const Diagnosis& d)
{
    std::string out;
    for (const Code c : d.codes) {
        if (!out.empty())
            out += ',';
        out += token(c);
    }
    return out;
}

} // namespace vipcheck
