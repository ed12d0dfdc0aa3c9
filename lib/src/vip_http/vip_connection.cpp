#include "vip_http/vip_connection.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <algorithm>
#include <exception>

#include "vipcheck/error.hpp"
#include "vipcheck/session.hpp"
#include "vipcheck/tcp_syn.hpp"

namespace vipcheck {

VipConnection::VipConnection(const ProbeOptions& options, const ProbeContext& context, std::uint16_t mtu,
                             LwipStack& stack, Send send, const Trace& trace, Clock::time_point deadline)
    : options_(options),
      context_(context),
      mtu_(mtu),
      stack_(stack),
      send_(std::move(send)),
      trace_(trace),
      deadline_(deadline),
      query_(neighbour_query(context_)),
      resolved_(options.mac.has_value())
{
    next_request_ = Clock::now();
    if (resolved_)
        resolved_at_ = Clock::now() - conflict_window;
}

VipConnection::~VipConnection()
{
    // Ended before its close (a signal, a reload): the realserver is told at once.
    if (tcp_ && !tcp_->closed()) {
        try {
            abort();
        } catch (const std::exception&) {
        }
    }
}

void VipConnection::abort()
{
    if (!tcp_ || tcp_->closed())
        return;
    tcp_->abort();
    flush();
}

std::string VipConnection::capture_filter() const
{
    const std::string tcp = SynProbe().capture_filter(context_);
    return options_.mac ? tcp : neighbour_filter(query_) + " or " + tcp;
}

void VipConnection::configure(CURL* easy)
{
    // libcurl connects to the relay's local socket; the URL still names the host for
    // the Host header, SNI and the certificate check.
    set_curl_option(easy, CURLOPT_ABSTRACT_UNIX_SOCKET, listener_.name().c_str());
    // libcurl may not follow a redirect elsewhere: the relay is one connection.
    set_curl_option(easy, CURLOPT_FOLLOWLOCATION, 0L);
}

std::vector<curl_waitfd> VipConnection::wait_fds()
{
    if (!relay_)
        return {{listener_.fd(), CURL_WAIT_POLLIN, 0}};
    const short e = relay_->events();
    if (!e)
        return {};
    return {{relay_->fd(), static_cast<short>(((e & POLLIN) ? CURL_WAIT_POLLIN : 0) |
                                               ((e & POLLOUT) ? CURL_WAIT_POLLOUT : 0)),
             0}};
}

Clock::time_point VipConnection::next_wakeup(Clock::time_point deadline) const
{
    Clock::time_point wake = deadline;
    if (!resolved_)
        wake = std::min(wake, next_request_);
    else if (!tcp_ && macs_.size() <= 1)
        wake = std::min(wake, *resolved_at_ + conflict_window);
    if (tcp_ && !tcp_->closed())
        wake = std::min(wake, tcp_->next_timer());
    if (close_started_ && tcp_ && !tcp_->sending_finished())
        wake = std::min(wake, our_fin_at_);
    return wake;
}

void VipConnection::service(Clock::time_point now)
{
    if (!resolved_ && now >= next_request_ && now < deadline_) {
        send_(neighbour_request(builder_, query_));
        ++requests_;
        next_request_ = now + options_.timeout / (2 * options_.attempts);
        trace_.step("resolve", "{} who-has {} tell {} (request {})", neighbour_protocol(query_.target),
                    query_.target.str(), query_.source.str(), requests_);
    }
    if (resolved_ && !tcp_ && macs_.size() <= 1 && now >= *resolved_at_ + conflict_window && now < deadline_ &&
        !close_started_)
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
            trace_.step("tcp", "established with {} port {} in {:.3f} ms", context_.vip.str(), context_.port,
                        to_ms(now - *syn_at_));
        }
    }
    // A connection proven dead ends libcurl's wait at once.
    if (relay_ && !relay_shut_ && proven_dead()) {
        shutdown(relay_->fd(), SHUT_RDWR);
        relay_shut_ = true;
    }
}

std::optional<Judgement> VipConnection::verdict() const
{
    const ProbeContext& c = context_;
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

bool VipConnection::close_step(Clock::time_point now)
{
    if (!tcp_)
        return true;
    if (!close_started_) {
        // The request said "Connection: close": the realserver closes first and keeps
        // the TIME-WAIT. Our FIN goes first only if it does not within half of what is
        // left; at the deadline, an RST.
        close_started_ = now;
        our_fin_at_ = now + (std::max(deadline_, now) - now) / 2;
    }
    if (close_traced_)
        return true;
    bool done = tcp_->closed();
    if (!done && (!tcp_->ever_established() || now >= deadline_)) {
        tcp_->abort();
        flush();
        trace_.step("tcp", "reset: {}", now >= deadline_ ? "the deadline came first" : "never established");
        done = true;
    }
    if (!done && !tcp_->sending_finished() && (tcp_->peer_finished() || now >= our_fin_at_)) {
        trace_.step("tcp", "FIN {} the realserver's", tcp_->peer_finished() ? "after" : "before");
        tcp_->finish_sending();
        flush();
    }
    if (!done)
        return false;
    close_traced_ = true;
    trace_.step("tcp", "closed: {} segments in, {} out, {} withheld, {} partial checksums completed, {} out of "
                "window dropped",
                tcp_->frames_in(), tcp_->frames_out(), tcp_->frames_withheld(), tcp_->partial_checksums(),
                tcp_->frames_out_of_window());
    return true;
}

void VipConnection::describe(Outcome& out) const
{
    const ProbeContext& c = context_;
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

bool VipConnection::proven_dead() const
{
    return macs_.size() > 1 || icmp_ || (tcp_ && tcp_->end() == TcpEnd::Refused);
}

void VipConnection::on_frame(const CapturedFrame& f)
{
    const Bytes bytes = f.bytes;
    if (!options_.mac) {
        if (const auto mac = neighbour_answer(f, query_)) {
            if (std::find(macs_.begin(), macs_.end(), *mac) == macs_.end()) {
                macs_.push_back(*mac);
                trace_.step("resolve", "{} is-at {}{}", query_.target.str(), mac->str(),
                            macs_.size() > 1 ? " (a second MAC: conflict)" : "");
                if (macs_.size() == 1) {
                    resolved_ = true;
                    resolved_at_ = Clock::now();
                    context_.remote_mac = *mac;
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
        if (auto e = SynProbe().classify(f, context_);
            e && e->verdict != Verdict::Up && e->verdict != Verdict::PortClosed) {
            trace_.step("reply", "{}: {}", e->what, describe_frame(bytes));
            icmp_ = std::move(e);
        }
}

void VipConnection::connect(Clock::time_point now)
{
    const ProbeContext& c = context_;
    TcpFlow flow;
    flow.local_mac = c.local_mac;
    flow.remote_mac = c.remote_mac;
    flow.local = c.source;
    flow.remote = c.vip;
    flow.local_port = c.nonce.source_port;
    flow.remote_port = c.port;
    flow.isn = c.nonce.isn;
    flow.ttl = c.ttl;
    flow.mtu = mtu_;
    tcp_ = std::make_unique<UserTcp>(stack_, flow);
    syn_at_ = now;
    trace_.step("tcp", "connect {} port {} -> {} port {} at {}, ttl {}, isn {}", c.source.str(), flow.local_port,
                c.vip.str(), c.port, c.remote_mac.str(), c.ttl, flow.isn);
    flush();
}

void VipConnection::flush()
{
    if (!tcp_)
        return;
    for (const auto& frame : tcp_->take_frames()) {
        if (trace_.enabled())
            trace_.step("send", "{}", describe_frame(frame));
        send_(frame);
    }
}

} // namespace vipcheck
