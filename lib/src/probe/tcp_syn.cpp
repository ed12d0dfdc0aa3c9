#include "vipcheck/tcp_syn.hpp"

#include <fmt/format.h>

namespace vipcheck {

// One ISN and one source port for every attempt: a later attempt is a retransmission
// of the same SYN, as a real client's is. That is what keeps the realserver's side
// clean and the probe robust:
//  - the realserver holds at most one request for the whole run, so the single RST
//    after the SYN-ACK removes everything this run created there;
//  - if a SYN-ACK is lost, the next SYN is a pure retransmission and the realserver
//    answers it with the SYN-ACK again at once. A fresh ISN on the same ports would
//    instead fall out of the pending request's window and earn only a bare ACK, and
//    a fresh port per attempt would leave one half-open connection per attempt.
// What tells the attempts apart is what a client's retransmissions differ in anyway:
// the IP ID / IPv6 flow label (quoted back by ICMP errors) and the TCP timestamp
// (echoed back in the SYN-ACK's TSecr). An RST echoes neither and is counted for the
// first attempt; its rtt is then an upper bound.

namespace {

constexpr std::uint8_t tcp_protocol = 6;

// Linux 3.x-6.x: the window of a SYN is 44 full segments (rounded to MSS multiples of
// the 64 KiB unscaled maximum), i.e. 64240 for the 1460-byte MSS of a 1500-byte MTU.
constexpr std::uint16_t syn_window = 64240;
constexpr std::uint8_t window_scale = 7;

std::uint16_t mss(const ProbeContext& c)
{
    return c.source.is_v4() ? 1460 : 1440; // 1500 minus the IPv4/IPv6 and TCP headers
}

// The first per-run random bits not used by the TCP probe: the echo cookie is ICMP's.
std::uint32_t timestamp_base(const ProbeContext& c)
{
    return load32(c.nonce.cookie.data());
}

std::optional<int> attempt_in_range(std::uint32_t k, const ProbeContext& c)
{
    if (k >= static_cast<std::uint32_t>(c.attempts))
        return std::nullopt;
    return static_cast<int>(k);
}

// The IP ID (IPv4) or the low 16 bits of the flow label (IPv6) the attempt was sent
// with: see ProbeContext::envelope and FrameBuilder.
std::uint16_t quoted_ip_id(const IpPacket& quoted)
{
    if (quoted.source.is_v4())
        return load16(&quoted.header[4]);
    return load16(&quoted.header[2]);
}

Field flags_field(std::optional<std::uint8_t> flags)
{
    if (!flags)
        return {"tcp_flags", nullptr};
    return {"tcp_flags", tcp_flags_string(*flags)};
}

} // namespace

std::uint32_t SynProbe::timestamp(const ProbeContext& c, int attempt)
{
    return timestamp_base(c) + static_cast<std::uint32_t>(attempt);
}

TcpHeader SynProbe::syn(const ProbeContext& c, int attempt)
{
    TcpHeader t;
    t.source_port = c.nonce.source_port;
    t.destination_port = c.port;
    t.seq = c.nonce.isn;
    t.flags = tcp_syn;
    t.window = syn_window;
    const std::uint16_t m = mss(c);
    const std::uint32_t ts = timestamp(c, attempt);
    // Linux's order (tcp_options_write): MSS, SACK-permitted folded into the
    // timestamp's leading NOPs, timestamps, NOP, window scale. 20 bytes, no padding.
    t.options = {
        2, 4, static_cast<std::uint8_t>(m >> 8), static_cast<std::uint8_t>(m),                 // MSS
        4, 2,                                                                                   // SACK permitted
        8, 10, static_cast<std::uint8_t>(ts >> 24), static_cast<std::uint8_t>(ts >> 16),        // TSval
        static_cast<std::uint8_t>(ts >> 8), static_cast<std::uint8_t>(ts), 0, 0, 0, 0,          // TSecr 0
        1,                                                                                      // NOP
        3, 3, window_scale,                                                                     // window scale
    };
    return t;
}

TcpHeader SynProbe::reset(const ProbeContext& c)
{
    TcpHeader t;
    t.source_port = c.nonce.source_port;
    t.destination_port = c.port;
    // Exactly the realserver's rcv_nxt, the one sequence number an RST must carry to be
    // accepted (RFC 5961). No ACK bit: an ACK number that did not match the SYN-ACK's
    // ISN would make Linux answer with an RST of its own instead of dropping the request.
    t.seq = c.nonce.isn + 1;
    t.flags = tcp_rst;
    return t;
}

std::string SynProbe::capture_filter(const ProbeContext& c) const
{
    const std::string tcp = fmt::format("(tcp and src host {} and src port {} and dst host {} and dst port {})",
                                        c.vip.str(), c.port, c.source.str(), c.nonce.source_port);
    // ICMP errors are narrowed to those quoting a TCP packet; their ports are checked
    // by classify(), since the quoted header's offset depends on IP options.
    if (c.source.is_v4())
        return fmt::format("{} or (icmp and dst host {} and (icmp[icmptype] == icmp-unreach or "
                           "icmp[icmptype] == icmp-timxceed) and icmp[17] == {})",
                           tcp, c.source.str(), tcp_protocol);
    return fmt::format("{} or (icmp6 and ip6[6] == 58 and dst host {} and (ip6[40] == 1 or ip6[40] == 3) and "
                       "ip6[54] == {})",
                       tcp, c.source.str(), tcp_protocol);
}

Frame SynProbe::build(FrameBuilder& b, const ProbeContext& c, int attempt) const
{
    return b.tcp(c.envelope(attempt), syn(c, attempt));
}

std::optional<Evidence> SynProbe::classify(const CapturedFrame& f, const ProbeContext& c) const
{
    const auto ip = ip_from_realserver(f, c);
    if (!ip)
        return std::nullopt;
    const Field port{"port", std::int64_t{c.port}};

    if (ip->protocol == tcp_protocol) {
        if (!(ip->source == c.vip) || !(ip->destination == c.source))
            return std::nullopt;
        const auto tcp = parse_tcp(*ip);
        if (!tcp || tcp->source_port != c.port || tcp->destination_port != c.nonce.source_port ||
            !(tcp->flags & tcp_ack) || tcp->ack != c.nonce.isn + 1)
            return std::nullopt;
        // RST-ACK: what Linux (and RFC 793) sends for a SYN to a port nobody listens on.
        if (tcp->flags & tcp_rst)
            return Evidence{Verdict::PortClosed, 0, fmt::format("RST from port {}", c.port),
                            {port, flags_field(tcp->flags)}};
        if ((tcp->flags & (tcp_syn | tcp_fin)) != tcp_syn)
            return std::nullopt;
        int attempt = 0;
        if (const auto ts = tcp_timestamps(tcp->options))
            attempt = attempt_in_range(ts->echo - timestamp_base(c), c).value_or(0);
        return Evidence{Verdict::Up, attempt, fmt::format("SYN-ACK from port {}", c.port),
                        {port, flags_field(tcp->flags)}};
    }

    const auto error = icmp_error_for_probe(*ip, c, tcp_protocol);
    if (!error)
        return std::nullopt;
    // RFC 792 guarantees 8 bytes of the quoted segment: the ports and the sequence
    // number, which carries the ISN.
    const auto quoted = parse_tcp(error->quoted, true);
    if (!quoted || quoted->source_port != c.nonce.source_port || quoted->destination_port != c.port ||
        quoted->seq != c.nonce.isn)
        return std::nullopt;
    const auto attempt =
        attempt_in_range(static_cast<std::uint16_t>(quoted_ip_id(error->quoted) - c.nonce.id), c).value_or(0);
    return Evidence{error->verdict, attempt, error->what, {port, flags_field(std::nullopt)}};
}

std::vector<Frame> SynProbe::after(FrameBuilder& b, const ProbeContext& c, const Evidence& e) const
{
    if (e.verdict != Verdict::Up)
        return {};
    // Its own IP ID, as a stack's next packet would have: one past the last attempt's.
    return {b.tcp(c.envelope(c.attempts), reset(c))};
}

std::vector<Field> SynProbe::report_fields(const ProbeContext& c, const Evidence* e) const
{
    if (e)
        return e->fields;
    return {{"port", std::int64_t{c.port}}, flags_field(std::nullopt)};
}

} // namespace vipcheck
