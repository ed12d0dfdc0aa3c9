// vipcheckd's `services:`: a VIP, its planes and rules, and its realservers, each
// (realserver, plane) made one target as `targets:` has them. See vipcheckd(8), SERVICES.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "daemon/config_reader.hpp"

namespace vipcheck {

// The state-file name of one realserver of a service, judged from its planes:
// "web.192.0.2.11" (an IPv6 address with '-' for ':', '_' for a scope's '%'). Flat,
// beside the targets' files rather than in a directory per service: keepalived 2.2.7
// drops a track_file whose directory does not exist when it starts (its init_file
// creates only the file), and the realserver is then pooled by a FILE_CHECK with
// nothing to track; the state directory itself is made at boot (tmpfiles.d).
std::string realserver_state_name(const std::string& service, const IpAddress& rip);
// The state-file name of one plane of one realserver: "web.192.0.2.11.vip-icmp".
std::string service_target_name(const std::string& service, const IpAddress& rip, Plane plane);

// Reads the list `list` into config.services and appends every plane's target to
// config.targets. `names` holds the target names taken so far; a service's target
// may not take one again. Throws ConfigError at the line at fault.
void read_services(const Reader& r, const YamlNode& list, DaemonConfig& config, std::set<std::string>& names);

} // namespace vipcheck
