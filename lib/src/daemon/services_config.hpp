// vipcheckd's `services:`: a VIP, its planes and rules, and its realservers, each
// (realserver, plane) made one target as `targets:` has them. See vipcheckd(8), SERVICES.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "daemon/config_reader.hpp"

namespace vipcheck {

// The state-file name of one plane of one realserver: "web.192.0.2.11.vip-icmp"
// (an IPv6 address with '-' for ':').
std::string service_target_name(const std::string& service, const IpAddress& rip, Plane plane);

// Reads the list `list` into config.services and appends every plane's target to
// config.targets. `names` holds the target names taken so far; a service's target
// may not take one again. Throws ConfigError at the line at fault.
void read_services(const Reader& r, const YamlNode& list, DaemonConfig& config, std::set<std::string>& names);

} // namespace vipcheck
