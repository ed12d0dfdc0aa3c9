// Frames built by libnet, returned as bytes. libnet is used only to construct: it is
// opened with LIBNET_NONE, so it never opens a socket of its own (see Link for why the
// bytes then go out through the capture handle).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "vipcheck/address.hpp"
#include "vipcheck/packet.hpp"

struct libnet_context;

namespace vipcheck {

using Frame = std::vector<std::uint8_t>;

// Some drivers drop frames shorter than the Ethernet minimum instead of padding them.
inline constexpr std::size_t min_frame_size = 60;

// The Ethernet and IP layers common to every probe.
struct Envelope {
    MacAddress source_mac;
    MacAddress destination_mac;
    IpAddress source;
    IpAddress destination;
    std::uint8_t ttl = 1;
    std::uint16_t ip_id = 0; // IPv4 identification (IPv6: flow label's low bits)
};

struct TcpHeader {
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 0;
    std::vector<std::uint8_t> options; // already padded to a multiple of four
};

class FrameBuilder {
public:
    FrameBuilder();
    FrameBuilder(FrameBuilder&&) noexcept = default;
    FrameBuilder& operator=(FrameBuilder&&) noexcept = default;
    ~FrameBuilder() = default;

    // Who has `target_ip`? Tell `sender_ip`: broadcast, never for the VIP.
    Frame arp_request(const MacAddress& sender_mac, const IpAddress& sender_ip, const IpAddress& target_ip);
    Frame icmp_echo(const Envelope& e, std::uint16_t id, std::uint16_t seq, Bytes payload);
    Frame tcp(const Envelope& e, const TcpHeader& t);

private:
    Frame finish();

    struct Destroyer {
        void operator()(libnet_context* l) const;
    };
    std::unique_ptr<libnet_context, Destroyer> libnet_;
};

} // namespace vipcheck
