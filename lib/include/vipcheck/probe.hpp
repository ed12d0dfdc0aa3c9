// What one probe run made up (its context and random nonce) and the interface every
// kind of probe implements: build a frame, and classify a received one. classify() is
// the whole of vipcheck(7), REPLIES, for its kind, as a pure function.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vipcheck/address.hpp"
#include "vipcheck/frames.hpp"
#include "vipcheck/packet.hpp"
#include "vipcheck/report.hpp"
#include "vipcheck/verdict.hpp"

namespace vipcheck {

// Random per run, so that replies to another run, stale replies and blind forgeries
// cannot match.
struct Nonce {
    std::uint16_t id = 0;  // ICMP echo id; IP id base
    std::uint16_t seq = 0; // first ICMP sequence number; attempt k uses seq + k
    std::array<std::uint8_t, 16> cookie{};
    std::uint16_t source_port = 0; // TCP, from the ephemeral range
    std::uint32_t isn = 0;         // TCP initial sequence number

    static Nonce random(); // from getrandom(2)
};

// Nonces as Nonce::random() draws them, from one getrandom(2) for 128 of them: a
// daemon round starts thousands of runs, and a system call each was 1% of its CPU.
class NonceSource {
public:
    Nonce next();

private:
    std::array<std::uint8_t, 4096> pool_{};
    std::size_t used_ = pool_.size();
};

// An LVS-TUN realserver: the probe travels inside a tunnel to the RIP.
struct Tunnel {
    EncapType type = EncapType::Ipip;
    IpAddress source;       // the outer source: ours, in the RIP's family
    std::uint16_t port = 0; // GUE's destination port
};

struct ProbeContext {
    int ifindex = 0;
    std::string ifname;
    MacAddress local_mac;
    MacAddress remote_mac; // the next hop's MAC: the realserver's, or a gateway's (tunnels)
    IpAddress source;      // ours, the probe's source, in the VIP's family (inner when tunnelled)
    IpAddress vip;
    IpAddress rip;
    IpAddress next_hop;    // resolved at L2: the RIP, or the gateway to it (tunnels only)
    std::optional<Tunnel> tunnel;
    std::uint16_t port = 0;
    std::uint8_t ttl = 1;
    int attempts = 3;
    Nonce nonce;

    // The frame's layers for attempt k; the tunnel's outer header when there is one.
    Envelope envelope(int attempt) const;
    bool routed() const { return !(next_hop == rip); }
};

// Why replies must come from remote_mac, for the -v trace: the realserver's own MAC on
// the link, or a gateway's when the tunnel's RIP is routed.
std::string expected_mac_reason(const ProbeContext& c);

struct CapturedFrame {
    Bytes bytes;
    int ifindex = 0; // where it arrived
};

// What names one probe among many in flight on one capture: the ICMP echo id, or the
// TCP source port. vipcheckd hands a frame only to the session its key names (as
// fping's seqmap does); classify() still checks every other field of the nonce.
struct NonceKey {
    std::uint8_t protocol = 0; // 1 ICMP (and ICMPv6), 6 TCP
    std::uint16_t value = 0;
    bool operator==(const NonceKey&) const = default;
};

struct Evidence {
    Verdict verdict = Verdict::NoReply;
    int attempt = 0;    // which probe it answers
    std::string what;   // "echo reply", "time exceeded from 192.0.2.14"
    std::vector<Field> fields;
};

class ProbeKind {
public:
    virtual ~ProbeKind() = default;
    // "echo reply" / "SYN-ACK": what an `up` looks like, for the no-reply message.
    virtual std::string_view expected_reply() const = 0;
    // Kernel BPF filter (pcap syntax) narrowed to this run's replies.
    virtual std::string capture_filter(const ProbeContext& c) const = 0;
    virtual Frame build(FrameBuilder& b, const ProbeContext& c, int attempt) const = 0;
    virtual std::optional<Evidence> classify(const CapturedFrame& f, const ProbeContext& c) const = 0;
    // Frames to send once evidence is in (a TCP RST after a SYN-ACK).
    virtual std::vector<Frame> after(FrameBuilder&, const ProbeContext&, const Evidence&) const { return {}; }
    // The ARP-leak test itself (arp_leak.hpp): the session asks the unicast question
    // with every attempt, resolves without teaching the realserver our address, and
    // reads silence until the deadline as `up`.
    virtual bool is_arp_leak_test() const { return false; }
    // The key under which replies to this run can be found (demux.hpp); nullopt for a
    // kind that cannot share a capture with other runs.
    virtual std::optional<NonceKey> nonce_key(const ProbeContext&) const { return std::nullopt; }
    // JSON members after the common ones. By default the evidence's own fields; a kind
    // overrides this to report members whatever the verdict (the TCP port).
    virtual std::vector<Field> report_fields(const ProbeContext&, const Evidence* e) const
    {
        return e ? e->fields : std::vector<Field>{};
    }
};

// The checks every kind shares: right interface, from the next hop's MAC (the
// realserver's, or the gateway's a routed tunnel realserver answers through) to ours,
// in the VIP's family (a tunnelled realserver answers directly, not encapsulated).
// Returns the IP packet inside, or nullopt.
std::optional<IpPacket> ip_from_realserver(const CapturedFrame& f, const ProbeContext& c);

// An ICMP/ICMPv6 error that quotes one of our probes: time exceeded or unreachable.
// `quoted_matches` decides whether the quoted transport header is ours.
struct IcmpErrorInfo {
    Verdict verdict; // VipMissing, or Filtered for administratively prohibited
    std::string what;
    IpPacket quoted;
};
std::optional<IcmpErrorInfo> icmp_error_for_probe(const IpPacket& ip, const ProbeContext& c,
                                                  std::uint8_t quoted_protocol);

} // namespace vipcheck
