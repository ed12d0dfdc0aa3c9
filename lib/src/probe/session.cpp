#include "vipcheck/session.hpp"

#include <algorithm>

#include "vipcheck/arp_leak.hpp"

namespace vipcheck {

std::string session_capture_filter(const ProbeKind& kind, const ProbeContext& c, const SessionPlan& plan)
{
    std::string filter;
    const auto add = [&](const std::string& part) {
        if (!part.empty())
            filter += (filter.empty() ? "" : " or ") + part;
    };
    if (plan.resolve)
        add(neighbour_filter(neighbour_query(c)));
    add(kind.capture_filter(c));
    if (!c.routed())
        add(arp_leak_filter(c));
    return filter;
}

ProbeSession::ProbeSession(const ProbeKind& kind, ProbeContext context, SessionPlan plan, TimePoint start,
                           const Trace& trace)
    : kind_(kind),
      context_(std::move(context)),
      plan_(plan),
      trace_(trace),
      leak_test_(plan.arp_leak || kind.is_arp_leak_test()),
      watch_(!context_.routed()),
      start_(start),
      deadline_(start + plan.timeout),
      query_(neighbour_query(context_, leak_test_)),
      resolved_(!plan.resolve),
      next_request_(start),
      probe_base_(start)
{
    context_.attempts = plan_.attempts;
}

// Probes are spread over what is left of the deadline once the MAC is known, so that
// slow resolution (a lost ARP reply) does not eat the attempts.
TimePoint ProbeSession::slot(int k) const
{
    return probe_base_ + (deadline_ - probe_base_) * k / plan_.attempts;
}

// Neighbour requests cost the realserver nothing and every probe waits on them:
// twice as often as probes, so one lost reply delays the first probe only briefly.
Duration ProbeSession::request_interval() const
{
    return plan_.timeout / (2 * plan_.attempts);
}

// One attempt: the kind's probe until it has proven something, and the ARP-leak
// question while the test runs. After a proof only the question goes out: a second SYN
// would open a second half-open connection on the realserver.
void ProbeSession::send_attempt(TimePoint now, FrameBuilder& b, std::vector<Frame>& out)
{
    if (!first_sent_)
        first_sent_ = now;
    if (!evidence_) {
        out.push_back(kind_.build(b, context_, probes_sent_));
        sent_at_.push_back(now);
        ++probes_sent_;
        // describe_frame() is not free: only when someone reads the trace.
        if (trace_.enabled())
            trace_.step("send", "probe {}/{} to {} at {}: {}", probes_sent_, plan_.attempts, context_.vip.str(),
                        context_.remote_mac.str(), describe_frame(out.back()));
    }
    if (leak_test_) {
        out.push_back(arp_leak_question(b, context_));
        ++questions_sent_;
        if (trace_.enabled())
            trace_.step("send", "question {}/{} to {} only: {}", questions_sent_, plan_.attempts,
                        context_.remote_mac.str(), describe_frame(out.back()));
    }
}

bool ProbeSession::decided() const
{
    if (leak_)
        return true;
    // An `up` under the leak test still waits for the realserver to stay silent.
    return evidence_ && !(leak_test_ && evidence_->verdict == Verdict::Up);
}

void ProbeSession::on_timer(TimePoint now, FrameBuilder& b, std::vector<Frame>& out)
{
    if (finished(now) || decided() || now >= deadline_)
        return;
    if (!resolved_) {
        if (plan_.shared_resolution || now < next_request_)
            return;
        out.push_back(neighbour_request(b, query_));
        ++requests_sent_;
        next_request_ = now + request_interval();
        trace_.step("resolve", "{} who-has {} tell {} on {} (request {})", neighbour_protocol(query_.target),
                    query_.target.str(), query_.sender().str(), context_.ifname, requests_sent_);
        return;
    }
    bool due = false;
    // Overdue slots collapse into one send: a late wake-up must not burst.
    while (next_slot_ < plan_.attempts && slot(next_slot_) <= now) {
        ++next_slot_;
        due = true;
    }
    if (due)
        send_attempt(now, b, out);
}

// The watch every session keeps: an ARP (or ND) frame from the realserver's MAC that
// speaks for the VIP ends the run as `arp-leak`, whatever the kind probes; answers
// count only when this session asked.
bool ProbeSession::watch_leak(const CapturedFrame& f, TimePoint now)
{
    if (!watch_)
        return false;
    auto leak = arp_leak_evidence(f, context_, leak_test_ ? LeakWords::AnswersToo : LeakWords::Announcements);
    if (!leak)
        return false;
    if (first_sent_)
        leak_rtt_ = now - *first_sent_;
    if (trace_.enabled())
        trace_.step("leak", "{}: {}", leak->what, describe_frame(f.bytes));
    leak_ = std::move(leak);
    return true;
}

void ProbeSession::learn_mac(const MacAddress& mac, TimePoint answered, TimePoint now, FrameBuilder& b,
                             std::vector<Frame>& out)
{
    if (answered >= deadline_ || std::find(macs_.begin(), macs_.end(), mac) != macs_.end())
        return;
    macs_.push_back(mac);
    // The arguments are spelt before step() looks at enabled(): only for a reader.
    if (trace_.enabled())
        trace_.step("resolve", "{} is-at {}{}", query_.target.str(), mac.str(),
                    macs_.size() > 1 ? " (a second MAC: conflict)" : "");
    if (macs_.size() == 1) {
        resolved_ = true;
        resolved_at_ = answered;
        context_.remote_mac = mac;
        if (trace_.enabled())
            trace_.step("match", "replies must come from {}, {}", mac.str(), expected_mac_reason(context_));
        probe_base_ = now;
        next_slot_ = 0;
        // The first probe goes out on the answer, not at the next timer.
        on_timer(now, b, out);
    }
}

void ProbeSession::on_frame(const CapturedFrame& f, TimePoint now, FrameBuilder& b, std::vector<Frame>& out)
{
    if (now >= deadline_) {
        ++ignored_;
        return;
    }
    if (plan_.resolve && !plan_.shared_resolution) {
        if (const auto mac = neighbour_answer(f, query_)) {
            learn_mac(*mac, now, now, b, out);
            return;
        }
    }
    if (!resolved_) {
        ++ignored_;
        return;
    }
    if (!leak_ && watch_leak(f, now))
        return;
    // Even after a leak the kind reads its reply while the run lasts, so that a SYN-ACK
    // racing the ARP answer still gets its RST.
    if (evidence_) {
        ++ignored_;
        return;
    }
    auto evidence = kind_.classify(f, context_);
    if (!evidence || evidence->attempt >= probes_sent_) {
        ++ignored_;
        return;
    }
    rtt_ = now - sent_at_[static_cast<std::size_t>(evidence->attempt)];
    if (trace_.enabled())
        trace_.step("reply", "{} for probe {} in {:.3f} ms: {}", evidence->what, evidence->attempt + 1, to_ms(*rtt_),
                    describe_frame(f.bytes));
    for (auto& frame : kind_.after(b, context_, *evidence)) {
        if (trace_.enabled())
            trace_.step("send", "after the {}: {}", evidence->what, describe_frame(frame));
        out.push_back(std::move(frame));
    }
    evidence_ = std::move(evidence);
}

bool ProbeSession::finished(TimePoint now) const
{
    if (macs_.size() > 1 || now >= deadline_ + plan_.capture_latency)
        return true;
    if (!decided())
        return false;
    return !resolved_at_ || now >= *resolved_at_ + conflict_window + plan_.capture_latency;
}

TimePoint ProbeSession::next_wakeup() const
{
    const TimePoint end = deadline_ + plan_.capture_latency;
    if (decided() && resolved_at_)
        return std::min(end, *resolved_at_ + conflict_window + plan_.capture_latency);
    TimePoint next = end;
    if (!resolved_ && !plan_.shared_resolution)
        next = next_request_;
    else if (resolved_ && next_slot_ < plan_.attempts)
        next = slot(next_slot_);
    // Nothing is sent from the deadline on: only the capture's latency is waited out.
    return next < deadline_ ? next : end;
}

Verdict ProbeSession::verdict() const
{
    if (macs_.size() > 1)
        return Verdict::MacConflict;
    if (leak_)
        return Verdict::ArpLeak;
    if (evidence_)
        return evidence_->verdict;
    if (!resolved_)
        return Verdict::RsUnreachable;
    // Resolved, yet nothing went out before the deadline: whoever runs the session was
    // late (a loop behind its schedule). That is no evidence against the realserver.
    if (probes_sent_ == 0 && questions_sent_ == 0)
        return Verdict::Error;
    // Silence is the leak test's `up`, but only once it has asked.
    return kind_.is_arp_leak_test() && questions_sent_ > 0 ? Verdict::Up : Verdict::NoReply;
}

} // namespace vipcheck
