#include "vip_http/vip_links.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "vip_http/vip_connection.hpp"
#include "vip_http/vip_connector.hpp"
#include "vipcheck/demux.hpp"
#include "vipcheck/engine.hpp"
#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

std::uint64_t port_key(int ifindex, std::uint16_t port)
{
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(ifindex)) << 16) | port;
}

std::string rip_key(int ifindex, const IpAddress& rip)
{
    return std::to_string(ifindex) + "/" + address_key(rip);
}

// Every frame a connection may need, on an interface whose MAC is `mac`: neighbour
// answers, and TCP and ICMP to us. The TCP of the director's own other connections
// passes too (the kernel filter cannot know the random ports); the demultiplexer drops
// it after a lookup.
std::string capture_filter(const MacAddress& mac)
{
    return fmt::format("arp or (icmp6 and ip6[6] == 58 and ip6[40] == 136) or "
                       "(ether dst {} and (tcp or icmp or (ip6 and ip6[6] == 6) or (ip6 and ip6[6] == 58)))",
                       mac.str());
}

// Each interface's capture ring, for the connections: their segments trickle in, so the
// ring is counted in block timer ticks (capture_set.hpp). With 8 MiB (32 blocks) a round
// of 4,000 connections (KIND=http bench/daemon.sh build 1000) lost frames to the full
// ring; 32 MiB lost none.
constexpr int connection_ring = 32 * 1024 * 1024;

} // namespace

// A connection made by prepare()'s factory: the VipConnection, its places in the
// demultiplexers, which it leaves when the fleet drops it, and its nftables element on
// a director that does not hold the VIP.
struct VipLinks::Linked final : Connection {
    enum class Bypass { None, Awaiting, Installed, Refused };

    Linked(VipLinks& owner, std::shared_ptr<const ProbeOptions> o, const ProbeContext& context, std::uint16_t mtu,
           TimePoint deadline_, bool bypass_needed)
        : links(owner),
          options(std::move(o)),
          ifindex(context.ifindex),
          deadline(deadline_),
          connection(
              *options, context, mtu, owner.stack_,
              [&captures = owner.captures_, ifindex = context.ifindex, ifname = context.ifname](const Frame& f) {
                  captures.sending(ifindex, ifname).send(f);
              },
              owner.trace_, deadline)
    {
        links.by_port_.emplace(port_key(ifindex, context.nonce.source_port), &connection);
        if (!options->mac)
            links.by_rip_.emplace(rip_key(ifindex, context.rip), &connection);
        if (bypass_needed) {
            links.awaiting_bypass_.push_back(this);
            bypass = Bypass::Awaiting;
        }
    }
    ~Linked() override
    {
        links.by_port_.erase(port_key(ifindex, connection.context().nonce.source_port));
        const auto [first, last] = links.by_rip_.equal_range(rip_key(ifindex, connection.context().rip));
        for (auto it = first; it != last; ++it)
            if (it->second == &connection) {
                links.by_rip_.erase(it);
                break;
            }
        if (bypass == Bypass::Awaiting)
            std::erase(links.awaiting_bypass_, this);
        else if (bypass == Bypass::Installed)
            links.ended_bypasses_.push_back(tuple());
    }

    FourTuple tuple() const
    {
        const ProbeContext& c = connection.context();
        return {c.vip, c.port, c.source, c.nonce.source_port};
    }

    void configure(CURL* easy) override { connection.configure(easy); }
    std::vector<curl_waitfd> wait_fds() override { return connection.wait_fds(); }
    Clock::time_point next_wakeup(Clock::time_point deadline_) const override
    {
        return connection.next_wakeup(deadline_);
    }
    // Its SYN may leave in the connection's first service: the element is in before.
    void service(Clock::time_point now) override
    {
        if (bypass == Bypass::Awaiting)
            links.install_bypasses(now);
        if (bypass == Bypass::Refused)
            throw Error(refusal);
        connection.service(now);
    }
    std::optional<Judgement> verdict() const override { return connection.verdict(); }
    bool close_step(Clock::time_point now) override { return connection.close_step(now); }
    void describe(Outcome& out) const override { connection.describe(out); }

    VipLinks& links;
    std::shared_ptr<const ProbeOptions> options; // the connection refers to it
    int ifindex;
    TimePoint deadline;
    Bypass bypass = Bypass::None;
    std::string refusal; // nftables' answer, when Refused
    VipConnection connection;
};

VipLinks::VipLinks(CaptureSet& captures, const Trace& trace)
    : trace_(trace),
      stack_(Clock::now()),
      captures_(captures),
      // A connection on a capture that failed hears nothing more: its deadline ends it.
      reader_(
          captures, [this](const CapturedFrame& f, TimePoint) { dispatch(f); }, [](int, const std::string&) {})
{
}

// The fleet's connections are gone (they hold places here): their elements go now.
VipLinks::~VipLinks()
{
    end_turn();
}

void VipLinks::install_bypasses(TimePoint now)
{
    std::vector<BypassElement> adds;
    adds.reserve(awaiting_bypass_.size());
    // As vip-http-check's: the connection ends by its deadline, the element a second later.
    for (const Linked* l : awaiting_bypass_)
        adds.push_back({l->tuple(), std::chrono::ceil<std::chrono::milliseconds>(l->deadline - now) +
                                        std::chrono::seconds(1)});
    const auto linked = std::exchange(awaiting_bypass_, {});
    try {
        bypass_->add(adds);
    } catch (const std::exception& e) {
        for (Linked* l : linked) {
            l->bypass = Linked::Bypass::Refused;
            l->refusal = e.what();
        }
        return;
    }
    for (Linked* l : linked)
        l->bypass = Linked::Bypass::Installed;
    for (const BypassElement& e : adds)
        trace_.step("bypass", "nftables drops {} port {} -> {} port {} in prerouting for {} ms", e.tuple.remote.str(),
                    e.tuple.remote_port, e.tuple.local.str(), e.tuple.local_port, e.lifetime.count());
    trace_.step("bypass", "{} element{} added in one transaction", adds.size(), adds.size() == 1 ? "" : "s");
}

void VipLinks::end_turn()
{
    if (ended_bypasses_.empty())
        return;
    const std::size_t deleted = bypass_->remove(ended_bypasses_);
    // What could not be deleted had expired, or will.
    trace_.step("bypass", "{} of {} ended connections' elements deleted in one transaction", deleted,
                ended_bypasses_.size());
    ended_bypasses_.clear();
}

HttpFleet::ConnectionFactory VipLinks::prepare(const ProbeOptions& options)
{
    const ProbePlan plan = plan_probe(options, routes_, trace_);
    // A director that holds the VIP drops the realserver's answers from it as martians;
    // one that does not would reset them.
    const bool bypass_needed = !holds_address(routes_, plan.context.vip);
    if (bypass_needed && !bypass_) {
        bypass_.emplace(bypass_not_permitted(plan.context.vip,
                                             "give vipcheckd CAP_NET_ADMIN beside CAP_NET_RAW (its systemd unit's "
                                             "AmbientCapabilities= and CapabilityBoundingSet=), or run it as root"));
        trace_.step("bypass", "this director does not hold {}: nftables will drop the realserver's segments of each "
                    "such connection in prerouting while it lasts",
                    plan.context.vip.str());
    }
    captures_.open(plan.route.interface, "kind http", capture_filter(plan.route.interface.mac), connection_ring);
    const auto mtu = static_cast<std::uint16_t>(std::clamp(plan.route.interface.mtu, 576u, 9000u));
    auto kept = std::make_shared<const ProbeOptions>(options);
    return [this, kept, context = plan.context, mtu, bypass_needed](TimePoint deadline) -> std::unique_ptr<Connection> {
        ProbeContext c = context;
        // A port no connection on this interface holds (the demultiplexer's key, and
        // lwIP's bind): drawn again on a clash, as the ProbeLoop draws its nonces.
        for (int tries = 0;; ++tries) {
            c.nonce = Nonce::random();
            if (!by_port_.contains(port_key(c.ifindex, c.nonce.source_port)) &&
                stack_.port_free(c.source, c.nonce.source_port))
                break;
            if (tries == 64)
                throw Error("too many connections in flight on one capture to find a free port");
        }
        return std::make_unique<Linked>(*this, kept, c, mtu, deadline, bypass_needed);
    };
}

void VipLinks::dispatch(const CapturedFrame& f)
{
    const int ifindex = f.ifindex;
    if (const auto key = reply_key(f.bytes)) {
        // A TCP segment to a connection's port, or an ICMP error quoting one.
        if (key->protocol == 6)
            if (const auto it = by_port_.find(port_key(ifindex, key->value)); it != by_port_.end())
                it->second->on_frame(f);
        return;
    }
    for (const auto& subject : leak_subjects(f.bytes)) {
        const auto [first, last] = by_rip_.equal_range(rip_key(ifindex, subject));
        for (auto it = first; it != last; ++it)
            it->second->on_frame(f);
    }
}

} // namespace vipcheck
