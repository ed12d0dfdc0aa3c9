// One probe context shared by the tests, with fixed "random" values.
#pragma once

#include <string>

#include "vipcheck/probe.hpp"

namespace fixtures {

inline vipcheck::IpAddress ip(const char* s) { return *vipcheck::IpAddress::parse(s); }
inline vipcheck::MacAddress mac(const char* s) { return *vipcheck::MacAddress::parse(s); }

// Frames as lower-case hex, for comparison with golden strings.
inline std::string hex(const vipcheck::Frame& f)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for (auto b : f) {
        s += digits[b >> 4];
        s += digits[b & 15];
    }
    return s;
}

inline vipcheck::ProbeContext context()
{
    vipcheck::ProbeContext c;
    c.ifindex = 7;
    c.ifname = "eth1";
    c.local_mac = mac("02:00:00:00:00:02");
    c.remote_mac = mac("02:00:00:00:00:11");
    c.source = ip("192.0.2.2");
    c.vip = ip("198.51.100.10");
    c.rip = ip("192.0.2.11");
    c.next_hop = c.rip;
    c.port = 80;
    c.ttl = 1;
    c.attempts = 3;
    c.nonce.id = 0x1234;
    c.nonce.seq = 0xfffe; // attempts wrap past 0xffff
    for (std::size_t i = 0; i < c.nonce.cookie.size(); ++i)
        c.nonce.cookie[i] = static_cast<std::uint8_t>(0xa0 + i);
    c.nonce.source_port = 40000;
    c.nonce.isn = 0x01020304;
    return c;
}

// The same run over IPv6.
inline vipcheck::ProbeContext context6()
{
    auto c = context();
    c.source = ip("2001:db8::2");
    c.vip = ip("2001:db8:100::10");
    c.rip = ip("2001:db8::11");
    c.next_hop = c.rip;
    return c;
}

} // namespace fixtures
