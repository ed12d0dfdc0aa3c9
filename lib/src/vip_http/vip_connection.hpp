// One VIP-HTTP connection without a link of its own: vip-http-check's whole connection
// logic (resolve the realserver's MAC and watch for a second one, the user-space TCP
// connection to the VIP at that MAC, the relay to libcurl, the verdict the connection
// proves, the clean close), fed the frames its owner captured and handing it the frames
// to send. vip-http-check's connector owns one with its own capture; vipcheckd's
// VipLinks owns many on the daemon's captures (shared with its frame probes) and one
// lwIP stack.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "http/http_transport.hpp"
#include "vip_http/lwip_stack.hpp"
#include "vip_http/relay.hpp"
#include "vip_http/user_tcp.hpp"
#include "vipcheck/engine.hpp"
#include "vipcheck/frames.hpp"
#include "vipcheck/neighbour.hpp"
#include "vipcheck/options.hpp"
#include "vipcheck/trace.hpp"

namespace vipcheck {

class VipConnection final : public Connection {
public:
    using Send = std::function<void(const Frame&)>;

    // `context` is the planned probe's (its nonce is the connection's port and ISN, free
    // on `stack`); `mtu` its link's. `options`, `stack` and `trace` outlive it.
    VipConnection(const ProbeOptions& options, const ProbeContext& context, std::uint16_t mtu, LwipStack& stack,
                  Send send, const Trace& trace, Clock::time_point deadline);
    ~VipConnection() override;
    VipConnection(const VipConnection&) = delete;
    VipConnection& operator=(const VipConnection&) = delete;

    // A captured frame that may be this connection's (a neighbour answer about its
    // RIP, a segment to its port, an ICMP error quoting its SYN).
    void on_frame(const CapturedFrame& frame);
    const ProbeContext& context() const { return context_; }
    // Whether neighbour answers still matter to it: resolving, or watching for a
    // second MAC before it connects.
    bool wants_neighbours() const { return !options_.mac && !tcp_; }
    // The pcap filter for this connection alone (vip-http-check's own capture).
    std::string capture_filter() const;
    // Tells the realserver now (an RST) if anything is open.
    void abort();

    void configure(CURL* easy) override;
    std::vector<curl_waitfd> wait_fds() override;
    Clock::time_point next_wakeup(Clock::time_point deadline) const override;
    void service(Clock::time_point now) override;
    std::optional<Judgement> verdict() const override;
    bool close_step(Clock::time_point now) override;
    void describe(Outcome& out) const override;

private:
    bool proven_dead() const;
    void connect(Clock::time_point now);
    void flush();

    const ProbeOptions& options_;
    ProbeContext context_;
    std::uint16_t mtu_;
    LwipStack& stack_;
    Send send_;
    const Trace& trace_;
    Clock::time_point deadline_;
    NeighbourQuery query_;
    FrameBuilder builder_;
    LocalListener listener_;
    std::optional<SocketRelay> relay_;
    bool relay_shut_ = false;

    bool resolved_;
    std::optional<Clock::time_point> resolved_at_;
    std::vector<MacAddress> macs_;
    Clock::time_point next_request_;
    int requests_ = 0;

    std::unique_ptr<UserTcp> tcp_;
    std::optional<Clock::time_point> syn_at_;
    std::optional<Clock::time_point> established_at_;
    std::optional<Evidence> icmp_;
    std::optional<Clock::time_point> close_started_;
    Clock::time_point our_fin_at_;
    bool close_traced_ = false;
};

} // namespace vipcheck
