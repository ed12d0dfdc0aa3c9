// The one option set shared by every vipcheck binary, and the pure functions that turn
// its text into checked values. Parsing the command line itself is cli.hpp's job.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vipcheck/address.hpp"
#include "vipcheck/encap.hpp"

namespace vipcheck {

using Duration = std::chrono::nanoseconds;

// "300ms", "2s", "1.5s", "250us", "1m"; a bare number is seconds, as keepalived writes
// its timeouts. Anything else, zero, negative or over one hour is nullopt.
std::optional<Duration> parse_duration(std::string_view text);
std::string format_duration(Duration d);

struct OutputOptions {
    bool quiet = false;
    bool verbose = false;
    bool json = false;
    bool nagios = false;
    bool syslog = false;

    bool operator==(const OutputOptions&) const = default;
};

// As the user wrote them; read into typed values by make_probe_options / the HTTP check.
struct CommonOptions {
    std::string interface;
    std::string source;
    std::string mac;
    std::string vip; // --vip: the address behind a fwmark service
    std::string timeout = "1s";
    int attempts = 3;
    int ttl = 1;
    std::string encap;   // --encap ipip|gue|gre: an LVS-TUN realserver
    int encap_port = 0;  // --encap-port: GUE's port (required with gue, as in LVS)
    bool arp_leak = false; // --arp-leak: the ARP-leak test rides along (arp_leak.hpp)
    OutputOptions output;
};

// A VIP probe's target after the positional arguments have been read in either form.
struct ProbeTarget {
    IpAddress vip;
    IpAddress rip;
    std::uint16_t port = 0;  // the port probed (the virtual port: DR/TUN keep it)
    std::uint16_t rport = 0; // the realserver port as ldirectord passed it
    bool ldirectord_form = false;

    bool operator==(const ProbeTarget&) const = default;
};

enum class PortUse { None, Required };

// Reads `VIP RIP` (PortUse::None), `VIP PORT RIP [RPORT]` (PortUse::Required), or
// ldirectord's `VIP VPORT RIP RPORT` (both). Throws Error naming an argument that is not
// an address or a port; what a target may be is check_target_rules' (target_rules.hpp).
ProbeTarget parse_probe_target(const std::vector<std::string>& args, PortUse ports, std::string_view vip_option);

std::uint16_t parse_port(std::string_view text, std::string_view what);

// mgmt-http-check's checks of the shared options, each throwing Error that names the
// bad value: an interface name the kernel could hold ("" stays ""), a unicast --source,
// the --timeout duration and the --attempts count. (A VIP probe's are
// check_target_rules'.)
std::string checked_interface(const std::string& name);
// The kernel's own rule for device names (dev_valid_name): short, no '/', ':' or white
// space. "" is valid here: the kernel's choice.
bool valid_interface_name(std::string_view name);
std::optional<IpAddress> checked_source(const std::string& text);
Duration checked_timeout(const std::string& text);
int checked_attempts(int attempts);

struct ProbeOptions {
    ProbeTarget target;
    std::string interface;            // empty: the kernel's choice
    std::optional<IpAddress> source;  // nullopt: the kernel's choice
    std::optional<MacAddress> mac;    // set: skip neighbour resolution
    Duration timeout = std::chrono::seconds(1);
    int attempts = 3;
    std::uint8_t ttl = 1;
    std::optional<EncapType> encap;  // set: probe through an LVS tunnel to the RIP
    std::uint16_t encap_port = 0;    // GUE's destination port
    bool arp_leak = false;           // also run the ARP-leak test; `up` needs both
    OutputOptions output;

    bool operator==(const ProbeOptions&) const = default;
};

// Reads every common option's text into its typed value and combines it with the
// target. Throws Error naming text that is no value of its type (an address, a MAC, a
// duration, a tunnel type); whether the values make a target that can be probed is
// check_target_rules' (target_rules.hpp), which every caller applies next.
ProbeOptions make_probe_options(const CommonOptions& common, ProbeTarget target);

} // namespace vipcheck
