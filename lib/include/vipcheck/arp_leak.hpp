// The ARP-leak test: does the realserver speak for the VIP at layer 2? A realserver
// that answers ARP (or neighbour solicitations) for the VIP, or uses the VIP as the
// sender address of its own ARP requests, points its neighbours' caches at itself and
// takes the traffic meant for the director. vip-arp-check is this test on its own;
// --arp-leak adds it to vip-icmp-check and vip-syn-check; and every session watches
// for the announcement (session.cpp), whatever it probes.
#pragma once

#include <optional>
#include <string>

#include "vipcheck/probe.hpp"

namespace vipcheck {

// The one question about the VIP vipcheck ever asks (vipcheck(7), SAFETY): who-has VIP tell
// <our source> (IPv4) or a neighbour solicitation for the VIP to the VIP (IPv6), from
// our own address, addressed to the realserver's MAC alone. Never broadcast or
// multicast, never with the VIP as sender.
Frame arp_leak_question(FrameBuilder& b, const ProbeContext& c);

// The pure classifier: evidence that the realserver speaks for the VIP. IPv4: an ARP
// frame from the realserver's MAC whose sender address is the VIP (its answer to the
// question, or a request or gratuitous ARP announcing the VIP). IPv6: neighbour
// discovery from the realserver's MAC with the VIP as source, or an advertisement whose
// target is the VIP. Any destination counts: announcements travel as broadcasts.
//
// Answers (a reply or solicited advertisement to our address) count only for a run that
// asked: a session without the leak test (vip-icmp-check without --arp-leak) judges only
// what the realserver says unasked, since an answer it sees was to another run's
// question (vipcheckd's arp target for the same realserver, a vip-arp-check beside it),
// and its verdict must not depend on what else ran at the time.
enum class LeakWords { Announcements, AnswersToo };
std::optional<Evidence> arp_leak_evidence(const CapturedFrame& f, const ProbeContext& c, LeakWords counted);

// Kernel filter (pcap syntax) for the frames arp_leak_evidence() may accept. It cannot
// name the realserver's MAC: the filter is installed before resolution finds it.
std::string arp_leak_filter(const ProbeContext& c);

// "no ARP answer for 198.51.100.10 and no announcement of it within 1s (3 questions)":
// what a silent realserver proved, for the `up` line.
std::string arp_leak_silence(const ProbeContext& c, int questions, Duration timeout);

// vip-arp-check. Each attempt sends the unicast question and, as the trigger for the
// announcement, an ICMP echo to the VIP at the realserver's MAC: its reply comes from
// the VIP to our address, and a realserver with no neighbour entry for us then resolves
// us with whatever sender address its arp_announce picks. Its resolution of the RIP is
// an ARP probe (neighbour.hpp) so that it does not teach the realserver our MAC first.
// Silence until the deadline is `up`.
class ArpLeakProbe final : public ProbeKind {
public:
    std::string_view expected_reply() const override { return "answer or announcement for the VIP"; }
    // Nothing of its own: the session's ARP watch (session_capture_filter) passes all
    // the frames this kind classifies.
    std::string capture_filter(const ProbeContext&) const override { return {}; }
    Frame build(FrameBuilder& b, const ProbeContext& c, int attempt) const override;
    std::optional<Evidence> classify(const CapturedFrame& f, const ProbeContext& c) const override;
    bool is_arp_leak_test() const override { return true; }
    // Its trigger is an echo (build()): the reply names the echo id. The leak frames
    // themselves reach the session by the VIP they speak for (demux.hpp).
    std::optional<NonceKey> nonce_key(const ProbeContext& c) const override { return NonceKey{1, c.nonce.id}; }
};

} // namespace vipcheck
