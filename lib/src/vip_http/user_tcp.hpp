// A TCP client connection in user space, for the one connection the director's kernel
// cannot make: to the VIP, yet served by one chosen realserver (every frame to its MAC,
// with the probe's TTL). The TCP itself is lwIP's (Debian's liblwip 2.1.3, raw API):
// retransmission, out-of-order and multi-segment data, window, MSS, RST, and the close
// in both directions. This class is only the glue, and a pure one: it is told the time
// and handed frames, and it hands back the frames to send, so every path through it is
// unit-tested with crafted frames.
//
// Many connections share the process's one lwIP instance (LwipStack), each on its own
// pcb: a frame is offered to the connection its 4-tuple names, and lwIP's output comes
// back to the connection by the same 4-tuple.
//
// What the glue adds to lwIP, and why:
//  - the ISN and the source port are this run's random nonce (vipcheck(7), REPLIES: a reply must
//    echo it). lwIP 2.1.3's own ISN is 6510 plus its tick count, which anyone can guess;
//  - lwIP sees only segments of this connection: its build forwards IP (IP_FORWARD),
//    and its assertions abort the process, so nothing else may reach it;
//  - it sends only segments of this connection: lwIP's own IPv6 chatter (MLD reports)
//    never leaves the process;
//  - segments that the capturing kernel merged (GRO) or received from a TSO sender
//    carry a partial checksum, which is completed here; any other bad checksum drops
//    the frame, as lwIP would.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vipcheck/address.hpp"
#include "vipcheck/frames.hpp"
#include "vipcheck/packet.hpp"
#include "vip_http/lwip_stack.hpp"
#include "vip_http/relay.hpp"

namespace vipcheck {

// The connection's addresses and this run's random choices.
struct TcpFlow {
    MacAddress local_mac;
    MacAddress remote_mac;   // the realserver's
    IpAddress local;         // our source
    IpAddress remote;        // the VIP
    std::uint16_t local_port = 0; // random, ephemeral range
    std::uint16_t remote_port = 0;
    std::uint32_t isn = 0;        // random
    std::uint8_t ttl = 1;
    std::uint16_t mtu = 1500;
};

// How the connection ended, once it has.
enum class TcpEnd {
    Open,
    Refused,   // RST in answer to the SYN
    Reset,     // RST after the connection was established
    GaveUp,    // lwIP's retransmissions ran out
    Aborted,   // by us (abort())
    Closed,    // both FINs sent and acknowledged: the clean end
};

class UserTcp final : public ByteStream {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // Opens the connection on `stack`, which must outlive it: the SYN is in
    // take_frames(). Throws Error if lwIP will not connect (the local port is taken:
    // ask stack.port_free() first).
    UserTcp(LwipStack& stack, const TcpFlow& flow);
    // Aborts the connection if it is still open (the RST goes nowhere: call abort() and
    // send take_frames() first to tell the realserver).
    ~UserTcp();
    UserTcp(const UserTcp&) = delete;
    UserTcp& operator=(const UserTcp&) = delete;

    // Offers a captured Ethernet frame. True if it is a segment of this connection; it
    // is then fed to lwIP. Everything else is left alone.
    bool on_frame(Bytes frame);
    // Runs lwIP's timers due at `now`: every connection's, they are one clock.
    void on_timer(TimePoint now) { stack_.on_timer(now); }
    TimePoint next_timer() const { return stack_.next_timer(); }
    const TcpFlow& flow() const { return flow_; }
    // Frames lwIP wants sent, in order, with Ethernet headers.
    std::vector<Frame> take_frames();

    // The byte stream. send() takes what fits in the send buffer, once established.
    std::size_t send(Bytes data) override;
    std::string take_received() override;
    // Our FIN, after the data sent so far.
    void finish_sending();
    // An RST now (if anything is open) and no more traffic.
    void abort();

    bool established() const override { return established_; }
    bool failed() const override { return end_ != TcpEnd::Open && end_ != TcpEnd::Closed; }
    bool ever_established() const { return ever_established_; }
    bool peer_finished() const override { return peer_finished_; }
    bool sending_finished() const { return fin_queued_; }
    // Nothing of this connection is left open on either side that needs us: both FINs
    // are acknowledged (or it ended otherwise).
    bool closed() const;
    TcpEnd end() const { return end_; }
    // Counters for the trace.
    int frames_in() const { return frames_in_; }
    int frames_out() const { return frames_out_; }
    int frames_withheld() const { return withheld_; }
    int partial_checksums() const { return partial_checksums_; }
    int frames_out_of_window() const { return out_of_window_; }

    // Plumbing for lwIP's C callbacks (user_tcp.cpp) and LwipStack; not for callers.
    struct Callbacks;
    void output(Bytes ip_packet);

private:
    bool mine(const IpPacket& ip, Bytes tcp) const;
    void release(); // frees the pcb (without a word to the peer) and its place in the stack

    LwipStack& stack_;
    TcpFlow flow_;
    ::netif* netif_ = nullptr;
    ::tcp_pcb* pcb_ = nullptr;
    std::vector<Frame> out_;
    std::string received_;
    bool established_ = false;
    bool ever_established_ = false;
    bool peer_finished_ = false;
    bool fin_queued_ = false;
    bool aborting_ = false;
    TcpEnd end_ = TcpEnd::Open;
    int frames_in_ = 0;
    int frames_out_ = 0;
    int withheld_ = 0;
    int partial_checksums_ = 0;
    int out_of_window_ = 0;
};

// lwIP's clock runs this much faster than the wall clock: its timers were made for
// embedded links (a 3 s first RTO in 500 ms ticks), a health check has a second in all.
// Scaled, the first RTO is 300 ms and a tick 50 ms.
inline constexpr int lwip_clock_speedup = 10;

// Completes a partial TCP checksum (CHECKSUM_PARTIAL: the field holds the folded
// pseudo-header sum only, as after GRO or from a TSO sender). Returns false if the
// checksum is neither valid nor partial. `segment` is the TCP header and data.
bool settle_tcp_checksum(const IpPacket& ip, std::uint8_t* segment, std::size_t length, bool& was_partial);

// Whether a segment starting at `seq` may reach lwIP once the connection expects
// `rcv_nxt`: from 64 KiB behind it (a retransmission of data already taken) to 1 GiB
// ahead of it. lwIP 2.1.3's tcp_receive() trims a segment that starts before rcv_nxt by
// `rcv_nxt - seq` and asserts (aborting the process) that this is below 0xffff, but its
// modular test lets a segment about 2^31 behind through; nothing a real peer sends lies
// outside this range, so the glue drops it, as RFC 793 drops an unacceptable segment.
bool in_receive_space(std::uint32_t rcv_nxt, std::uint32_t seq);

} // namespace vipcheck
