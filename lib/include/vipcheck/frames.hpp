// Frames built by libnet, returned as bytes. libnet is used only to construct: it is
// opened with LIBNET_NONE, so it never opens a socket of its own (see Link for why the
// bytes then go out through the capture handle).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "vipcheck/address.hpp"
#include "vipcheck/encap.hpp"
#include "vipcheck/packet.hpp"

struct libnet_context;

namespace vipcheck {

using Frame = std::vector<std::uint8_t>;

// Some drivers drop frames shorter than the Ethernet minimum instead of padding them.
inline constexpr std::size_t min_frame_size = 60;

// LVS tunneling (`lvs_method TUN type ipip|gue|gre`), as the kernel's ip_vs_xmit.c
// encapsulates: IPIP puts the inner packet right after the outer IP header (protocol 4
// for IPv4 inside, 41 for IPv6 inside, whatever the outer family); GRE adds a 4-byte
// header (no checksum, key or sequence) whose protocol is the inner EtherType; GUE adds
// UDP to the configured port and a 4-byte GUE version 0 header whose protocol field is
// 4 or 41.
// The outer packet of a tunnelled probe: from us to the RIP, routed normally.
struct Encapsulation {
    EncapType type = EncapType::Ipip;
    IpAddress source;               // ours, in the RIP's family
    IpAddress destination;          // the RIP
    std::uint8_t ttl = 64;          // a routed packet: the kernel's default hop limit
    std::uint16_t ip_id = 0;        // IPv4 identification (IPv6: flow label's low bits)
    std::uint16_t port = 0;         // GUE: the realserver's GUE port
    std::uint16_t source_port = 0;  // GUE: the flow's source port, as udp_flow_src_port picks
};

// The Ethernet and IP layers common to every probe. With `encap` set, the IP packet
// (source -> destination, the probe to the VIP) travels inside the tunnel, and the
// Ethernet frame carries the outer packet.
struct Envelope {
    MacAddress source_mac;
    MacAddress destination_mac;
    IpAddress source;
    IpAddress destination;
    std::uint8_t ttl = 1;
    std::uint16_t ip_id = 0; // IPv4 identification (IPv6: flow label's low bits)
    std::optional<Encapsulation> encap;
};

// A header to build: unlike a received one (packet.hpp, TcpSegment) it owns its options.
struct TcpHeader : TcpFields {
    std::vector<std::uint8_t> options; // already padded to a multiple of four
};

class FrameBuilder {
public:
    FrameBuilder();
    FrameBuilder(FrameBuilder&&) noexcept = default;
    FrameBuilder& operator=(FrameBuilder&&) noexcept = default;
    ~FrameBuilder() = default;

    // Who has `target_ip`? Tell `sender_ip`: broadcast, or to `unicast_to` alone. A
    // broadcast never asks for the VIP; the ARP-leak question is unicast (arp_leak.hpp).
    Frame arp_request(const MacAddress& sender_mac, const IpAddress& sender_ip, const IpAddress& target_ip,
                      const std::optional<MacAddress>& unicast_to = std::nullopt);
    // IPv6 neighbour solicitation for `target_ip` from `sender_ip`, with our source
    // link-layer address option: to the target's solicited-node multicast group, or with
    // `unicast_to` to the target address itself at that MAC alone (RFC 4861 7.2.2).
    Frame neighbour_solicitation(const MacAddress& sender_mac, const IpAddress& sender_ip,
                                 const IpAddress& target_ip,
                                 const std::optional<MacAddress>& unicast_to = std::nullopt);
    Frame icmp_echo(const Envelope& e, std::uint16_t id, std::uint16_t seq, Bytes payload);
    Frame tcp(const Envelope& e, const TcpHeader& t);

private:
    Frame finish();
    // Adds the IP header (and the tunnel, if any) below the upper layer just built, then
    // the Ethernet header, and assembles the frame.
    Frame finish_ip(const Envelope& e, std::uint8_t protocol, std::size_t upper_length);
    std::vector<std::uint8_t> assemble();

    struct Destroyer {
        void operator()(libnet_context* l) const;
    };
    std::unique_ptr<libnet_context, Destroyer> libnet_;
};

} // namespace vipcheck
