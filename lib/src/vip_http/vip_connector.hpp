// The transport of vip-http-check: one HTTP(S) transfer over a user-space TCP connection
// (UserTcp) to the VIP at one realserver's MAC, every frame with the probe's TTL, and
// libcurl on the far end of a socket pair relayed to that connection (Relay).
#pragma once

#include <memory>

#include "http/http_transport.hpp"
#include "vipcheck/options.hpp"
#include "vipcheck/route.hpp"
#include "vipcheck/trace.hpp"

namespace vipcheck {

// The Connector that carries one transfer over a user-space TCP connection to the VIP
// at the realserver's MAC. Opens its link (CAP_NET_RAW) on construction.
std::unique_ptr<Connector> make_vip_connector(const ProbeOptions& probe, const Trace& trace,
                                              Clock::time_point deadline);

// Whether `address` is one of this host's (a director holding the VIP drops the
// realserver's answers from it as martians; one that does not would reset them).
bool holds_address(RouteLookup& routes, const IpAddress& address);

} // namespace vipcheck
