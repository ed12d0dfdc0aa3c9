// vipcheckd's kind http: many VIP-HTTP connections at once in the daemon's one loop.
// One lwIP stack (lwip_stack.hpp) carries every connection; the daemon's one capture per
// interface (capture_set.hpp), which the ProbeLoop's runs read too, carries every
// connection's frames; each connection is a VipConnection, vip-http-check's own logic,
// which the HttpFleet drives with its libcurl transfer on the same poll.
//
// A connection needs every segment to its port (data, ACKs, FINs), where the frame
// probes need only an answer's first (SYN-ACK, RST): this component adds its filter to
// the capture of each interface it uses. Every frame of a capture comes to both
// readers; here a segment or an ICMP error goes to the one connection its destination
// (or quoted source) port names, as the ProbeLoop's sessions are found by their nonce:
// the port is drawn at random per connection and unique on its interface, and that
// connection's UserTcp then checks the whole 4-tuple and lwIP the ISN. A neighbour
// answer goes to every connection resolving that address on that interface.
//
// On a director that does not hold a target's VIP (a backup director), each of its
// connections gets vip-http-check's nftables element (kernel_bypass.hpp) from before
// its SYN until it ends: one libnftables context, opened in prepare() with the
// privilege; the elements of the connections that start in one turn of the loop go in
// one transaction, at the first of them to be serviced, and those that ended in a turn
// are deleted in one at its end (end_turn()). Each element's timeout is its
// connection's deadline and a second, so a SIGKILLed daemon leaves none for long.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/http_fleet.hpp"
#include "probe/capture_set.hpp"
#include "vip_http/kernel_bypass.hpp"
#include "vip_http/lwip_stack.hpp"
#include "vipcheck/link.hpp"
#include "vipcheck/options.hpp"
#include "vipcheck/route.hpp"
#include "vipcheck/trace.hpp"

namespace vipcheck {

class VipConnection;

class VipLinks {
public:
    // `captures` outlive this.
    VipLinks(CaptureSet& captures, const Trace& trace);
    ~VipLinks();
    VipLinks(const VipLinks&) = delete;
    VipLinks& operator=(const VipLinks&) = delete;

    // Plans a kind http target's connection and opens (or widens) its interface's capture (so that
    // this needs CAP_NET_RAW, and a --once round drops it after submitting) and, for a
    // VIP this director does not hold, the nftables context (CAP_NET_ADMIN, which such
    // a round keeps: bypassing()). The factory makes the connection when the fleet
    // starts the check. Throws Error for a target that cannot run: no route, no
    // capture, or no right to keep the kernel out.
    HttpFleet::ConnectionFactory prepare(const ProbeOptions& options);
    // Whether a prepared target needs the nftables elements, added as its connections
    // start.
    bool bypassing() const { return bypass_.has_value(); }

    // Deletes the elements of the connections that ended since the last call, in one
    // transaction: after the fleet's run, which ends them.
    void end_turn();
    std::size_t connections() const { return by_port_.size(); }

    // For the connections it made (vip_links.cpp).
    struct Linked;

private:
    void dispatch(const CapturedFrame& frame);
    void install_bypasses(TimePoint now);

    const Trace& trace_;
    RouteLookup routes_;
    LwipStack stack_;
    CaptureSet& captures_;
    CaptureSet::Reader reader_;
    // (ifindex, local port) -> its connection; (ifindex, RIP) -> those resolving it.
    std::unordered_map<std::uint64_t, VipConnection*> by_port_;
    std::unordered_multimap<std::string, VipConnection*> by_rip_;
    std::optional<KernelBypass> bypass_;
    std::vector<Linked*> awaiting_bypass_;   // made this turn, their elements not added yet
    std::vector<FourTuple> ended_bypasses_;  // of connections gone, to delete
};

} // namespace vipcheck
