// libFuzzer target: any bytes as a received frame, against every reply matcher. The first
// bytes choose the run's nonce and attempts, so the fuzzer can reach the accepting
// paths, not only the rejecting ones. A crash, a sanitizer report or a broken
// invariant is a finding.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "vipcheck/arp_leak.hpp"
#include "vipcheck/icmp_echo.hpp"
#include "vipcheck/tcp_syn.hpp"

using namespace vipcheck;

namespace {

ProbeContext context_from(const std::uint8_t*& data, std::size_t& size)
{
    ProbeContext c;
    c.ifindex = 7;
    c.ifname = "eth1";
    c.local_mac = *MacAddress::parse("02:00:00:00:00:02");
    c.remote_mac = *MacAddress::parse("02:00:00:00:00:11");
    c.source = *IpAddress::parse("192.0.2.2");
    c.vip = *IpAddress::parse("198.51.100.10");
    c.rip = *IpAddress::parse("192.0.2.11");
    c.attempts = 3;
    c.port = 80;
    // A fixed TCP nonce: the frame is the fuzzer's anyway, and the seed syn-ack answers it.
    c.nonce.source_port = 40000;
    c.nonce.isn = 0x01020304;
    if (size >= 5) {
        c.nonce.id = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
        c.nonce.seq = static_cast<std::uint16_t>(data[2] << 8 | data[3]);
        c.attempts = 1 + data[4] % 100;
        data += 5;
        size -= 5;
    }
    return c;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const ProbeContext c = context_from(data, size);
    const CapturedFrame frame{Bytes(data, size), 7};

    if (auto e = EchoProbe{}.classify(frame, c)) {
        // Whatever was accepted must have come from the realserver's MAC to ours.
        if (size < 14 || std::memcmp(data + 6, c.remote_mac.data(), 6) != 0 ||
            std::memcmp(data, c.local_mac.data(), 6) != 0 || e->attempt < 0 || e->attempt >= c.attempts)
            std::abort();
        if (e->verdict == Verdict::Up && EchoProbe::payload(c).size() + 42 > size)
            std::abort();
    }
    if (auto e = SynProbe{}.classify(frame, c)) {
        if (size < 14 || std::memcmp(data + 6, c.remote_mac.data(), 6) != 0 ||
            std::memcmp(data, c.local_mac.data(), 6) != 0 || e->attempt < 0 || e->attempt >= c.attempts)
            std::abort();
        // A TCP verdict needs a whole TCP header behind Ethernet and IPv4.
        if ((e->verdict == Verdict::Up || e->verdict == Verdict::PortClosed) && size < 14 + 20 + 20)
            std::abort();
    }
    // The ARP-leak classifier, in both families: whatever it accepts came from the
    // realserver's MAC and names the VIP where the frame says so.
    const ProbeContext c6 = [&c] {
        ProbeContext v6 = c;
        v6.source = *IpAddress::parse("2001:db8::2");
        v6.vip = *IpAddress::parse("2001:db8:100::10");
        v6.rip = v6.next_hop = *IpAddress::parse("2001:db8::11");
        return v6;
    }();
    for (const ProbeContext* ctx : {&c, &c6}) {
        auto e = ArpLeakProbe{}.classify(frame, *ctx);
        if (!e)
            continue;
        if (e->verdict != Verdict::ArpLeak || size < 14 || std::memcmp(data + 6, c.remote_mac.data(), 6) != 0)
            std::abort();
        // IPv4: the ARP sender address (14 + 14 bytes in) is the VIP.
        if (ctx->vip.is_v4() && (size < 42 || std::memcmp(data + 28, ctx->vip.data(), 4) != 0))
            std::abort();
        // IPv6: a whole ND message (IPv6 header, ICMPv6 header, target) is there.
        if (!ctx->vip.is_v4() && size < 14 + 40 + 8 + 16)
            std::abort();
    }
    // The parsers on their own, with and without the leniency for quoted packets.
    if (auto eth = parse_ethernet(frame.bytes)) {
        for (bool quoted : {false, true}) {
            for (auto ip : {parse_ipv4(eth->payload, quoted), parse_ipv6(eth->payload, quoted)}) {
                if (!ip)
                    continue;
                if (ip->payload.data() + ip->payload.size() > data + size)
                    std::abort();
                (void)parse_icmp(*ip, quoted);
                (void)parse_tcp(*ip, quoted);
            }
        }
    }
    return 0;
}
