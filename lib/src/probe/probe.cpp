#include "vipcheck/probe.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

// The random bytes of one nonce.
struct RandomNonce {
    std::uint16_t id, seq, port;
    std::uint32_t isn;
    std::array<std::uint8_t, 16> cookie;
};

void fill_random(void* to, std::size_t size)
{
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = getrandom(static_cast<char*>(to) + got, size - got, 0);
        if (n < 0 && errno != EINTR)
            throw_system_error("getrandom", errno);
        if (n > 0)
            got += static_cast<std::size_t>(n);
    }
}

Nonce nonce_of(const RandomNonce& r)
{
    Nonce nonce;
    nonce.id = r.id;
    nonce.seq = r.seq;
    nonce.cookie = r.cookie;
    // Linux's default ephemeral range, so the SYN looks like any client's.
    nonce.source_port = static_cast<std::uint16_t>(32768 + r.port % (60999 - 32768 + 1));
    nonce.isn = r.isn;
    return nonce;
}

} // namespace

Nonce Nonce::random()
{
    RandomNonce r;
    fill_random(&r, sizeof r);
    return nonce_of(r);
}

Nonce NonceSource::next()
{
    if (pool_.size() - used_ < sizeof(RandomNonce)) {
        fill_random(pool_.data(), pool_.size());
        used_ = 0;
    }
    RandomNonce r;
    std::memcpy(&r, pool_.data() + used_, sizeof r);
    used_ += sizeof r;
    return nonce_of(r);
}

Envelope ProbeContext::envelope(int attempt) const
{
    Envelope e;
    e.source_mac = local_mac;
    e.destination_mac = remote_mac;
    e.source = source;
    e.destination = vip;
    e.ttl = ttl;
    e.ip_id = static_cast<std::uint16_t>(nonce.id + attempt);
    if (tunnel) {
        Encapsulation t;
        t.type = tunnel->type;
        t.source = tunnel->source;
        t.destination = rip;
        // Its own id sequence, so that an ICMP error quoting the outer header is never
        // mistaken for one quoting the probe.
        t.ip_id = static_cast<std::uint16_t>(nonce.id + 0x8000 + attempt);
        t.port = tunnel->port;
        // udp_flow_src_port() hashes the flow into one source port: one random port from
        // the ephemeral range for the whole run stands in for that hash.
        t.source_port = nonce.source_port;
        e.encap = t;
    }
    return e;
}

std::string expected_mac_reason(const ProbeContext& c)
{
    if (!c.tunnel)
        return fmt::format("the MAC of RIP {}: a direct-routing realserver answers for the VIP itself", c.rip.str());
    if (c.routed())
        return fmt::format("the MAC of gateway {}, not of RIP {}: the RIP is routed, and the realserver answers "
                           "from the VIP directly (not through the tunnel), so its reply reaches us through that "
                           "gateway",
                           c.next_hop.str(), c.rip.str());
    return fmt::format("the MAC of RIP {}: the tunnel realserver is on-link and answers from the VIP directly, "
                       "not through the tunnel",
                       c.rip.str());
}

std::optional<IpPacket> ip_from_realserver(const CapturedFrame& f, const ProbeContext& c)
{
    if (f.ifindex != c.ifindex)
        return std::nullopt;
    const auto eth = parse_ethernet(f.bytes);
    if (!eth || !(eth->source == c.remote_mac) || !(eth->destination == c.local_mac))
        return std::nullopt;
    if (c.vip.is_v4())
        return eth->type == ethertype_ipv4 ? parse_ipv4(eth->payload) : std::nullopt;
    return eth->type == ethertype_ipv6 ? parse_ipv6(eth->payload) : std::nullopt;
}

namespace {

std::string_view unreachable_name(bool v4, std::uint8_t code)
{
    if (v4) {
        switch (code) {
        case 0: return "network unreachable";
        case 1: return "host unreachable";
        case 2: return "protocol unreachable";
        case 3: return "port unreachable";
        case 9:
        case 10:
        case 13: return "administratively prohibited";
        default: return "destination unreachable";
        }
    }
    switch (code) {
    case 0: return "no route to destination";
    case 1: return "administratively prohibited";
    case 3: return "address unreachable";
    case 4: return "port unreachable";
    default: return "destination unreachable";
    }
}

} // namespace

std::optional<IcmpErrorInfo> icmp_error_for_probe(const IpPacket& ip, const ProbeContext& c,
                                                  std::uint8_t quoted_protocol)
{
    const bool v4 = c.source.is_v4();
    if (ip.protocol != (v4 ? 1 : 58) || !(ip.destination == c.source))
        return std::nullopt;
    const auto icmp = parse_icmp(ip);
    if (!icmp)
        return std::nullopt;
    const bool time_exceeded = v4 ? icmp->type == 11 : icmp->type == 3;
    const bool unreachable = v4 ? icmp->type == 3 : icmp->type == 1;
    if (!time_exceeded && !unreachable)
        return std::nullopt;
    const auto quoted = v4 ? parse_ipv4(icmp->data, true) : parse_ipv6(icmp->data, true);
    if (!quoted || !(quoted->source == c.source) || !(quoted->destination == c.vip) ||
        quoted->protocol != quoted_protocol)
        return std::nullopt;

    IcmpErrorInfo info{Verdict::VipMissing, {}, *quoted};
    if (time_exceeded) {
        info.what = fmt::format("time exceeded from {}", ip.source.str());
    } else {
        const auto name = unreachable_name(v4, icmp->code);
        if (name == "administratively prohibited")
            info.verdict = Verdict::Filtered;
        info.what = fmt::format("{} from {}", name, ip.source.str());
    }
    return info;
}

} // namespace vipcheck
