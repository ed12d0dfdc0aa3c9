#include "vipcheck/frames.hpp"

#include <libnet.h>

#include <fmt/format.h>

#include "vipcheck/error.hpp"

namespace vipcheck {

void FrameBuilder::Destroyer::operator()(libnet_context* l) const
{
    libnet_destroy(l);
}

FrameBuilder::FrameBuilder()
{
    char errbuf[LIBNET_ERRBUF_SIZE] = {};
    // LIBNET_NONE: build only. LIBNET_LINK would open an unbound ETH_P_ALL packet socket
    // that queues a copy of every frame on every interface for as long as we live.
    libnet_.reset(libnet_init(LIBNET_NONE, nullptr, errbuf));
    if (!libnet_)
        throw Error(fmt::format("libnet: {}", errbuf));
}

std::vector<std::uint8_t> FrameBuilder::assemble()
{
    std::uint8_t* packet = nullptr;
    std::uint32_t size = 0;
    libnet_t* l = libnet_.get();
    // libnet_adv_cull_packet() insists on LIBNET_LINK_ADV; coalescing is what it does.
    if (libnet_pblock_coalesce(l, &packet, &size) < 0) {
        const std::string why = libnet_geterror(l);
        libnet_clear_packet(l);
        throw Error("libnet: cannot assemble frame: " + why);
    }
    std::vector<std::uint8_t> bytes(packet, packet + size);
    libnet_adv_free_packet(l, packet);
    libnet_clear_packet(l);
    return bytes;
}

Frame FrameBuilder::finish()
{
    Frame frame = assemble();
    if (frame.size() < min_frame_size)
        frame.resize(min_frame_size, 0);
    return frame;
}

namespace {

constexpr std::uint8_t protocol_ipip = 4;   // IPPROTO_IPIP: IPv4 inside
constexpr std::uint8_t protocol_ipv6 = 41;  // IPPROTO_IPV6: IPv6 inside
constexpr std::uint8_t protocol_gre = 47;
constexpr std::uint8_t protocol_udp = 17;

void check(libnet_ptag_t tag, libnet_t* l, const char* what)
{
    if (tag == -1)
        throw Error(fmt::format("libnet: cannot build {}: {}", what, libnet_geterror(l)));
}

libnet_in6_addr in6(const IpAddress& a)
{
    libnet_in6_addr out;
    std::memcpy(&out, a.data(), 16);
    return out;
}

std::uint16_t ethertype(const IpAddress& a)
{
    return a.is_v4() ? ETHERTYPE_IP : ETHERTYPE_IPV6;
}

// One IP header (with `payload` inside it, if given) below what is already built.
void build_ip(libnet_t* l, const IpAddress& source, const IpAddress& destination, std::uint8_t ttl,
              std::uint16_t id, std::uint8_t protocol, std::size_t upper_length, Bytes payload = {})
{
    const auto* data = payload.empty() ? nullptr : payload.data();
    const auto size = static_cast<std::uint32_t>(payload.size());
    if (source.is_v4()) {
        check(libnet_build_ipv4(static_cast<std::uint16_t>(LIBNET_IPV4_H + upper_length), 0, id,
                                0x4000 /* DF: as ping and TCP stacks send, and as LVS copies it outward */,
                                ttl, protocol, 0, source.v4_network_order(), destination.v4_network_order(), data,
                                size, l, 0),
              l, "IPv4 header");
    } else {
        check(libnet_build_ipv6(0, id, static_cast<std::uint16_t>(upper_length), protocol, ttl, in6(source),
                                in6(destination), data, size, l, 0),
              l, "IPv6 header");
    }
}

// libnet_build_ipv6() writes the flow label's middle byte as `fl & 0x0FF00 >> 8`, which
// C parses as `fl & 0xFF`. Nothing checksums the flow label, so writing it again
// afterwards is safe; the matchers rely on it to tell attempts apart.
void fix_flow_label(std::uint8_t* ipv6_header, std::uint16_t id)
{
    ipv6_header[1] &= 0xf0; // label bits 16..19: a 16-bit id has none
    ipv6_header[2] = static_cast<std::uint8_t>(id >> 8);
    ipv6_header[3] = static_cast<std::uint8_t>(id);
}

std::uint8_t inner_protocol(const IpAddress& inner)
{
    return inner.is_v4() ? protocol_ipip : protocol_ipv6;
}

} // namespace

Frame FrameBuilder::finish_ip(const Envelope& e, std::uint8_t protocol, std::size_t upper_length)
{
    libnet_t* l = libnet_.get();
    build_ip(l, e.source, e.destination, e.ttl, e.ip_id, protocol, upper_length);
    if (!e.encap) {
        check(libnet_build_ethernet(e.destination_mac.data(), e.source_mac.data(), ethertype(e.source), nullptr, 0,
                                    l, 0),
              l, "Ethernet header");
        Frame frame = finish();
        if (!e.source.is_v4())
            fix_flow_label(frame.data() + 14, e.ip_id);
        return frame;
    }

    // The tunnel is a layer of its own: the probe kinds build their inner packet exactly
    // as for direct routing, and only here does it go inside the outer one. The inner
    // packet is assembled first (libnet computes its upper-layer checksum against the
    // inner IP header), then carried as the payload of the tunnel header.
    std::vector<std::uint8_t> inner = assemble();
    if (!e.source.is_v4())
        fix_flow_label(inner.data(), e.ip_id);
    const Encapsulation& t = *e.encap;
    std::vector<std::uint8_t> payload;
    std::uint8_t outer_protocol = inner_protocol(e.source);
    switch (t.type) {
    case EncapType::Ipip:
        payload = std::move(inner);
        break;
    case EncapType::Gre: {
        // RFC 2784 without checksum (ip_vs's default `nocsum`): flags and version 0, then
        // the inner packet's EtherType.
        const std::uint16_t type = ethertype(e.source);
        payload = {0, 0, static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type)};
        payload.insert(payload.end(), inner.begin(), inner.end());
        outer_protocol = protocol_gre;
        break;
    }
    case EncapType::Gue: {
        // GUE version 0 with no options: control 0, hlen 0, proto_ctype the inner IP
        // protocol number, flags 0 (ipvs_gue_encap()), inside UDP to the GUE port.
        payload = {0, inner_protocol(e.source), 0, 0};
        payload.insert(payload.end(), inner.begin(), inner.end());
        const std::size_t length = LIBNET_UDP_H + payload.size();
        // Checksum 0 asks libnet for a real one (checked against scapy in the golden
        // tests, IPv6 included). ip_vs sends 0 with `nocsum`, legal for IPv4, but an IPv6
        // receiver drops zero-checksum UDP unless its socket opted in (RFC 6935); a
        // correct checksum is accepted by every receiver.
        check(libnet_build_udp(t.source_port, t.port, static_cast<std::uint16_t>(length), 0, payload.data(),
                               static_cast<std::uint32_t>(payload.size()), l, 0),
              l, "UDP header");
        build_ip(l, t.source, t.destination, t.ttl, t.ip_id, protocol_udp, length);
        break;
    }
    }
    if (t.type != EncapType::Gue)
        build_ip(l, t.source, t.destination, t.ttl, t.ip_id, outer_protocol, payload.size(), payload);
    check(libnet_build_ethernet(e.destination_mac.data(), e.source_mac.data(), ethertype(t.source), nullptr, 0, l,
                                0),
          l, "Ethernet header");
    Frame frame = finish();
    if (!t.source.is_v4())
        fix_flow_label(frame.data() + 14, t.ip_id);
    return frame;
}

Frame FrameBuilder::arp_request(const MacAddress& sender_mac, const IpAddress& sender_ip, const IpAddress& target_ip,
                                const std::optional<MacAddress>& unicast_to)
{
    libnet_t* l = libnet_.get();
    // The target hardware address stays zero even when unicast, as in Linux's own
    // unicast requests (arp_solicit): the Ethernet destination alone addresses it.
    static constexpr std::uint8_t unknown[6] = {0, 0, 0, 0, 0, 0};
    static constexpr std::uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    check(libnet_build_arp(ARPHRD_ETHER, ETHERTYPE_IP, 6, 4, ARPOP_REQUEST, sender_mac.data(), sender_ip.data(),
                           unknown, target_ip.data(), nullptr, 0, l, 0),
          l, "ARP request");
    check(libnet_build_ethernet(unicast_to ? unicast_to->data() : broadcast, sender_mac.data(), ETHERTYPE_ARP,
                                nullptr, 0, l, 0),
          l, "Ethernet header");
    return finish();
}

Frame FrameBuilder::neighbour_solicitation(const MacAddress& sender_mac, const IpAddress& sender_ip,
                                           const IpAddress& target_ip, const std::optional<MacAddress>& unicast_to)
{
    libnet_t* l = libnet_.get();
    const std::uint8_t* t = target_ip.data();
    // RFC 4861 7.2.2: to the target's solicited-node group, ff02::1:ff00:0/104 plus the
    // target's low 24 bits (RFC 4291 2.7.1), which maps to Ethernet 33:33:ff and the same
    // 24 bits (RFC 2464 7); hop limit 255 so the
    // receiver knows it was not routed. Only the target's owner listens to that group.
    std::uint8_t group[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, t[13], t[14], t[15]};
    const std::uint8_t group_mac[6] = {0x33, 0x33, 0xff, t[13], t[14], t[15]};
    // Option 1, source link-layer address (8 bytes): without it the target would have to
    // solicit us before it could answer.
    // libnet fills in the checksum over the pseudo-header, the NS and its option (checked
    // against scapy in the golden test).
    check(libnet_build_icmpv6_ndp_opt(1, const_cast<std::uint8_t*>(sender_mac.data()), 6, l, 0), l,
          "source link-layer address option");
    libnet_in6_addr target;
    std::memcpy(&target, t, 16);
    check(libnet_build_icmpv6_ndp_nsol(135, 0, 0, target, nullptr, 0, l, 0), l, "neighbour solicitation");
    constexpr std::size_t length = 24 + 8;
    const IpAddress destination = unicast_to ? target_ip : IpAddress::v6_bytes(group);
    build_ip(l, sender_ip, destination, 255, 0, 58, length);
    check(libnet_build_ethernet(unicast_to ? unicast_to->data() : group_mac, sender_mac.data(), ETHERTYPE_IPV6,
                                nullptr, 0, l, 0),
          l, "Ethernet header");
    return finish();
}

Frame FrameBuilder::icmp_echo(const Envelope& e, std::uint16_t id, std::uint16_t seq, Bytes payload)
{
    libnet_t* l = libnet_.get();
    if (e.source.is_v4()) {
        check(libnet_build_icmpv4_echo(ICMP_ECHO, 0, 0, id, seq, payload.data(),
                                       static_cast<std::uint32_t>(payload.size()), l, 0),
              l, "ICMP echo request");
    } else {
        check(libnet_build_icmpv6_echo(ICMP6_ECHO, 0, 0, id, seq, const_cast<std::uint8_t*>(payload.data()),
                                       static_cast<std::uint32_t>(payload.size()), l, 0),
              l, "ICMPv6 echo request");
    }
    const std::uint8_t protocol = e.source.is_v4() ? std::uint8_t{IPPROTO_ICMP} : std::uint8_t{IPPROTO_ICMPV6};
    return finish_ip(e, protocol, LIBNET_ICMPV4_ECHO_H + payload.size());
}

Frame FrameBuilder::tcp(const Envelope& e, const TcpHeader& t)
{
    libnet_t* l = libnet_.get();
    if (!t.options.empty())
        check(libnet_build_tcp_options(t.options.data(), static_cast<std::uint32_t>(t.options.size()), l, 0), l,
              "TCP options");
    const std::size_t length = LIBNET_TCP_H + t.options.size();
    check(libnet_build_tcp(t.source_port, t.destination_port, t.seq, t.ack, t.flags, t.window, 0, 0,
                           static_cast<std::uint16_t>(length), nullptr, 0, l, 0),
          l, "TCP header");
    return finish_ip(e, IPPROTO_TCP, length);
}

} // namespace vipcheck
