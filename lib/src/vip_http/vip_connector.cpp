#include "vip_http/vip_connector.hpp"

#include <poll.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <exception>

#include "vipcheck/engine.hpp"
#include "vipcheck/error.hpp"
#include "vip_http/kernel_bypass.hpp"
#include "vip_http/vip_connection.hpp"
#include "vipcheck/link.hpp"
#include "vipcheck/privilege.hpp"

namespace vipcheck {

bool holds_address(RouteLookup& routes, const IpAddress& address)
{
    try {
        return routes.lookup(address, "", std::nullopt).local;
    } catch (const Error&) {
        return false; // no route at all: certainly not an address of this host
    }
}

namespace {

std::uint16_t link_mtu(const ProbePlan& plan)
{
    return static_cast<std::uint16_t>(std::clamp(plan.route.interface.mtu, 576u, 9000u));
}

} // namespace

// vip-http-check's connector: the one VipConnection of the run, on its own capture and
// its own lwIP stack, with the backup director's bypass when needed.
class VipConnector final : public Connector {
public:
    VipConnector(const ProbeOptions& o, const Trace& trace, Clock::time_point deadline)
        : trace_(trace),
          deadline_(deadline),
          plan_(plan_probe(o, routes_, trace)),
          connection_(o, plan_.context, link_mtu(plan_), stack_, [this](const Frame& f) { link_->send(f); }, trace,
                      deadline)
    {
        const ProbeContext& c = plan_.context;
        link_.emplace(plan_.route.interface, connection_.capture_filter(), stream_buffers);
        trace_.step("capture", "on {}: {}", c.ifname, connection_.capture_filter());
        // A director that holds the VIP drops the realserver's answers from it as
        // martians; one that does not would reset them.
        if (!holds_address(routes_, c.vip)) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
            bypass_.emplace(bypass_not_permitted(c.vip, "run as root or setcap cap_net_raw,cap_net_admin+ep "
                                                        "vip-http-check"));
            bypass_->add({{FourTuple{c.vip, c.port, c.source, c.nonce.source_port}, left + std::chrono::seconds(1)}});
            trace_.step("bypass", "this director does not hold {}: nftables drops {} port {} -> {} port {} "
                        "in prerouting for the run",
                        c.vip.str(), c.vip.str(), c.port, c.source.str(), c.nonce.source_port);
        }
        drop_capabilities();
        trace_.step("privilege", "dropped every capability, no_new_privs set");
    }

    void configure(CURL* easy) override { connection_.configure(easy); }

    std::vector<curl_waitfd> wait_fds() override
    {
        std::vector<curl_waitfd> fds{{link_->fd(), CURL_WAIT_POLLIN, 0}};
        for (const auto& fd : connection_.wait_fds())
            fds.push_back(fd);
        return fds;
    }

    Clock::time_point next_wakeup(Clock::time_point deadline) const override
    {
        return connection_.next_wakeup(deadline);
    }

    void service(Clock::time_point now) override
    {
        link_->drain([&](Bytes bytes, TimePoint) { connection_.on_frame(CapturedFrame{bytes, link_->ifindex()}); });
        connection_.service(now);
    }

    std::optional<Judgement> verdict() const override { return connection_.verdict(); }
    bool close_step(Clock::time_point now) override { return connection_.close_step(now); }
    void describe(Outcome& out) const override { connection_.describe(out); }

    void close(const SignalWatch& signals) override
    {
        for (;;) {
            const Clock::time_point now = Clock::now();
            service(now);
            if (close_step(now))
                return;
            pollfd fds[2] = {{link_->fd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
            const auto wait = std::min(connection_.next_wakeup(deadline_), deadline_) - now;
            const int wait_ms =
                static_cast<int>(std::max<long>(0, std::chrono::ceil<std::chrono::milliseconds>(wait).count()));
            if (poll(fds, 2, wait_ms) < 0 && errno != EINTR)
                throw_system_error("poll", errno);
            if (fds[1].revents)
                if (auto signo = signals.pending()) {
                    connection_.abort();
                    throw_interrupted(*signo);
                }
        }
    }

private:
    const Trace& trace_;
    Clock::time_point deadline_;
    RouteLookup routes_;
    ProbePlan plan_;
    // Before connection_, which sends on the link and connects on the stack; the link is
    // opened once the connection's capture filter is known.
    std::optional<Link> link_;
    std::optional<KernelBypass> bypass_; // outlives the connection's last segment
    LwipStack stack_{Clock::now()};
    VipConnection connection_;
};

std::unique_ptr<Connector> make_vip_connector(const ProbeOptions& probe, const Trace& trace, Clock::time_point deadline)
{
    return std::make_unique<VipConnector>(probe, trace, deadline);
}

} // namespace vipcheck
