#include "vip_http/vip_connector.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <exception>

#include "vipcheck/engine.hpp"
#include "vipcheck/error.hpp"
#include "vip_http/kernel_bypass.hpp"
#include "vipcheck/link.hpp"
#include "vipcheck/neighbour.hpp"
#include "vipcheck/privilege.hpp"
#include "vip_http/relay.hpp"
#include "vipcheck/session.hpp"
#include "vipcheck/tcp_syn.hpp"
#include "vip_http/user_tcp.hpp"

namespace vipcheck {

namespace {

bool holds_address(RouteLookup& routes, const IpAddress& address)
{
    try {
        return routes.lookup(address, "", std::nullopt).local;
    } catch (const Error&) {
        return false; // no route at all: certainly not an address of this host
    }
}

} // namespace

class VipConnector final : public Connector {
public:
    VipConnector(const ProbeOptions& o, const Trace& trace, Clock::time_point deadline)
        : options_(o),
          trace_(trace),
          deadline_(deadline),
          plan_(plan_probe(o, routes_, trace)),
          query_(neighbour_query(plan_.context)),
          link_(plan_.route.interface, capture_filter(), stream_buffers),
          resolved_(o.mac.has_value())
    {
        const ProbeContext& c = plan_.context;
        trace_.step("capture", "on {}: {}", c.ifname, capture_filter());
        // A director that holds the VIP drops the realserver's answers from it as
        // martians; one that does not would reset them.
        if (!holds_address(routes_, c.vip)) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
            bypass_.emplace(FourTuple{c.vip, c.port, c.source, c.nonce.source_port},
                            left + std::chrono::seconds(1));
            trace_.step("bypass", "this director does not hold {}: nftables drops {} port {} -> {} port {} "
                        "in prerouting for the run",
                        c.vip.str(), c.vip.str(), c.port, c.source.str(), c.nonce.source_port);
        }
        drop_capabilities();
        trace_.step("privilege", "dropped every capability, no_new_privs set");
        next_request_ = Clock::now();
        if (resolved_)
            resolved_at_ = Clock::now() - conflict_window;
    }

    ~VipConnector() override
    {
        // An exception (a signal) ended the run: the realserver is told at once.
        if (tcp_ && !tcp_->closed()) {
            tcp_->abort();
            try {
                flush();
            } catch (const std::exception&) {
            }
        }
    }

    void configure(CURL* easy) override
    {
        // libcurl connects to the relay's local socket; the URL still names the host for
        // the Host header, SNI and the certificate check.
        set_curl_option(easy, CURLOPT_ABSTRACT_UNIX_SOCKET, listener_.name().c_str());
        // libcurl may not follow a redirect elsewhere: the relay is one connection.
        set_curl_option(easy, CURLOPT_FOLLOWLOCATION, 0L);
    }

    std::vector<curl_waitfd> wait_fds() override
    {
        std::vector<curl_waitfd> fds{{link_.fd(), CURL_WAIT_POLLIN, 0}};
        if (!relay_) {
            fds.push_back({listener_.fd(), CURL_WAIT_POLLIN, 0});
            return fds;
        }
        const short e = relay_->events();
        if (e)
            fds.push_back({relay_->fd(), static_cast<short>(((e & POLLIN) ? CURL_WAIT_POLLIN : 0) |
                                                           ((e & POLLOUT) ? CURL_WAIT_POLLOUT : 0)),
                           0});
        return fds;
    }

    Clock::time_point next_wakeup(Clock::time_point deadline) const override
    {
        Clock::time_point wake = deadline;
        if (!resolved_)
            wake = std::min(wake, next_request_);
        else if (!tcp_ && macs_.size() <= 1)
            wake = std::min(wake, *resolved_at_ + conflict_window);
        if (tcp_ && !tcp_->closed())
            wake = std::min(wake, tcp_->next_timer());
        return wake;
    }

    void service(Clock::time_point now) override
    {
        link_.drain([&](Bytes bytes) { on_frame(bytes); });
        if (!resolved_ && now >= next_request_ && now < deadline_) {
            send(neighbour_request(builder_, query_));
            ++requests_;
            next_request_ = now + options_.timeout / (2 * options_.attempts);
            trace_.step("resolve", "{} who-has {} tell {} (request {})", neighbour_protocol(query_.target),
                        query_.target.str(), query_.source.str(), requests_);
        }
        if (resolved_ && !tcp_ && macs_.size() <= 1 && now >= *resolved_at_ + conflict_window && now < deadline_)
            connect(now);
        if (!relay_ && listener_.accept_own() >= 0)
            relay_.emplace(listener_.connection());
        if (tcp_) {
            tcp_->on_timer(now);
            if (relay_)
                relay_->pump(*tcp_);
            flush();
            if (!established_at_ && tcp_->ever_established()) {
                established_at_ = now;
                trace_.step("tcp", "established with {} port {} in {:.3f} ms", plan_.context.vip.str(),
                            plan_.context.port, to_ms(now - *syn_at_));
            }
        }
        // A connection proven dead ends libcurl's wait at once.
        if (relay_ && !relay_shut_ && proven_dead()) {
            shutdown(relay_->fd(), SHUT_RDWR);
            relay_shut_ = true;
        }
    }

    std::optional<Judgement> verdict() const override
    {
        const ProbeContext& c = plan_.context;
        if (macs_.size() > 1) {
            std::string macs;
            for (const auto& m : macs_)
                macs += (macs.empty() ? "" : ", ") + m.str();
            return Judgement{Verdict::MacConflict,
                             fmt::format("{} answered {} from {} MACs ({}): refusing to guess which is the realserver",
                                         c.rip.str(), neighbour_protocol(c.rip), macs_.size(), macs)};
        }
        if (!resolved_)
            return Judgement{Verdict::RsUnreachable,
                             fmt::format("no {} reply from {} within {} ({} request{})", neighbour_protocol(c.rip),
                                         c.rip.str(), format_duration(options_.timeout), requests_,
                                         requests_ == 1 ? "" : "s")};
        if (icmp_)
            return Judgement{icmp_->verdict, fmt::format("{} in answer to the SYN", icmp_->what)};
        if (tcp_ && tcp_->end() == TcpEnd::Refused)
            return Judgement{Verdict::PortClosed, fmt::format("RST in answer to the SYN for port {}", c.port)};
        // lwIP stops retransmitting its SYN after TCP_SYNMAXRTX (6 in Debian's build,
        // about 1.8 s at the glue's clock): say so rather than claim the whole deadline.
        if (tcp_ && !tcp_->ever_established() && tcp_->end() == TcpEnd::GaveUp)
            return Judgement{Verdict::NoReply,
                             fmt::format("no SYN-ACK for port {} to {} SYNs, after which the TCP gives up", c.port,
                                         tcp_->frames_out())};
        if (!tcp_ || !tcp_->ever_established())
            return Judgement{Verdict::NoReply,
                             fmt::format("no SYN-ACK for port {} within {}", c.port, format_duration(options_.timeout))};
        return std::nullopt;
    }

    void close(const SignalWatch& signals) override
    {
        if (!tcp_)
            return;
        const Clock::time_point start = Clock::now();
        // The request said "Connection: close": the realserver closes first and keeps
        // the TIME-WAIT. Our FIN goes first only if it does not within half of what is
        // left; at the deadline, an RST.
        const Clock::time_point our_fin_at = start + (deadline_ - start) / 2;
        for (;;) {
            const Clock::time_point now = Clock::now();
            service(now);
            if (tcp_->closed())
                break;
            if (!tcp_->ever_established() || now >= deadline_) {
                tcp_->abort();
                flush();
                trace_.step("tcp", "reset: {}", now >= deadline_ ? "the deadline came first" : "never established");
                break;
            }
            if (!tcp_->sending_finished() && (tcp_->peer_finished() || now >= our_fin_at)) {
                trace_.step("tcp", "FIN {} the realserver's", tcp_->peer_finished() ? "after" : "before");
                tcp_->finish_sending();
                flush();
            }
            pollfd fds[2] = {{link_.fd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
            const auto wait = std::min({tcp_->next_timer(), deadline_, our_fin_at}) - now;
            const int wait_ms =
                static_cast<int>(std::max<long>(0, std::chrono::ceil<std::chrono::milliseconds>(wait).count()));
            if (poll(fds, 2, wait_ms) < 0 && errno != EINTR)
                throw_system_error("poll", errno);
            if (fds[1].revents)
                if (auto signo = signals.pending()) {
                    tcp_->abort();
                    flush();
                    throw_interrupted(*signo);
                }
        }
        trace_.step("tcp", "closed: {} segments in, {} out, {} withheld, {} partial checksums completed, {} out of "
                    "window dropped",
                    tcp_->frames_in(), tcp_->frames_out(), tcp_->frames_withheld(), tcp_->partial_checksums(),
                    tcp_->frames_out_of_window());
    }

    void describe(Outcome& out) const override
    {
        const ProbeContext& c = plan_.context;
        const bool mac_known = resolved_ && !c.remote_mac.is_zero();
        out.subject += fmt::format(" on {}{} via {} src {}", c.rip.str(), mac_known ? " [" + c.remote_mac.str() + "]" : "",
                                   c.ifname, c.source.str());
        Field mac{"mac", nullptr};
        if (mac_known)
            mac.value = c.remote_mac.str();
        std::vector<Field> fields = {
            {"vip", c.vip.str()},
            {"rip", c.rip.str()},
            mac,
            {"interface", c.ifname},
            {"source", c.source.str()},
            {"port", std::int64_t{c.port}},
        };
        Field connect{"connect_ms", nullptr};
        if (established_at_ && syn_at_)
            connect.value = to_ms(*established_at_ - *syn_at_);
        fields.push_back(connect);
        out.fields.insert(out.fields.begin() + 1, fields.begin(), fields.end());
    }

private:
    // Evidence that no connection will come: waiting longer changes nothing.
    bool proven_dead() const
    {
        return macs_.size() > 1 || icmp_ || (tcp_ && tcp_->end() == TcpEnd::Refused);
    }

    std::string capture_filter() const
    {
        const std::string tcp = SynProbe().capture_filter(plan_.context);
        return options_.mac ? tcp : neighbour_filter(query_) + " or " + tcp;
    }

    void on_frame(Bytes bytes)
    {
        const CapturedFrame f{bytes, link_.ifindex()};
        if (!options_.mac) {
            if (const auto mac = neighbour_answer(f, query_)) {
                if (std::find(macs_.begin(), macs_.end(), *mac) == macs_.end()) {
                    macs_.push_back(*mac);
                    trace_.step("resolve", "{} is-at {}{}", query_.target.str(), mac->str(),
                                macs_.size() > 1 ? " (a second MAC: conflict)" : "");
                    if (macs_.size() == 1) {
                        resolved_ = true;
                        resolved_at_ = Clock::now();
                        plan_.context.remote_mac = *mac;
                    }
                }
                return;
            }
        }
        if (!resolved_)
            return;
        if (tcp_ && tcp_->on_frame(bytes))
            return;
        // An ICMP error quoting our SYN: the realserver forwarded or refused it.
        if (tcp_ && !tcp_->ever_established() && !icmp_)
            if (auto e = SynProbe().classify(f, plan_.context); e && e->verdict != Verdict::Up &&
                                                                  e->verdict != Verdict::PortClosed) {
                trace_.step("reply", "{}: {}", e->what, describe_frame(bytes));
                icmp_ = std::move(e);
            }
    }

    void connect(Clock::time_point now)
    {
        const ProbeContext& c = plan_.context;
        TcpFlow flow;
        flow.local_mac = c.local_mac;
        flow.remote_mac = c.remote_mac;
        flow.local = c.source;
        flow.remote = c.vip;
        flow.local_port = c.nonce.source_port;
        flow.remote_port = c.port;
        flow.isn = c.nonce.isn;
        flow.ttl = c.ttl;
        flow.mtu = static_cast<std::uint16_t>(std::clamp(plan_.route.interface.mtu, 576u, 9000u));
        tcp_ = std::make_unique<UserTcp>(stack_, flow);
        syn_at_ = now;
        trace_.step("tcp", "connect {} port {} -> {} port {} at {}, ttl {}, isn {}", c.source.str(), flow.local_port,
                    c.vip.str(), c.port, c.remote_mac.str(), c.ttl, flow.isn);
        flush();
    }

    void send(const Frame& frame) { link_.send(frame); }

    void flush()
    {
        if (!tcp_)
            return;
        for (const auto& frame : tcp_->take_frames()) {
            if (trace_.enabled())
                trace_.step("send", "{}", describe_frame(frame));
            link_.send(frame);
        }
    }

    const ProbeOptions& options_;
    const Trace& trace_;
    Clock::time_point deadline_;
    RouteLookup routes_;
    ProbePlan plan_;
    NeighbourQuery query_;
    Link link_;
    FrameBuilder builder_;
    std::optional<KernelBypass> bypass_;
    LocalListener listener_;
    std::optional<SocketRelay> relay_;
    bool relay_shut_ = false;

    bool resolved_;
    std::optional<Clock::time_point> resolved_at_;
    std::vector<MacAddress> macs_;
    Clock::time_point next_request_;
    int requests_ = 0;

    // The process's lwIP, for this run's one connection; before tcp_, which detaches
    // from it.
    LwipStack stack_{Clock::now()};
    std::unique_ptr<UserTcp> tcp_;
    std::optional<Clock::time_point> syn_at_;
    std::optional<Clock::time_point> established_at_;
    std::optional<Evidence> icmp_;
};

std::unique_ptr<Connector> make_vip_connector(const ProbeOptions& probe, const Trace& trace, Clock::time_point deadline)
{
    return std::make_unique<VipConnector>(probe, trace, deadline);
}

} // namespace vipcheck
