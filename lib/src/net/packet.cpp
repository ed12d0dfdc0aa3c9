#include "vipcheck/packet.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace vipcheck {

std::uint32_t checksum_add(Bytes data, std::uint32_t sum)
{
    std::size_t i = 0;
    for (; i + 1 < data.size(); i += 2)
        sum += load16(&data[i]);
    if (i < data.size())
        sum += static_cast<std::uint32_t>(data[i] << 8);
    return sum;
}

std::uint16_t checksum_fold(std::uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::optional<EthernetFrame> parse_ethernet(Bytes frame)
{
    if (frame.size() < 14)
        return std::nullopt;
    EthernetFrame e;
    e.destination = MacAddress(frame.data());
    e.source = MacAddress(frame.data() + 6);
    e.type = load16(frame.data() + 12);
    e.payload = frame.subspan(14);
    return e;
}

std::optional<ArpPacket> parse_arp(Bytes p)
{
    // htype 1 (Ethernet), ptype IPv4, hlen 6, plen 4.
    if (p.size() < 28 || load16(&p[0]) != 1 || load16(&p[2]) != ethertype_ipv4 || p[4] != 6 || p[5] != 4)
        return std::nullopt;
    ArpPacket a;
    a.operation = load16(&p[6]);
    a.sender_mac = MacAddress(&p[8]);
    a.sender_ip = IpAddress::v4_bytes(&p[14]);
    a.target_mac = MacAddress(&p[18]);
    a.target_ip = IpAddress::v4_bytes(&p[24]);
    return a;
}

std::optional<IpPacket> parse_ipv4(Bytes d, bool quoted)
{
    if (d.size() < 20 || (d[0] >> 4) != 4)
        return std::nullopt;
    const std::size_t header_length = static_cast<std::size_t>(d[0] & 0x0f) * 4;
    const std::size_t total = load16(&d[2]);
    if (header_length < 20 || header_length > d.size() || total < header_length)
        return std::nullopt;
    if (!quoted && (total > d.size() || checksum_fold(checksum_add(d.first(header_length))) != 0))
        return std::nullopt;
    // A fragment's transport header may be elsewhere: it never proves anything.
    if ((load16(&d[6]) & 0x3fff) != 0)
        return std::nullopt;
    IpPacket ip;
    ip.source = IpAddress::v4_bytes(&d[12]);
    ip.destination = IpAddress::v4_bytes(&d[16]);
    ip.protocol = d[9];
    ip.ttl = d[8];
    ip.header = d.first(header_length);
    ip.payload = d.subspan(header_length, std::min(total, d.size()) - header_length);
    return ip;
}

std::optional<IpPacket> parse_ipv6(Bytes d, bool quoted)
{
    if (d.size() < 40 || (d[0] >> 4) != 6)
        return std::nullopt;
    const std::size_t payload_length = load16(&d[4]);
    if (!quoted && payload_length > d.size() - 40)
        return std::nullopt;
    IpPacket ip;
    ip.source = IpAddress::v6_bytes(&d[8]);
    ip.destination = IpAddress::v6_bytes(&d[24]);
    ip.protocol = d[6];
    ip.ttl = d[7];
    ip.header = d.first(40);
    ip.payload = d.subspan(40, std::min(payload_length, d.size() - 40));
    return ip;
}

std::uint32_t pseudo_header_sum(const IpPacket& ip, std::size_t upper_length)
{
    std::uint32_t sum = checksum_add(Bytes(ip.source.data(), ip.source.size()));
    sum = checksum_add(Bytes(ip.destination.data(), ip.destination.size()), sum);
    sum += static_cast<std::uint32_t>(upper_length >> 16) + static_cast<std::uint32_t>(upper_length & 0xffff);
    return sum + ip.protocol;
}

std::optional<IcmpMessage> parse_icmp(const IpPacket& ip, bool quoted)
{
    const Bytes p = ip.payload;
    if (p.size() < 8)
        return std::nullopt;
    if (!quoted) {
        const std::uint32_t start = ip.source.is_v4() ? 0 : pseudo_header_sum(ip, p.size());
        if (checksum_fold(checksum_add(p, start)) != 0)
            return std::nullopt;
    }
    IcmpMessage m;
    m.type = p[0];
    m.code = p[1];
    m.id = load16(&p[4]);
    m.seq = load16(&p[6]);
    m.data = p.subspan(8);
    return m;
}

std::optional<std::optional<MacAddress>> nd_link_address_option(Bytes options, std::uint8_t type)
{
    std::optional<MacAddress> found;
    while (!options.empty()) {
        if (options.size() < 2 || options[1] == 0 || options[1] * 8u > options.size())
            return std::nullopt;
        const std::size_t length = options[1] * 8u;
        if (options[0] == type && length == 8)
            found = MacAddress(options.data() + 2);
        options = options.subspan(length);
    }
    return found;
}

namespace {

// A segment that a stack on this host's side of a veth, tap or virtio link sent with
// checksum offload reaches our packet socket before any device computed its checksum
// (CHECKSUM_PARTIAL): the field then holds just the folded pseudo-header sum. That is
// how a realserver in a container or VM beside the director answers, so that exact
// value is accepted too; any other failing sum is still refused. libpcap does not pass
// on the kernel's TP_STATUS_CSUMNOTREADY flag that would say so explicitly.
bool tcp_checksum_ok(const IpPacket& ip, Bytes segment)
{
    const std::uint32_t pseudo = pseudo_header_sum(ip, segment.size());
    if (checksum_fold(checksum_add(segment, pseudo)) == 0)
        return true;
    return load16(&segment[16]) == static_cast<std::uint16_t>(~checksum_fold(pseudo));
}

} // namespace

std::optional<TcpSegment> parse_tcp(const IpPacket& ip, bool quoted)
{
    const Bytes p = ip.payload;
    TcpSegment t;
    if (p.size() < 8)
        return std::nullopt;
    t.source_port = load16(&p[0]);
    t.destination_port = load16(&p[2]);
    t.seq = load32(&p[4]);
    if (p.size() < 20) {
        if (!quoted)
            return std::nullopt;
        return t;
    }
    const std::size_t header_length = static_cast<std::size_t>(p[12] >> 4) * 4;
    if (header_length < 20 || header_length > p.size())
        return std::nullopt;
    if (!quoted && !tcp_checksum_ok(ip, p))
        return std::nullopt;
    t.ack = load32(&p[8]);
    t.flags = p[13];
    t.window = load16(&p[14]);
    t.options = p.subspan(20, header_length - 20);
    return t;
}

namespace {

// Walks TCP options, calling f(kind, body) for each; false if they are malformed.
template <typename F>
bool for_each_tcp_option(Bytes o, F f)
{
    std::size_t i = 0;
    while (i < o.size()) {
        const std::uint8_t kind = o[i];
        if (kind == 0) // end of options: the rest is padding
            return true;
        if (kind == 1) {
            f(kind, Bytes{});
            ++i;
            continue;
        }
        if (i + 1 >= o.size())
            return false;
        const std::size_t length = o[i + 1];
        if (length < 2 || length > o.size() - i)
            return false;
        f(kind, o.subspan(i + 2, length - 2));
        i += length;
    }
    return true;
}

std::string describe_tcp_options(Bytes o)
{
    std::string out;
    const bool ok = for_each_tcp_option(o, [&](std::uint8_t kind, Bytes body) {
        if (!out.empty())
            out += ',';
        if (kind == 1)
            out += "nop";
        else if (kind == 2 && body.size() == 2)
            out += fmt::format("mss {}", load16(body.data()));
        else if (kind == 3 && body.size() == 1)
            out += fmt::format("wscale {}", body[0]);
        else if (kind == 4 && body.empty())
            out += "sackOK";
        else if (kind == 8 && body.size() == 8)
            out += fmt::format("TS val {} ecr {}", load32(body.data()), load32(body.data() + 4));
        else
            out += fmt::format("opt-{} len {}", kind, body.size() + 2);
    });
    if (!ok)
        out += out.empty() ? "malformed" : ",malformed";
    return out;
}

} // namespace

std::optional<TcpTimestamps> tcp_timestamps(Bytes options)
{
    std::optional<TcpTimestamps> found;
    bool bad = false;
    const bool ok = for_each_tcp_option(options, [&](std::uint8_t kind, Bytes body) {
        if (kind != 8 || found || bad)
            return;
        if (body.size() != 8)
            bad = true;
        else
            found = TcpTimestamps{load32(body.data()), load32(body.data() + 4)};
    });
    if (!ok || bad)
        return std::nullopt;
    return found;
}

std::string tcp_flags_string(std::uint8_t flags)
{
    static constexpr char letters[] = "FSRPAUEC";
    std::string s;
    for (int bit = 0; bit < 8; ++bit)
        if (flags & (1u << bit))
            s += letters[bit];
    return s;
}

std::string describe_frame(Bytes frame)
{
    const auto eth = parse_ethernet(frame);
    if (!eth)
        return "frame too short for Ethernet";
    if (eth->type == ethertype_arp) {
        const auto a = parse_arp(eth->payload);
        if (!a)
            return "malformed ARP";
        if (a->operation == 1)
            return fmt::format("ARP who-has {} tell {}", a->target_ip.str(), a->sender_ip.str());
        if (a->operation == 2)
            return fmt::format("ARP {} is-at {}", a->sender_ip.str(), a->sender_mac.str());
        return fmt::format("ARP operation {}", a->operation);
    }
    std::optional<IpPacket> ip;
    if (eth->type == ethertype_ipv4)
        ip = parse_ipv4(eth->payload, true);
    else if (eth->type == ethertype_ipv6)
        ip = parse_ipv6(eth->payload, true);
    else
        return fmt::format("ethertype 0x{:04x}", eth->type);
    if (!ip)
        return "malformed IP packet";
    const bool v4 = ip->source.is_v4();
    const std::string ttl = fmt::format("{} {}", v4 ? "ttl" : "hlim", ip->ttl);
    if (ip->protocol == 6) {
        const auto t = parse_tcp(*ip, true);
        if (!t || ip->payload.size() < 20)
            return fmt::format("{} > {}: truncated TCP, {}", ip->source.str(), ip->destination.str(), ttl);
        std::string text = fmt::format("{}.{} > {}.{}: TCP [{}] seq {}", ip->source.str(), t->source_port,
                                       ip->destination.str(), t->destination_port, tcp_flags_string(t->flags), t->seq);
        if (t->flags & tcp_ack)
            text += fmt::format(" ack {}", t->ack);
        text += fmt::format(" win {}", t->window);
        if (!t->options.empty())
            text += " <" + describe_tcp_options(t->options) + ">";
        return text + ", " + ttl;
    }
    if (ip->protocol == (v4 ? 1 : 58)) {
        const auto m = parse_icmp(*ip, true);
        if (!m)
            return fmt::format("{} > {}: truncated ICMP, {}", ip->source.str(), ip->destination.str(), ttl);
        const bool echo = v4 ? (m->type == 0 || m->type == 8) : (m->type == 128 || m->type == 129);
        return fmt::format("{} > {}: ICMP{} type {} code {}{}, {}", ip->source.str(), ip->destination.str(),
                           v4 ? "" : "v6", m->type, m->code,
                           echo ? fmt::format(" id {} seq {}", m->id, m->seq) : std::string(), ttl);
    }
    return fmt::format("{} > {}: protocol {}, {}", ip->source.str(), ip->destination.str(), ip->protocol, ttl);
}

} // namespace vipcheck
