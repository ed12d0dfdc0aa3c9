#include "vip_http/vip_http.hpp"

#include <strings.h>

#include <fmt/format.h>

#include <algorithm>
#include <exception>

#include "vipcheck/cli.hpp"
#include "vipcheck/deadline.hpp"
#include "vipcheck/error.hpp"
#include "http/http_check.hpp"
#include "vip_http/vip_connector.hpp"
#include "vipcheck/target_rules.hpp"

namespace vipcheck {

VipHttpPositionals split_vip_http_positionals(const std::vector<std::string>& p, const std::string& vip_option)
{
    VipHttpPositionals out;
    if (p.size() == 2) {
        out.url = {p[0]};
        const auto rip = IpAddress::parse(p[1]);
        if (!rip)
            throw Error(fmt::format("bad RIP '{}': expected an IPv4 or IPv6 address", p[1]));
        out.rip = *rip;
        return out;
    }
    if (p.size() == 4) {
        const ProbeTarget t = parse_probe_target(p, PortUse::Required, vip_option);
        // The URL's text is for curl only: the probe takes the VIP read here, not the
        // URL's host read back.
        const std::string port = std::to_string(t.port);
        out.url = {t.vip.str(), port, t.vip.str(), port};
        out.vip = t.vip;
        out.rip = t.rip;
        return out;
    }
    throw Error(fmt::format("expected URL RIP or VIP VPORT RIP RPORT, got {} argument{}", p.size(),
                            p.size() == 1 ? "" : "s"));
}

ProbeOptions vip_http_probe_options(const CommonOptions& common, const VipHttpPositionals& positionals,
                                    const HttpTarget& url)
{
    if (!positionals.vip && !url.literal)
        throw Error(fmt::format("the URL's host '{}' must be the VIP's address (give a name with --host)", url.host));
    ProbeTarget target;
    target.vip = positionals.vip ? *positionals.vip : *url.literal;
    target.rip = positionals.rip;
    target.port = url.port; // --port may override the ldirectord form's
    target.ldirectord_form = positionals.vip.has_value();
    ProbeOptions probe = make_probe_options(common, target);
    // A user-space TCP connection to the realserver's MAC: on this link only.
    check_target_rules(probe, {"vip-http-check", PortUse::Required, false, false}, Spelling::CommandLine);
    return probe;
}

void vip_http_request(HttpOptions& http)
{
    // One connection per run: TCP itself retransmits what is lost.
    http.attempts = 1;
    // The realserver closes first, so that its side of the connection ends in
    // TIME-WAIT rather than waiting on our last ACK.
    if (std::none_of(http.headers.begin(), http.headers.end(), [](const std::string& h) {
            return h.size() >= 11 && strncasecmp(h.c_str(), "connection:", 11) == 0;
        }))
        http.headers.push_back("Connection: close");
}

namespace {

HttpResult run_vip_http(const char* tool, CommandLine& cli, HttpArgs& args, const SignalWatch& signals)
{
    const VipHttpPositionals positionals = split_vip_http_positionals(cli.positionals(), cli.common().vip);
    HttpOptions http = make_http_options(cli.common(), args, positionals.url);
    const ProbeOptions probe = vip_http_probe_options(cli.common(), positionals, http.target);
    vip_http_request(http);

    const Trace trace(tool, http.output.verbose);
    const Clock::time_point origin = process_deadline_origin(http.timeout);
    const auto connector =
        make_vip_connector(probe, trace, origin + std::chrono::duration_cast<Clock::duration>(http.timeout));
    return run_http_check(tool, http, signals, trace, origin, connector.get());
}

} // namespace

CommandSpec vip_http_command()
{
    return {"vip-http-check",
            "Prove from the director that one realserver serves HTTP(S) correctly on the VIP.",
            {"URL RIP                  (URL's host is the VIP)",
             "VIP VPORT RIP RPORT      (ldirectord's form: fetches http://VIP:VPORT/, see --scheme, --path)"},
            {.frames = true, .fwmark_vip = true}};
}

int vip_http_main(int argc, const char* const* argv)
{
    static constexpr const char* tool = "vip-http-check";
    return http_tool_main(argc, argv, vip_http_command(), Redirects::Never,
                          [](CommandLine& cli, HttpArgs& args, const SignalWatch& signals) {
                              return run_vip_http(tool, cli, args, signals);
                          });
}

} // namespace vipcheck
