// Frames written out byte by byte for the tests, independent of libnet and of the
// parsers under test (its own checksum), so a test can forge any field it likes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "vipcheck/address.hpp"

namespace craft {

using Bytes = std::vector<std::uint8_t>;

inline std::uint16_t sum16(const Bytes& b, std::size_t from, std::size_t to, std::uint32_t acc = 0)
{
    for (std::size_t i = from; i < to; i += 2)
        acc += static_cast<std::uint32_t>(b[i] << 8 | (i + 1 < to ? b[i + 1] : 0));
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<std::uint16_t>(~acc);
}

inline void put16(Bytes& b, std::size_t at, std::uint16_t v)
{
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}

inline void append(Bytes& b, const std::uint8_t* p, std::size_t n) { b.insert(b.end(), p, p + n); }

inline Bytes ethernet(const vipcheck::MacAddress& dst, const vipcheck::MacAddress& src, std::uint16_t type)
{
    // Sized once, as in icmp(): GCC 12 -O2 reads insert() onto an empty vector as an overflow.
    Bytes b(14, 0);
    std::copy_n(dst.data(), 6, b.begin());
    std::copy_n(src.data(), 6, b.begin() + 6);
    put16(b, 12, type);
    return b;
}

// Appends an IPv4 header and `payload` to `frame`, with a correct header checksum.
inline void ipv4(Bytes& frame, const vipcheck::IpAddress& src, const vipcheck::IpAddress& dst, std::uint8_t proto,
                 const Bytes& payload, std::uint8_t ttl = 64)
{
    const std::size_t at = frame.size();
    Bytes h = {0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, ttl, proto, 0, 0};
    append(h, src.data(), 4);
    append(h, dst.data(), 4);
    put16(h, 2, static_cast<std::uint16_t>(20 + payload.size()));
    put16(h, 10, sum16(h, 0, 20));
    frame.insert(frame.end(), h.begin(), h.end());
    frame.insert(frame.end(), payload.begin(), payload.end());
    (void)at;
}

// An ICMP message with a correct checksum: type, code, the 4-byte rest, data.
inline Bytes icmp(std::uint8_t type, std::uint8_t code, std::uint16_t id, std::uint16_t seq, const Bytes& data)
{
    // Sized once and filled in place: GCC 12 -O2 warns of an out-of-bounds memcpy in an
    // insert() onto a vector made from an initializer list (a false positive, GCC bug 107852).
    Bytes m(8 + data.size(), 0);
    m[0] = type;
    m[1] = code;
    put16(m, 4, id);
    put16(m, 6, seq);
    std::copy(data.begin(), data.end(), m.begin() + 8);
    put16(m, 2, sum16(m, 0, m.size()));
    return m;
}

// Appends an IPv6 header and `payload` (next header `nh`) to `frame`.
inline void ipv6(Bytes& frame, const vipcheck::IpAddress& src, const vipcheck::IpAddress& dst, std::uint8_t nh,
                 const Bytes& payload, std::uint8_t hop_limit = 64)
{
    Bytes h = {0x60, 0, 0, 0, 0, 0, nh, hop_limit};
    put16(h, 4, static_cast<std::uint16_t>(payload.size()));
    append(h, src.data(), 16);
    append(h, dst.data(), 16);
    frame.insert(frame.end(), h.begin(), h.end());
    frame.insert(frame.end(), payload.begin(), payload.end());
}

// An ICMPv6 message with a correct checksum over the pseudo-header: type, code, the
// 4-byte rest (`rest`), data.
inline Bytes icmpv6(const vipcheck::IpAddress& src, const vipcheck::IpAddress& dst, std::uint8_t type,
                    std::uint8_t code, std::uint32_t rest, const Bytes& data)
{
    Bytes m = {type, code, 0, 0};
    m.push_back(static_cast<std::uint8_t>(rest >> 24));
    m.push_back(static_cast<std::uint8_t>(rest >> 16));
    m.push_back(static_cast<std::uint8_t>(rest >> 8));
    m.push_back(static_cast<std::uint8_t>(rest));
    m.insert(m.end(), data.begin(), data.end());
    Bytes pseudo;
    append(pseudo, src.data(), 16);
    append(pseudo, dst.data(), 16);
    pseudo.insert(pseudo.end(), {0, 0, 0, 0, 0, 0, 0, 58});
    put16(pseudo, 34, static_cast<std::uint16_t>(m.size()));
    std::uint32_t acc = 0;
    for (std::size_t i = 0; i < pseudo.size(); i += 2)
        acc += static_cast<std::uint32_t>(pseudo[i] << 8 | pseudo[i + 1]);
    put16(m, 2, sum16(m, 0, m.size(), acc));
    return m;
}

// A neighbour-discovery message in Ethernet and IPv6, checksummed. By default the
// realserver's (2001:db8::11, 02:..:11) solicited advertisement of itself to us; a test
// changes the fields it is about (type 135 for a solicitation).
struct NdMessage {
    vipcheck::MacAddress eth_src = *vipcheck::MacAddress::parse("02:00:00:00:00:11");
    vipcheck::MacAddress eth_dst = *vipcheck::MacAddress::parse("02:00:00:00:00:02");
    vipcheck::IpAddress ip_src = *vipcheck::IpAddress::parse("2001:db8::11");
    vipcheck::IpAddress ip_dst = *vipcheck::IpAddress::parse("2001:db8::2");
    std::uint8_t hop_limit = 255;
    std::uint8_t type = 136;
    std::uint8_t code = 0;
    std::uint32_t flags = 0x60000000; // solicited, override
    vipcheck::IpAddress target = *vipcheck::IpAddress::parse("2001:db8::11");
    Bytes options = {2, 1, 0x02, 0, 0, 0, 0, 0x11}; // target link-layer address
    bool corrupt_checksum = false;

    Bytes frame() const
    {
        Bytes body(target.data(), target.data() + 16);
        body.insert(body.end(), options.begin(), options.end());
        auto message = icmpv6(ip_src, ip_dst, type, code, flags, body);
        if (corrupt_checksum)
            message[2] ^= 0x01;
        auto f = ethernet(eth_dst, eth_src, 0x86dd);
        ipv6(f, ip_src, ip_dst, 58, message, hop_limit);
        return f;
    }
};

inline Bytes arp_reply(const vipcheck::MacAddress& to_mac, const vipcheck::MacAddress& from_mac,
                       const vipcheck::IpAddress& from_ip, const vipcheck::IpAddress& to_ip)
{
    Bytes b = ethernet(to_mac, from_mac, 0x0806);
    const Bytes head = {0, 1, 8, 0, 6, 4, 0, 2};
    b.insert(b.end(), head.begin(), head.end());
    append(b, from_mac.data(), 6);
    append(b, from_ip.data(), 4);
    append(b, to_mac.data(), 6);
    append(b, to_ip.data(), 4);
    b.resize(60, 0);
    return b;
}

} // namespace craft
