#include "vipcheck/demux.hpp"

#include <fmt/format.h>

namespace vipcheck {

namespace {

constexpr std::uint8_t icmp4 = 1, tcp = 6, icmp6 = 58;

bool is_echo_reply(const IpPacket& ip, std::uint8_t type) { return type == (ip.source.is_v4() ? 0 : 129); }
bool is_echo_request(const IpPacket& ip, std::uint8_t type) { return type == (ip.source.is_v4() ? 8 : 128); }
bool is_error(const IpPacket& ip, std::uint8_t type)
{
    return ip.source.is_v4() ? (type == 3 || type == 11) : (type == 1 || type == 3);
}

std::optional<NonceKey> quoted_key(const IpPacket& error_ip, Bytes quoted_bytes)
{
    const auto quoted = error_ip.source.is_v4() ? parse_ipv4(quoted_bytes, true) : parse_ipv6(quoted_bytes, true);
    if (!quoted)
        return std::nullopt;
    if (quoted->protocol == tcp) {
        if (const auto t = parse_tcp(*quoted, true))
            return NonceKey{tcp, t->source_port};
        return std::nullopt;
    }
    if (quoted->protocol == icmp4 || quoted->protocol == icmp6) {
        const auto m = parse_icmp(*quoted, true);
        if (m && is_echo_request(*quoted, m->type))
            return NonceKey{icmp4, m->id};
    }
    return std::nullopt;
}

} // namespace

std::optional<NonceKey> reply_key(Bytes frame)
{
    const auto eth = parse_ethernet(frame);
    if (!eth)
        return std::nullopt;
    std::optional<IpPacket> ip;
    if (eth->type == ethertype_ipv4)
        ip = parse_ipv4(eth->payload);
    else if (eth->type == ethertype_ipv6)
        ip = parse_ipv6(eth->payload);
    if (!ip)
        return std::nullopt;
    if (ip->protocol == tcp) {
        if (const auto t = parse_tcp(*ip))
            return NonceKey{tcp, t->destination_port};
        return std::nullopt;
    }
    if (ip->protocol != (ip->source.is_v4() ? icmp4 : icmp6))
        return std::nullopt;
    const auto m = parse_icmp(*ip);
    if (!m)
        return std::nullopt;
    if (is_echo_reply(*ip, m->type))
        return NonceKey{icmp4, m->id};
    if (is_error(*ip, m->type))
        return quoted_key(*ip, m->data);
    return std::nullopt;
}

std::vector<IpAddress> leak_subjects(Bytes frame)
{
    std::vector<IpAddress> out;
    const auto eth = parse_ethernet(frame);
    if (!eth)
        return out;
    if (eth->type == ethertype_arp) {
        if (const auto arp = parse_arp(eth->payload))
            out.push_back(arp->sender_ip);
        return out;
    }
    if (eth->type != ethertype_ipv6)
        return out;
    const auto ip = parse_ipv6(eth->payload);
    if (!ip || ip->protocol != icmp6)
        return out;
    const auto m = parse_icmp(*ip);
    if (!m || (m->type != 135 && m->type != 136))
        return out;
    out.push_back(ip->source);
    if (m->type == 136 && m->data.size() >= 16)
        out.push_back(IpAddress::v6_bytes(m->data.data()));
    return out;
}

std::string shared_capture_filter(const MacAddress& local_mac)
{
    // All ARP and neighbour solicitations and advertisements: the shared resolution's
    // answers, and the ARP-leak watch (announcements are broadcast). To us: echo
    // replies, SYN-ACKs, RSTs and ICMP errors for the probes. A director's client
    // traffic (SYNs, ACKs and data to its VIPs) stays in the kernel.
    // pcap gives `and` and `or` the same precedence: every group is parenthesised.
    return fmt::format("arp or (icmp6 and ip6[6] == 58 and (ip6[40] == 135 or ip6[40] == 136)) or "
                       "(ether dst {} and ("
                       "(icmp and (icmp[icmptype] == icmp-echoreply or icmp[icmptype] == icmp-timxceed or "
                       "icmp[icmptype] == icmp-unreach)) or "
                       "(tcp and tcp[tcpflags] & tcp-ack != 0 and tcp[tcpflags] & (tcp-syn|tcp-rst) != 0) or "
                       "(ip6 and ip6[6] == 58 and (ip6[40] == 129 or ip6[40] == 1 or ip6[40] == 3)) or (ip6 and ip6[6] == 6 and ip6[53] & 0x10 != 0 and ip6[53] & 0x06 != 0)))",
                       local_mac.str());
}

} // namespace vipcheck
