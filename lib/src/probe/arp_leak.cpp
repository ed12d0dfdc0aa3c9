#include "vipcheck/arp_leak.hpp"

#include <fmt/format.h>

#include "vipcheck/error.hpp"
#include "vipcheck/icmp_echo.hpp"

namespace vipcheck {

namespace {

Evidence leak(std::string what, std::string_view kind, std::string frame)
{
    return Evidence{Verdict::ArpLeak, 0, std::move(what), {{"arp_leak", std::string(kind)}, {"leak_frame", frame}}};
}

std::optional<Evidence> arp_leak_v4(const EthernetFrame& eth, const ProbeContext& c, LeakWords counted)
{
    if (eth.type != ethertype_arp)
        return std::nullopt;
    const auto arp = parse_arp(eth.payload);
    if (!arp || !(arp->sender_ip == c.vip) || (arp->operation != 1 && arp->operation != 2))
        return std::nullopt;
    const std::string mac = arp->sender_mac.str();
    const std::string vip = c.vip.str();
    if (arp->operation == 2 && arp->target_ip == c.source && eth.destination == c.local_mac) {
        if (counted == LeakWords::Announcements)
            return std::nullopt;
        return leak(fmt::format("answered who-has {} from {}: ARP {} is-at {}", vip, eth.source.str(), vip, mac),
                    "answered-who-has", fmt::format("ARP reply {} is-at {} to {}", vip, mac, c.source.str()));
    }
    if (arp->operation == 1 && !(arp->target_ip == c.vip))
        return leak(fmt::format("announced {} as its ARP sender address: ARP who-has {} tell {} from {}", vip,
                                arp->target_ip.str(), vip, mac),
                    "announced-sender",
                    fmt::format("ARP who-has {} tell {} ({}) to {}", arp->target_ip.str(), vip, mac,
                                eth.destination.str()));
    return leak(fmt::format("announced {} with a gratuitous ARP {}: {} is-at {}", vip,
                            arp->operation == 1 ? "request" : "reply", vip, mac),
                "gratuitous",
                fmt::format("ARP {} {} is-at {} to {}", arp->operation == 1 ? "request" : "reply", vip, mac,
                            eth.destination.str()));
}

// The MAC an ND message names for its subject: its link-layer address option of `type`
// (1 source, 2 target), else the Ethernet source; nullopt when the options are malformed.
std::optional<MacAddress> nd_link_address(Bytes options, std::uint8_t type, const MacAddress& fallback)
{
    const auto option = nd_link_address_option(options, type);
    if (!option)
        return std::nullopt;
    return option->value_or(fallback);
}

std::optional<Evidence> arp_leak_v6(const EthernetFrame& eth, const ProbeContext& c, LeakWords counted)
{
    if (eth.type != ethertype_ipv6)
        return std::nullopt;
    const auto ip = parse_ipv6(eth.payload);
    // Hop limit 255: anything else every receiver drops (RFC 4861 7.1), so it poisons
    // no cache and proves nothing.
    if (!ip || ip->protocol != protocol_icmpv6 || ip->ttl != 255)
        return std::nullopt;
    const auto icmp = parse_icmp(*ip); // checksum verified
    if (!icmp || icmp->code != 0 || icmp->data.size() < 16 ||
        (icmp->type != nd_solicitation && icmp->type != nd_advertisement))
        return std::nullopt;
    const IpAddress target = IpAddress::v6_bytes(icmp->data.data());
    const std::string vip = c.vip.str();
    if (icmp->type == nd_advertisement && target == c.vip) {
        const auto mac = nd_link_address(icmp->data.subspan(16), nd_option_target_link_address, eth.source);
        if (!mac)
            return std::nullopt;
        const bool solicited = (static_cast<std::uint8_t>(icmp->id >> 8) & nd_flag_solicited) != 0;
        const std::string frame = fmt::format("NA {} is-at {} from {} to {}", vip, mac->str(), ip->source.str(),
                                              ip->destination.str());
        if (solicited && ip->destination == c.source) {
            if (counted == LeakWords::Announcements)
                return std::nullopt;
            return leak(fmt::format("answered a neighbour solicitation for {} from {}: {} is-at {}", vip,
                                    eth.source.str(), vip, mac->str()),
                        "answered-solicitation", frame);
        }
        return leak(fmt::format("advertised {} unsolicited: {} is-at {}", vip, vip, mac->str()), "advertised",
                    frame);
    }
    if (icmp->type == nd_solicitation && ip->source == c.vip) {
        const auto mac = nd_link_address(icmp->data.subspan(16), nd_option_source_link_address, eth.source);
        if (!mac)
            return std::nullopt;
        return leak(fmt::format("announced {} as its neighbour-discovery source: NS who-has {} tell {} from {}", vip,
                                target.str(), vip, mac->str()),
                    "announced-sender",
                    fmt::format("NS who-has {} tell {} ({}) to {}", target.str(), vip, mac->str(),
                                ip->destination.str()));
    }
    return std::nullopt;
}

} // namespace

Frame arp_leak_question(FrameBuilder& b, const ProbeContext& c)
{
    // Both would break vipcheck(7), SAFETY; the engine refuses them long before, this makes it
    // impossible for any caller.
    if (c.source == c.vip)
        throw Error(fmt::format("refusing to ask about VIP {} from the VIP itself", c.vip.str()));
    if (c.remote_mac.is_zero() || c.remote_mac.is_multicast())
        throw Error(fmt::format("refusing to ask about VIP {} other than unicast to the realserver's MAC",
                                c.vip.str()));
    if (c.vip.is_v4())
        return b.arp_request(c.local_mac, c.source, c.vip, c.remote_mac);
    return b.neighbour_solicitation(c.local_mac, c.source, c.vip, c.remote_mac);
}

std::optional<Evidence> arp_leak_evidence(const CapturedFrame& f, const ProbeContext& c, LeakWords counted)
{
    if (f.ifindex != c.ifindex || c.remote_mac.is_zero())
        return std::nullopt;
    const auto eth = parse_ethernet(f.bytes);
    if (!eth || !(eth->source == c.remote_mac))
        return std::nullopt;
    return c.vip.is_v4() ? arp_leak_v4(*eth, c, counted) : arp_leak_v6(*eth, c, counted);
}

std::string arp_leak_filter(const ProbeContext& c)
{
    const std::uint8_t* v = c.vip.data();
    if (c.vip.is_v4())
        // The sender protocol address, 14 bytes into an Ethernet/IPv4 ARP packet.
        return fmt::format("(arp and arp[14:4] == {})", load32(v));
    // ND with no extension header: the type at ip6[40], the target at ip6[48..63].
    return fmt::format("(icmp6 and ip6[6] == 58 and ip6[7] == 255 and (ip6[40] == 135 or ip6[40] == 136) and "
                       "(src host {} or (ip6[48:4] == {} and ip6[52:4] == {} and ip6[56:4] == {} and "
                       "ip6[60:4] == {})))",
                       c.vip.str(), load32(v), load32(v + 4), load32(v + 8), load32(v + 12));
}

std::string arp_leak_silence(const ProbeContext& c, int questions, Duration timeout)
{
    return fmt::format("no {} for {} and no announcement of it within {} ({} question{})",
                       c.vip.is_v4() ? "ARP answer" : "neighbour advertisement", c.vip.str(),
                       format_duration(timeout), questions, questions == 1 ? "" : "s");
}

Frame ArpLeakProbe::build(FrameBuilder& b, const ProbeContext& c, int attempt) const
{
    return EchoProbe{}.build(b, c, attempt);
}

std::optional<Evidence> ArpLeakProbe::classify(const CapturedFrame& f, const ProbeContext& c) const
{
    return arp_leak_evidence(f, c, LeakWords::AnswersToo);
}

} // namespace vipcheck
