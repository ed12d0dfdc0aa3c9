#include "vipcheck/icmp_echo.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace vipcheck {

namespace {

constexpr std::uint8_t echo_request(bool v4) { return v4 ? 8 : 128; }
constexpr std::uint8_t echo_reply(bool v4) { return v4 ? 0 : 129; }
constexpr std::uint8_t icmp_protocol(bool v4) { return v4 ? 1 : 58; }

// Which attempt a sequence number answers, if it is one of ours.
std::optional<int> attempt_of(std::uint16_t seq, const ProbeContext& c)
{
    const auto k = static_cast<std::uint16_t>(seq - c.nonce.seq);
    if (k >= c.attempts)
        return std::nullopt;
    return k;
}

} // namespace

std::vector<std::uint8_t> EchoProbe::payload(const ProbeContext& c)
{
    const std::size_t headers = 14 + (c.source.is_v4() ? 20 : 40) + 8;
    std::vector<std::uint8_t> p(c.nonce.cookie.begin(), c.nonce.cookie.end());
    if (headers + p.size() < min_frame_size)
        p.resize(min_frame_size - headers, 0);
    return p;
}

std::string EchoProbe::capture_filter(const ProbeContext& c) const
{
    if (c.source.is_v4())
        return fmt::format("(icmp and dst host {} and ((src host {} and icmp[icmptype] == icmp-echoreply and "
                           "icmp[4:2] == {}) or icmp[icmptype] == icmp-timxceed or icmp[icmptype] == icmp-unreach))",
                           c.source.str(), c.vip.str(), c.nonce.id);
    // ICMPv6 with no extension header: the type at ip6[40], the echo id at ip6[44].
    // Types 1 and 3 are unreachable and time exceeded.
    return fmt::format("(icmp6 and ip6[6] == 58 and dst host {} and ((src host {} and ip6[40] == 129 and "
                       "ip6[44:2] == {}) or ip6[40] == 1 or ip6[40] == 3))",
                       c.source.str(), c.vip.str(), c.nonce.id);
}

Frame EchoProbe::build(FrameBuilder& b, const ProbeContext& c, int attempt) const
{
    const auto p = payload(c);
    return b.icmp_echo(c.envelope(attempt), c.nonce.id, static_cast<std::uint16_t>(c.nonce.seq + attempt), p);
}

std::optional<Evidence> EchoProbe::classify(const CapturedFrame& f, const ProbeContext& c) const
{
    const auto ip = ip_from_realserver(f, c);
    if (!ip)
        return std::nullopt;
    const bool v4 = c.source.is_v4();

    if (ip->protocol == icmp_protocol(v4) && ip->source == c.vip && ip->destination == c.source) {
        const auto icmp = parse_icmp(*ip);
        if (icmp && icmp->type == echo_reply(v4)) {
            const auto attempt = attempt_of(icmp->seq, c);
            const auto expected = payload(c);
            if (icmp->code != 0 || icmp->id != c.nonce.id || !attempt ||
                !std::equal(icmp->data.begin(), icmp->data.end(), expected.begin(), expected.end()))
                return std::nullopt;
            return Evidence{Verdict::Up, *attempt, "echo reply", {}};
        }
    }

    const auto error = icmp_error_for_probe(*ip, c, icmp_protocol(v4));
    if (!error)
        return std::nullopt;
    const auto quoted = parse_icmp(error->quoted, true);
    if (!quoted || quoted->type != echo_request(v4) || quoted->id != c.nonce.id)
        return std::nullopt;
    const auto attempt = attempt_of(quoted->seq, c);
    if (!attempt)
        return std::nullopt;
    // RFC 792 promises only 8 bytes of the quoted datagram; whatever more is quoted must
    // be ours.
    const auto expected = payload(c);
    const std::size_t n = std::min(quoted->data.size(), expected.size());
    if (!std::equal(quoted->data.begin(), quoted->data.begin() + static_cast<std::ptrdiff_t>(n), expected.begin()))
        return std::nullopt;
    return Evidence{error->verdict, *attempt, error->what, {}};
}

} // namespace vipcheck
