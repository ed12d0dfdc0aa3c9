#include "vipcheck/neighbour.hpp"

#include <fmt/format.h>

#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

// A MAC that can be the next hop's: unicast, set, and not our own (a frame of ours
// looped back, or a forgery, never names the realserver).
bool usable(const MacAddress& m, const NeighbourQuery& q)
{
    return !m.is_zero() && !m.is_multicast() && !(m == q.local_mac);
}

std::optional<MacAddress> arp_answer(const EthernetFrame& eth, const NeighbourQuery& q)
{
    if (eth.type != ethertype_arp)
        return std::nullopt;
    const auto arp = parse_arp(eth.payload);
    if (!arp || arp->operation != 2 || !(arp->sender_ip == q.target) || !(arp->target_ip == q.sender()) ||
        !(arp->target_mac == q.local_mac) || !(arp->sender_mac == eth.source) || !usable(arp->sender_mac, q))
        return std::nullopt;
    return arp->sender_mac;
}

// RFC 4861 7.1.2 validation of a neighbour advertisement, plus: solicited, for our
// target, to our address.
std::optional<MacAddress> nd_answer(const EthernetFrame& eth, const NeighbourQuery& q)
{
    if (eth.type != ethertype_ipv6)
        return std::nullopt;
    const auto ip = parse_ipv6(eth.payload);
    // Hop limit 255: the advertisement was not routed from somewhere else.
    if (!ip || ip->protocol != protocol_icmpv6 || ip->ttl != 255 || !(ip->destination == q.source) ||
        ip->source.is_unspecified() || ip->source.is_multicast())
        return std::nullopt;
    const auto icmp = parse_icmp(*ip); // checksum verified
    if (!icmp || icmp->type != nd_advertisement || icmp->code != 0 || icmp->data.size() < 16)
        return std::nullopt;
    const std::uint8_t flags = static_cast<std::uint8_t>(icmp->id >> 8);
    if (!(flags & nd_flag_solicited) || !(IpAddress::v6_bytes(icmp->data.data()) == q.target))
        return std::nullopt;

    const auto option_mac = nd_link_address_option(icmp->data.subspan(16), nd_option_target_link_address);
    if (!option_mac)
        return std::nullopt;
    // The option names the MAC; without it (allowed in a unicast answer) the Ethernet
    // source does. Both present and different: a proxy or a forgery, never the RIP.
    const MacAddress mac = option_mac->value_or(eth.source);
    if (!(mac == eth.source) || !usable(mac, q))
        return std::nullopt;
    return mac;
}

} // namespace

IpAddress NeighbourQuery::sender() const
{
    return anonymous && target.is_v4() ? IpAddress::v4(0) : source;
}

NeighbourQuery neighbour_query(const ProbeContext& c, bool anonymous)
{
    return NeighbourQuery{c.ifindex, c.local_mac, c.tunnel ? c.tunnel->source : c.source, c.next_hop, anonymous};
}

const char* neighbour_protocol(const IpAddress& target)
{
    return target.is_v4() ? "ARP" : "ND";
}

Frame neighbour_request(FrameBuilder& b, const NeighbourQuery& q)
{
    if (q.target.family() != q.source.family())
        throw Error(fmt::format("cannot resolve {} from {}: different address families", q.target.str(),
                                q.source.str()));
    if (q.target.is_v4())
        return b.arp_request(q.local_mac, q.sender(), q.target);
    return b.neighbour_solicitation(q.local_mac, q.source, q.target);
}

std::optional<MacAddress> neighbour_answer(const CapturedFrame& f, const NeighbourQuery& q)
{
    if (f.ifindex != q.ifindex)
        return std::nullopt;
    const auto eth = parse_ethernet(f.bytes);
    if (!eth || !(eth->destination == q.local_mac))
        return std::nullopt;
    return q.target.is_v4() ? arp_answer(*eth, q) : nd_answer(*eth, q);
}

std::string neighbour_filter(const NeighbourQuery& q)
{
    if (q.target.is_v4())
        return fmt::format("(arp and ether dst {} and arp[6:2] == 2)", q.local_mac.str());
    // A solicited advertisement comes to our unicast address: ICMPv6 type 136 right
    // after the IPv6 header.
    return fmt::format("(icmp6 and ether dst {} and ip6[6] == 58 and ip6[40] == 136 and dst host {})",
                       q.local_mac.str(), q.source.str());
}

} // namespace vipcheck
