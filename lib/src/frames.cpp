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

Frame FrameBuilder::finish()
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
    Frame frame(packet, packet + size);
    libnet_adv_free_packet(l, packet);
    libnet_clear_packet(l);
    if (frame.size() < min_frame_size)
        frame.resize(min_frame_size, 0);
    return frame;
}

namespace {

void check(libnet_ptag_t tag, libnet_t* l, const char* what)
{
    if (tag == -1)
        throw Error(fmt::format("libnet: cannot build {}: {}", what, libnet_geterror(l)));
}

// The IP and Ethernet layers below an upper-layer header already built.
void build_envelope(libnet_t* l, const Envelope& e, std::uint8_t protocol, std::size_t upper_length)
{
    if (e.source.is_v4()) {
        check(libnet_build_ipv4(static_cast<std::uint16_t>(LIBNET_IPV4_H + upper_length), 0, e.ip_id,
                                0x4000 /* DF: as ping and TCP stacks send */, e.ttl, protocol, 0,
                                e.source.v4_network_order(), e.destination.v4_network_order(), nullptr, 0, l, 0),
              l, "IPv4 header");
    } else {
        libnet_in6_addr src, dst;
        std::memcpy(&src, e.source.data(), 16);
        std::memcpy(&dst, e.destination.data(), 16);
        check(libnet_build_ipv6(0, e.ip_id, static_cast<std::uint16_t>(upper_length), protocol, e.ttl, src, dst,
                                nullptr, 0, l, 0),
              l, "IPv6 header");
    }
    check(libnet_build_ethernet(e.destination_mac.data(), e.source_mac.data(),
                                e.source.is_v4() ? ETHERTYPE_IP : ETHERTYPE_IPV6, nullptr, 0, l, 0),
          l, "Ethernet header");
}

// libnet_build_ipv6() writes the flow label's middle byte as `fl & 0x0FF00 >> 8`, which
// C parses as `fl & 0xFF` (libnet 1.2 and 1.3). Nothing checksums the flow label, so
// writing it again afterwards is safe; callers rely on it to tell attempts apart.
void fix_flow_label(Frame& frame, const Envelope& e)
{
    if (e.source.is_v4() || frame.size() < 14 + 4)
        return;
    frame[15] &= 0xf0; // label bits 16..19: a 16-bit ip_id has none
    frame[16] = static_cast<std::uint8_t>(e.ip_id >> 8);
    frame[17] = static_cast<std::uint8_t>(e.ip_id);
}

} // namespace

Frame FrameBuilder::arp_request(const MacAddress& sender_mac, const IpAddress& sender_ip, const IpAddress& target_ip)
{
    libnet_t* l = libnet_.get();
    static constexpr std::uint8_t unknown[6] = {0, 0, 0, 0, 0, 0};
    static constexpr std::uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    check(libnet_build_arp(ARPHRD_ETHER, ETHERTYPE_IP, 6, 4, ARPOP_REQUEST, sender_mac.data(), sender_ip.data(),
                           unknown, target_ip.data(), nullptr, 0, l, 0),
          l, "ARP request");
    check(libnet_build_ethernet(broadcast, sender_mac.data(), ETHERTYPE_ARP, nullptr, 0, l, 0), l,
          "Ethernet header");
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
    build_envelope(l, e, protocol, LIBNET_ICMPV4_ECHO_H + payload.size());
    Frame frame = finish();
    fix_flow_label(frame, e);
    return frame;
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
    build_envelope(l, e, IPPROTO_TCP, length);
    Frame frame = finish();
    fix_flow_label(frame, e);
    return frame;
}

} // namespace vipcheck
