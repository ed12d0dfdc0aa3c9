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

// The capture of many connections at once. libpcap's immediate mode is TPACKET_V2: one
// ring slot per frame, each as large as the snapshot, so vip-http-check's own buffers
// (a 256 KiB snapshot in 4 MiB) hold 16 frames, and a round's SYN-ACKs overrun them.
// A snapshot of 64 KiB and a bit takes the largest segment the kernel's GRO builds by
// default (gro_max_size 65536), in a 128 KiB slot; 32 MiB make 256 slots, which held a
// round of 1,000 connections (bench/daemon.sh KIND=http) where 16 MiB lost SYN-ACKs. The
// ring is mapped whole, so it is most of the daemon's memory with this kind.
constexpr LinkBuffers many_connections{65536 + 1024, 32 * 1024 * 1024};

} // namespace

struct VipLinks::Capture {
    Link link;
};

// A connection made by prepare()'s factory: the VipConnection, its places in the
// demultiplexers, which it leaves when the fleet drops it, and its nftables element on
// a director that does not hold the VIP.
struct VipLinks::Linked final : Connection {
    enum class Bypass { None, Awaiting, Installed, Refused };

    Linked(VipLinks& owner, std::shared_ptr<const ProbeOptions> o, const ProbeContext& context, std::uint16_t mtu,
           Link& link, TimePoint deadline_, bool bypass_needed)
        : links(owner),
          options(std::move(o)),
          ifindex(context.ifindex),
          deadline(deadline_),
          connection(*options, context, mtu, owner.stack_, [&link](const Frame& f) { link.send(f); }, owner.trace_,
                     deadline)
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

VipLinks::VipLinks(const Trace& trace) : trace_(trace), stack_(Clock::now()) {}

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

VipLinks::Capture& VipLinks::capture_for(const InterfaceInfo& interface)
{
    auto& slot = captures_[interface.index];
    if (!slot) {
        try {
            slot = std::make_unique<Capture>(Capture{Link(interface, capture_filter(interface.mac), many_connections)});
        } catch (...) {
            captures_.erase(interface.index);
            throw;
        }
        trace_.step("capture", "opened on {} for kind http", interface.name);
    }
    return *slot;
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
    Capture& capture = capture_for(plan.route.interface);
    const auto mtu = static_cast<std::uint16_t>(std::clamp(plan.route.interface.mtu, 576u, 9000u));
    auto kept = std::make_shared<const ProbeOptions>(options);
    return [this, kept, context = plan.context, mtu, &capture,
            bypass_needed](TimePoint deadline) -> std::unique_ptr<Connection> {
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
        return std::make_unique<Linked>(*this, kept, c, mtu, capture.link, deadline, bypass_needed);
    };
}

void VipLinks::poll_fds(std::vector<pollfd>& fds) const
{
    for (const auto& [ifindex, c] : captures_)
        fds.push_back({c->link.fd(), POLLIN, 0});
}

void VipLinks::dispatch(int ifindex, Bytes frame)
{
    const CapturedFrame f{frame, ifindex};
    if (const auto key = reply_key(frame)) {
        // A TCP segment to a connection's port, or an ICMP error quoting one.
        if (key->protocol == 6)
            if (const auto it = by_port_.find(port_key(ifindex, key->value)); it != by_port_.end())
                it->second->on_frame(f);
        return;
    }
    for (const auto& subject : leak_subjects(frame)) {
        const auto [first, last] = by_rip_.equal_range(rip_key(ifindex, subject));
        for (auto it = first; it != last; ++it)
            it->second->on_frame(f);
    }
}

void VipLinks::run()
{
    for (auto& [ifindex, c] : captures_) {
        const int index = ifindex;
        c->link.drain([&](Bytes bytes) { dispatch(index, bytes); });
    }
}

} // namespace vipcheck
