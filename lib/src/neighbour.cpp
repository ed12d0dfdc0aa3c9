#include "vipcheck/neighbour.hpp"

#include <fmt/format.h>

#include "vipcheck/error.hpp"

namespace vipcheck {

Frame neighbour_request(FrameBuilder& b, const NeighbourQuery& q)
{
    if (!q.target.is_v4())
        throw Error(fmt::format("cannot resolve {}: IPv6 neighbour discovery is not supported yet; give the "
                                "realserver's MAC with --mac",
                                q.target.str()));
    return b.arp_request(q.local_mac, q.source, q.target);
}

std::optional<MacAddress> neighbour_answer(const CapturedFrame& f, const NeighbourQuery& q)
{
    if (f.ifindex != q.ifindex || !q.target.is_v4())
        return std::nullopt;
    const auto eth = parse_ethernet(f.bytes);
    if (!eth || eth->type != ethertype_arp || !(eth->destination == q.local_mac))
        return std::nullopt;
    const auto arp = parse_arp(eth->payload);
    if (!arp || arp->operation != 2 || !(arp->sender_ip == q.target) || !(arp->target_ip == q.source) ||
        !(arp->target_mac == q.local_mac) || !(arp->sender_mac == eth->source) || arp->sender_mac.is_zero() ||
        arp->sender_mac.is_multicast())
        return std::nullopt;
    return arp->sender_mac;
}

std::string neighbour_filter(const NeighbourQuery& q)
{
    if (q.target.is_v4())
        return fmt::format("(arp and ether dst {} and arp[6:2] == 2)", q.local_mac.str());
    return fmt::format("(icmp6 and dst host {})", q.source.str());
}

} // namespace vipcheck
