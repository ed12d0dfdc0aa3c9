// vip-http-check: a whole HTTP(S) exchange with the VIP, served by one realserver. The
// TCP connection runs in user space (UserTcp) over the probe's link: every frame to the
// realserver's MAC with the probe's TTL, so a connection that completes was served by
// that realserver and no other. libcurl speaks HTTP and TLS over a socket pair whose
// other end is relayed to that connection; the judging is mgmt-http-check's.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vipcheck/cli.hpp"
#include "http/http_options.hpp"
#include "http/http_transport.hpp"
#include "vipcheck/options.hpp"

namespace vipcheck {

// `URL RIP`, or ldirectord's `VIP VPORT RIP RPORT`: the positionals that name the URL
// (as make_http_options reads them) and the realserver. The ldirectord form's VIP is
// read here, once; the URL form's is the URL's host. Throws Error.
struct VipHttpPositionals {
    std::vector<std::string> url; // {URL}, or {VIP, VPORT, VIP, VPORT} for the ldirectord form
    std::optional<IpAddress> vip; // the ldirectord form's
    IpAddress rip;
};
VipHttpPositionals split_vip_http_positionals(const std::vector<std::string>& positionals, const std::string& vip_option);

// The probe's options: the VIP (the ldirectord form's, else the URL's host), the RIP
// and the URL's port, with the common options, checked by check_target_rules. Throws
// Error naming the bad value.
ProbeOptions vip_http_probe_options(const CommonOptions& common, const VipHttpPositionals& positionals,
                                    const HttpTarget& url);

// What vip-http-check asks of the HTTP request, whoever runs it: one transfer (TCP itself
// retransmits what is lost) and "Connection: close" unless a header says otherwise.
void vip_http_request(HttpOptions& http);

// vip-http-check's command line: its synopsis and the options it accepts (the HTTP
// ones, and the VIP probes' but --attempts and --encap).
CommandSpec vip_http_command();
// The whole of vip-http-check's main().
int vip_http_main(int argc, const char* const* argv);

} // namespace vipcheck
