#include "vipcheck/engine.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "vipcheck/arp_leak.hpp"
#include "vipcheck/clock.hpp"
#include "vipcheck/error.hpp"
#include "vipcheck/link.hpp"
#include "vipcheck/privilege.hpp"
#include "vipcheck/route.hpp"
#include "vipcheck/session.hpp"

namespace vipcheck {

namespace {

// The probe's own source when a tunnel carries another family than the RIP's (4in6,
// 6in4): an address of ours in the VIP's family on the probe's interface, where the
// realserver's direct reply must come back. A global address if there is one.
IpAddress inner_source(RouteLookup& routes, const InterfaceInfo& interface, const IpAddress& vip)
{
    std::optional<IpAddress> chosen;
    for (const auto& a : routes.addresses(interface.index, vip.family())) {
        if (a == vip || a.is_loopback())
            continue;
        if (!chosen || (chosen->is_link_local() && !a.is_link_local()))
            chosen = a;
    }
    if (!chosen)
        throw Error(fmt::format("interface {} has no {} address to receive the realserver's reply from VIP {}: "
                                "a tunnel to a RIP of the other family still needs one of the VIP's family",
                                interface.name, vip.is_v4() ? "IPv4" : "IPv6", vip.str()));
    if (chosen->is_link_local())
        chosen->set_scope_id(static_cast<std::uint32_t>(interface.index));
    return *chosen;
}

} // namespace

Outcome describe(const ProbeSession& s, const ProbeKind& kind, Duration timeout_value, TimePoint start)
{
    const ProbeContext& c = s.context();
    Outcome out;
    out.verdict = s.verdict();
    out.elapsed_ms = to_ms(Clock::now() - start);
    const bool mac_known = s.resolved() && !c.remote_mac.is_zero();
    out.subject = fmt::format("{} on {}{} via {} src {}", c.vip.str(), c.rip.str(),
                              mac_known ? " [" + c.remote_mac.str() + "]" : std::string(), c.ifname, c.source.str());
    if (c.tunnel)
        out.subject += fmt::format(" encap {}{}", encap_name(c.tunnel->type),
                                   c.routed() ? " gateway " + c.next_hop.str() : std::string());
    if (s.rtt())
        out.rtt_ms = to_ms(*s.rtt());
    switch (out.verdict) {
    case Verdict::MacConflict: {
        std::string macs;
        for (const auto& m : s.macs_seen())
            macs += (macs.empty() ? "" : ", ") + m.str();
        out.detail = fmt::format("{} answered {} from {} MACs ({}): refusing to guess which is the {}",
                                 c.next_hop.str(), neighbour_protocol(c.next_hop), s.macs_seen().size(), macs,
                                 c.routed() ? "gateway" : "realserver");
        break;
    }
    case Verdict::RsUnreachable:
        out.detail = fmt::format("no {} reply from {}{} within {} ({} request{})", neighbour_protocol(c.next_hop),
                                 c.next_hop.str(), c.routed() ? " (the gateway to " + c.rip.str() + ")" : std::string(),
                                 format_duration(timeout_value), s.requests_sent(), s.requests_sent() == 1 ? "" : "s");
        break;
    case Verdict::NoReply:
        out.detail = fmt::format("no {} within {} ({} probe{})", kind.expected_reply(), format_duration(timeout_value),
                                 s.probes_sent(), s.probes_sent() == 1 ? "" : "s");
        break;
    case Verdict::ArpLeak:
        out.detail = fmt::format("{} in {:.2f} ms", s.leak()->what, out.rtt_ms.value_or(0));
        break;
    case Verdict::Error:
        if (!s.evidence()) {
            out.detail = fmt::format("{} resolved, but no probe went out within {}: the prober was behind (a local "
                                     "problem, not the realserver's)",
                                     c.next_hop.str(), format_duration(timeout_value));
            break;
        }
        out.detail = fmt::format("{} in {:.2f} ms", s.evidence()->what, out.rtt_ms.value_or(0));
        break;
    case Verdict::Up:
        // The leak test's own `up` is silence; a probe's `up` under --arp-leak is both.
        if (!s.evidence())
            out.detail = arp_leak_silence(c, s.questions_sent(), timeout_value);
        else
            out.detail = fmt::format("{} in {:.2f} ms{}", s.evidence()->what, out.rtt_ms.value_or(0),
                                     s.leak_test() ? "; " + arp_leak_silence(c, s.questions_sent(), timeout_value)
                                                   : std::string());
        break;
    default:
        out.detail = fmt::format("{} in {:.2f} ms", s.evidence()->what, out.rtt_ms.value_or(0));
        break;
    }
    Field mac{"mac", nullptr};
    if (mac_known)
        mac.value = c.remote_mac.str();
    out.fields = {
        {"vip", c.vip.str()},
        {"rip", c.rip.str()},
        mac,
        {"interface", c.ifname},
        {"source", c.source.str()},
        {"attempts", std::int64_t{s.probes_sent()}},
    };
    if (c.tunnel) {
        out.fields.push_back({"encap", std::string(encap_name(c.tunnel->type))});
        out.fields.push_back({"next_hop", c.next_hop.str()});
    }
    for (auto& f : kind.report_fields(c, s.evidence() ? &*s.evidence() : nullptr))
        out.fields.push_back(std::move(f));
    // The leak members whenever the test ran or the watch fired, null when silent.
    if (s.leak()) {
        for (const auto& f : s.leak()->fields)
            out.fields.push_back(f);
    } else if (s.leak_test()) {
        out.fields.push_back({"arp_leak", nullptr});
        out.fields.push_back({"leak_frame", nullptr});
    }
    if (s.leak_test())
        out.fields.push_back({"questions", std::int64_t{s.questions_sent()}});
    return out;
}

void check_target(RouteLookup& routes, const ProbeOptions& o, const std::vector<RoutePrefix>* broadcast_routes)
{
    // Every rule that needs no kernel is check_target_rules' (target_rules.hpp), applied
    // where the options were read; these need the kernel's view.
    const ProbeTarget& t = o.target;
    // A subnet broadcast (192.0.2.255) passes the syntactic unicast check, but a probe
    // "for" it would be sent to one MAC and prove nothing about any VIP.
    const bool may_be_broadcast =
        !broadcast_routes || std::any_of(broadcast_routes->begin(), broadcast_routes->end(),
                                         [&](const RoutePrefix& p) { return p.contains(t.vip); });
    if (may_be_broadcast && routes.is_broadcast(t.vip))
        throw Error(fmt::format("bad VIP {}: the kernel routes it as a broadcast address, not a virtual "
                                "service address",
                                t.vip.str()));
}

Route probe_route(RouteLookup& routes, const ProbeOptions& o)
{
    const ProbeTarget& t = o.target;
    Route route =
        o.encap ? tunnel_route(routes, t.rip, o.interface, o.source) : direct_route(routes, t.rip, o.interface, o.source);
    if (route.source == t.vip)
        throw Error(fmt::format("the kernel would send from the VIP {} to reach {}: vipcheck never sends from the "
                                "VIP; give this host's own address with --source",
                                t.vip.str(), t.rip.str()));
    return route;
}

ProbeContext probe_context(RouteLookup& routes, const ProbeOptions& o, const Route& route)
{
    const ProbeTarget& t = o.target;
    ProbeContext c;
    c.ifindex = route.interface.index;
    c.ifname = route.interface.name;
    c.local_mac = route.interface.mac;
    c.source = route.source;
    c.vip = t.vip;
    c.rip = t.rip;
    c.next_hop = route.gateway.value_or(t.rip);
    c.port = t.port;
    c.ttl = o.ttl;
    c.attempts = o.attempts;
    if (o.mac)
        c.remote_mac = *o.mac;
    if (o.encap) {
        c.tunnel = Tunnel{*o.encap, route.source, o.encap_port};
        if (t.vip.family() != t.rip.family())
            c.source = inner_source(routes, route.interface, t.vip);
    }
    return c;
}

ProbePlan plan_probe(const ProbeOptions& o, RouteLookup& routes, const Trace& trace)
{
    const ProbeTarget& t = o.target;
    check_target(routes, o);
    ProbePlan plan{probe_route(routes, o), {}};
    const Route& route = plan.route;
    trace.step("route", "{}{} dev {} src {} table {} (mac {})", t.rip.str(),
               route.gateway && !(*route.gateway == t.rip) ? " via " + route.gateway->str() : std::string(),
               route.interface.name, route.source.str(), route.table, route.interface.mac.str());
    ProbeContext& c = plan.context;
    c = probe_context(routes, o, route);
    c.nonce = Nonce::random();
    if (c.tunnel)
        trace.step("tunnel", "{} {} -> {}{}, inside: {} -> {} ttl {}", encap_name(c.tunnel->type),
                   c.tunnel->source.str(), t.rip.str(),
                   c.tunnel->type == EncapType::Gue ? fmt::format(" port {}", c.tunnel->port) : std::string(),
                   c.source.str(), t.vip.str(), o.ttl);
    if (o.mac)
        trace.step("match", "replies must come from {} (--mac), {}", o.mac->str(), expected_mac_reason(c));
    return plan;
}

Outcome run_probe(const ProbeOptions& o, const ProbeKind& kind, const SignalWatch& signals, const Trace& trace,
                  TimePoint start)
{
    if (auto signo = signals.pending())
        throw_interrupted(*signo);
    RouteLookup routes;
    const ProbePlan probe = plan_probe(o, routes, trace);
    const Route& route = probe.route;
    const ProbeContext& c = probe.context;

    const SessionPlan plan{o.timeout, o.attempts, !o.mac, o.arp_leak};
    const std::string filter = session_capture_filter(kind, c, plan);
    Link link(route.interface, filter);
    trace.step("capture", "on {}: {}", c.ifname, filter);
    // Every socket this run needs is open now (netlink above, the packet socket here):
    // the code that parses frames from the wire runs without any capability.
    drop_capabilities();
    trace.step("privilege", "dropped every capability, no_new_privs set");

    // One session, so its own loop rather than vipcheckd's ProbeLoop: a lone run's
    // kernel filter is narrowed to its own nonce (session_capture_filter), which a
    // capture shared by many sessions cannot be. Everything that decides (the session,
    // the kinds, describe) is the same code in both loops.
    FrameBuilder builder;
    ProbeSession session(kind, c, plan, start, trace);
    std::vector<Frame> out;
    const auto flush = [&] {
        for (const auto& frame : out)
            link.send(frame);
        out.clear();
    };

    for (;;) {
        TimePoint now = Clock::now();
        session.on_timer(now, builder, out);
        flush();
        if (session.finished(now))
            break;
        pollfd fds[2] = {{link.fd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
        const timespec wait = poll_wait(now, session.next_wakeup());
        if (ppoll(fds, 2, &wait, nullptr) < 0 && errno != EINTR)
            throw_system_error("ppoll", errno);
        if (fds[1].revents)
            if (auto signo = signals.pending())
                throw_interrupted(*signo);
        if (fds[0].revents) {
            link.drain([&](Bytes bytes, TimePoint at) { session.on_frame({bytes, link.ifindex()}, at, builder, out); });
            flush();
        }
    }
    if (session.frames_ignored() > 0)
        trace.step("capture", "{} frame{} did not match this run and were ignored", session.frames_ignored(),
                   session.frames_ignored() == 1 ? "" : "s");
    return describe(session, kind, o.timeout, start);
}

} // namespace vipcheck
