#include "vipcheck/options.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <net/if.h>

#include "vipcheck/error.hpp"

namespace vipcheck {

std::optional<Duration> parse_duration(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.'))
        ++i;
    const std::string_view number = text.substr(0, i);
    const std::string_view unit = text.substr(i);
    if (number.empty() || number.size() > 12 || number.front() == '.' || number.back() == '.')
        return std::nullopt;
    double value = 0;
    if (auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
        ec != std::errc() || p != number.data() + number.size())
        return std::nullopt;

    double ns_per_unit;
    if (unit.empty() || unit == "s")
        ns_per_unit = 1e9;
    else if (unit == "ms")
        ns_per_unit = 1e6;
    else if (unit == "us")
        ns_per_unit = 1e3;
    else if (unit == "m")
        ns_per_unit = 60e9;
    else
        return std::nullopt;

    const double ns = value * ns_per_unit;
    // Below a microsecond no probe can be answered; above an hour it is a typo.
    if (!std::isfinite(ns) || ns < 1e3 || ns > 3600e9)
        return std::nullopt;
    return Duration(static_cast<std::int64_t>(ns));
}

std::string format_duration(Duration d)
{
    const auto ns = d.count();
    if (ns % 1'000'000'000 == 0)
        return fmt::format("{}s", ns / 1'000'000'000);
    if (ns % 1'000'000 == 0)
        return fmt::format("{}ms", ns / 1'000'000);
    return fmt::format("{}us", ns / 1'000);
}

std::uint16_t parse_port(std::string_view text, std::string_view what)
{
    unsigned value = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || p != text.data() + text.size() || value > 65535)
        throw Error(fmt::format("bad {} '{}': expected a port number from 0 to 65535", what, text));
    return static_cast<std::uint16_t>(value);
}

namespace {

IpAddress parse_host(std::string_view text, std::string_view what)
{
    if (auto a = IpAddress::parse(text))
        return *a;
    throw Error(fmt::format("bad {} '{}': expected an IPv4 or IPv6 address", what, text));
}

bool is_fwmark(std::string_view text)
{
    if (text.empty() || text.size() > 10)
        return false;
    for (char c : text)
        if (c < '0' || c > '9')
            return false;
    return true;
}

IpAddress parse_vip(std::string_view text, std::string_view vip_option)
{
    if (is_fwmark(text)) {
        if (vip_option.empty())
            throw Error(fmt::format("VIP '{}' is a fwmark number: give the virtual address with --vip "
                                    "(or vip= in the config file)",
                                    text));
        return parse_host(vip_option, "--vip");
    }
    IpAddress vip = parse_host(text, "VIP");
    if (!vip_option.empty() && !(parse_host(vip_option, "--vip") == vip))
        throw Error(fmt::format("--vip {} contradicts the VIP argument {}", vip_option, text));
    return vip;
}

} // namespace

ProbeTarget parse_probe_target(const std::vector<std::string>& args, PortUse ports, std::string_view vip_option)
{
    ProbeTarget t;
    if (args.size() == 4) {
        t.ldirectord_form = true;
        t.vip = parse_vip(args[0], vip_option);
        t.port = parse_port(args[1], "VPORT");
        t.rip = parse_host(args[2], "RIP");
        t.rport = parse_port(args[3], "RPORT");
        // A fwmark service has no virtual port: the realserver port is what listens.
        if (t.port == 0)
            t.port = t.rport;
    } else if (ports == PortUse::None && args.size() == 2) {
        t.vip = parse_vip(args[0], vip_option);
        t.rip = parse_host(args[1], "RIP");
    } else if (ports == PortUse::Required && args.size() == 3) {
        t.vip = parse_vip(args[0], vip_option);
        t.port = parse_port(args[1], "PORT");
        t.rip = parse_host(args[2], "RIP");
        t.rport = t.port;
    } else {
        throw Error(fmt::format("expected {} or VIP VPORT RIP RPORT, got {} argument{}",
                                ports == PortUse::None ? "VIP RIP" : "VIP PORT RIP [RPORT]", args.size(),
                                args.size() == 1 ? "" : "s"));
    }
    return t;
}

bool valid_interface_name(std::string_view name)
{
    return name.size() < IF_NAMESIZE && name.find_first_of("/: \t\n") == std::string_view::npos;
}

std::string checked_interface(const std::string& name)
{
    if (!valid_interface_name(name))
        throw Error(fmt::format("bad interface name '{}'", name));
    return name;
}

std::optional<IpAddress> checked_source(const std::string& text)
{
    if (text.empty())
        return std::nullopt;
    auto src = IpAddress::parse(text);
    if (!src || src->is_unspecified() || src->is_multicast() || src->is_broadcast())
        throw Error(fmt::format("bad --source '{}': expected a unicast IP address of this host", text));
    return src;
}

Duration checked_timeout(const std::string& text)
{
    const auto timeout = parse_duration(text);
    if (!timeout)
        throw Error(fmt::format("bad --timeout '{}': expected a duration from 1us to 1h such as 300ms or 2s", text));
    return *timeout;
}

int checked_attempts(int attempts)
{
    if (attempts < 1 || attempts > 100)
        throw Error(fmt::format("bad --attempts {}: expected 1 to 100", attempts));
    return attempts;
}

ProbeOptions make_probe_options(const CommonOptions& common, ProbeTarget target)
{
    ProbeOptions o;
    o.target = std::move(target);
    o.output = common.output;
    o.interface = common.interface;
    if (!common.source.empty()) {
        o.source = IpAddress::parse(common.source);
        if (!o.source)
            throw Error(fmt::format("bad --source '{}': expected an IPv4 or IPv6 address of this host",
                                    common.source));
    }
    if (!common.mac.empty()) {
        o.mac = MacAddress::parse(common.mac);
        if (!o.mac)
            throw Error(fmt::format("bad --mac '{}': expected the realserver's MAC as xx:xx:xx:xx:xx:xx", common.mac));
    }
    o.timeout = checked_timeout(common.timeout);
    o.attempts = common.attempts;
    // Only what the typed field cannot hold is refused here; the range that makes
    // sense is check_target_rules'.
    if (common.ttl < 0 || common.ttl > 255)
        throw Error(fmt::format("bad --ttl {}: expected 1 to 255", common.ttl));
    o.ttl = static_cast<std::uint8_t>(common.ttl);
    if (!common.encap.empty()) {
        o.encap = parse_encap(common.encap);
        if (!o.encap)
            throw Error(fmt::format("bad --encap '{}': expected ipip, gue or gre (the realserver's LVS tunnel "
                                    "type)",
                                    common.encap));
    }
    if (common.encap_port < 0 || common.encap_port > 65535)
        throw Error(fmt::format("bad --encap-port {}: expected the realserver's GUE port from 1 to 65535",
                                common.encap_port));
    o.encap_port = static_cast<std::uint16_t>(common.encap_port);
    o.arp_leak = common.arp_leak;
    return o;
}

} // namespace vipcheck
