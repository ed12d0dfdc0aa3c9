// Bounds-checked, allocation-free views of received frames. Every parser returns
// nullopt for anything short, malformed or with a bad checksum: a frame the kernel or a
// forger could craft must never be read past its end, and never count as evidence.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "vipcheck/address.hpp"

namespace vipcheck {

using Bytes = std::span<const std::uint8_t>;

inline constexpr std::uint16_t ethertype_ipv4 = 0x0800;
inline constexpr std::uint16_t ethertype_arp = 0x0806;
inline constexpr std::uint16_t ethertype_ipv6 = 0x86dd;

inline std::uint16_t load16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
inline std::uint32_t load32(const std::uint8_t* p)
{
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

// RFC 1071 one's-complement sum, folded; `initial` carries a pseudo-header sum.
std::uint32_t checksum_add(Bytes data, std::uint32_t sum = 0);
std::uint16_t checksum_fold(std::uint32_t sum);

struct EthernetFrame {
    MacAddress destination;
    MacAddress source;
    std::uint16_t type = 0;
    Bytes payload;
};
std::optional<EthernetFrame> parse_ethernet(Bytes frame);

struct ArpPacket {
    std::uint16_t operation = 0; // 1 request, 2 reply
    MacAddress sender_mac;
    IpAddress sender_ip;
    MacAddress target_mac;
    IpAddress target_ip;
};
std::optional<ArpPacket> parse_arp(Bytes payload); // Ethernet/IPv4 ARP only

struct IpPacket {
    IpAddress source;
    IpAddress destination;
    std::uint8_t protocol = 0; // next header for IPv6 (no extension headers followed)
    std::uint8_t ttl = 0;      // hop limit for IPv6
    Bytes header;
    Bytes payload; // up to the packet's length, or what is there for a quoted packet
};
// `quoted`: the packet comes from inside an ICMP error, so it may be cut short and
// its header checksum is not ours to judge.
std::optional<IpPacket> parse_ipv4(Bytes data, bool quoted = false);
std::optional<IpPacket> parse_ipv6(Bytes data, bool quoted = false);

// Sum of the IPv4 / IPv6 pseudo-header for an upper-layer checksum.
std::uint32_t pseudo_header_sum(const IpPacket& ip, std::size_t upper_length);

struct IcmpMessage {
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint16_t id = 0;  // echo id, or the first half of an error's "unused" word
    std::uint16_t seq = 0; // echo sequence
    Bytes data;            // echo payload, or the quoted packet of an error
};
// ICMPv4 when ip is IPv4 (checksum over the message), ICMPv6 when IPv6 (with the
// pseudo-header). Checksums are verified unless the message is quoted.
std::optional<IcmpMessage> parse_icmp(const IpPacket& ip, bool quoted = false);

// Neighbour discovery (RFC 4861): the ICMPv6 protocol and message types, the
// solicited flag of an advertisement, and the link-layer address option types.
inline constexpr std::uint8_t protocol_icmpv6 = 58;
inline constexpr std::uint8_t nd_solicitation = 135;
inline constexpr std::uint8_t nd_advertisement = 136;
inline constexpr std::uint8_t nd_flag_solicited = 0x40;
inline constexpr std::uint8_t nd_option_source_link_address = 1;
inline constexpr std::uint8_t nd_option_target_link_address = 2;

// The link-layer address option of `type` (1 source, 2 target) among the options after
// a neighbour-discovery message's fixed part: {found?} when well formed, nullopt when
// malformed (each option is length * 8 bytes; a zero length poisons the whole message,
// RFC 4861 4.6).
std::optional<std::optional<MacAddress>> nd_link_address_option(Bytes options, std::uint8_t type);

// A TCP header's fixed fields, as a received segment carries them and as a built one
// (frames.hpp, TcpHeader) will.
struct TcpFields {
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 0;
};
// A received segment's header: its options are a view into the frame.
struct TcpSegment : TcpFields {
    Bytes options;
};
inline constexpr std::uint8_t tcp_fin = 0x01, tcp_syn = 0x02, tcp_rst = 0x04, tcp_psh = 0x08, tcp_ack = 0x10;
// A quoted segment may be as short as 8 bytes (ports and sequence number): then only
// those are filled in and no checksum is checked.
std::optional<TcpSegment> parse_tcp(const IpPacket& ip, bool quoted = false);

struct TcpTimestamps {
    std::uint32_t value = 0; // TSval
    std::uint32_t echo = 0;  // TSecr
};
// The timestamp option (RFC 7323) among a segment's options, if present and well formed.
std::optional<TcpTimestamps> tcp_timestamps(Bytes options);

// "S", "SA", "RA": one letter per flag in scapy's order (FSRPAUEC).
std::string tcp_flags_string(std::uint8_t flags);

// One tcpdump-like line for the -v trace: addresses, ports, flags, sequence numbers,
// options, TTL. Never fails: whatever cannot be parsed is named as such.
std::string describe_frame(Bytes frame);

} // namespace vipcheck
