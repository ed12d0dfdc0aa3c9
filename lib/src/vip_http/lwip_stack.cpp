#include "vip_http/lwip_stack.hpp"

#include <lwip/init.h>
#include <lwip/ip.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/priv/tcp_priv.h>

#include <fmt/format.h>

#include <cstring>
#include <type_traits>
#include <vector>

#include "vip_http/user_tcp.hpp"
#include "vipcheck/error.hpp"

// connect_with_isn knows lwIP 2.1's tcp_next_iss(); another release may differ.
static_assert(LWIP_VERSION_MAJOR == 2 && LWIP_VERSION_MINOR == 1, "the ISN glue knows lwIP 2.1's tcp_next_iss()");

namespace vipcheck {

static_assert(std::is_same_v<LwipStack::Connected, tcp_connected_fn>, "lwIP's tcp_connected_fn, spelt without lwIP");

namespace {

constexpr std::uint8_t tcp_protocol = 6;
constexpr auto lwip_tick = std::chrono::milliseconds(TCP_TMR_INTERVAL) / lwip_clock_speedup;

// lwIP's globals have one owner at a time. This is the only state of ours that is the
// process's, and it exists because lwIP's is: whether a stack is alive, whether
// lwip_init() ran, and the mirror of lwIP's static ISN counter (the last ISN it handed
// out, which outlives any one stack).
struct LwipGlobals {
    bool alive = false;
    bool initialised = false;
    std::uint32_t last_iss = 6510; // lwIP 2.1's first
};

LwipGlobals& lwip_globals()
{
    static LwipGlobals globals;
    return globals;
}

} // namespace

std::string address_key(const IpAddress& a)
{
    return std::string(reinterpret_cast<const char*>(a.data()), a.size());
}

std::string flow_key(const IpAddress& local, std::uint16_t local_port, const IpAddress& remote,
                     std::uint16_t remote_port)
{
    std::string key = address_key(local);
    key += static_cast<char>(local_port >> 8);
    key += static_cast<char>(local_port & 0xff);
    key += address_key(remote);
    key += static_cast<char>(remote_port >> 8);
    key += static_cast<char>(remote_port & 0xff);
    return key;
}

struct LwipStack::Interface {
    ::netif lwip{};
    IpAddress address;
    int users = 0;
};

struct LwipStack::Callbacks {
    static err_t emit(::netif* n, pbuf* p)
    {
        std::vector<std::uint8_t> packet(p->tot_len);
        pbuf_copy_partial(p, packet.data(), p->tot_len, 0);
        static_cast<LwipStack*>(n->state)->output(Bytes(packet));
        return ERR_OK;
    }
    static err_t output4(::netif* n, pbuf* p, const ip4_addr_t*) { return emit(n, p); }
    static err_t output6(::netif* n, pbuf* p, const ip6_addr_t*) { return emit(n, p); }
    static err_t init(::netif* n)
    {
        n->name[0] = 'v';
        n->name[1] = 'c';
        n->output = &Callbacks::output4;
        n->output_ip6 = &Callbacks::output6;
        // No NETIF_FLAG_ETHARP / IGMP / MLD: lwIP has no link layer here; UserTcp adds
        // the Ethernet header to its realserver's MAC itself.
        n->flags = 0;
        return ERR_OK;
    }
};

LwipStack::LwipStack(TimePoint now) : next_tick_(now + lwip_tick)
{
    LwipGlobals& g = lwip_globals();
    if (g.alive)
        throw Error("internal: a second lwIP stack in one process");
    if (!g.initialised) {
        lwip_init();
        g.initialised = true;
    }
    g.alive = true;
}

LwipStack::~LwipStack()
{
    // Every UserTcp has detached (they hold a reference to the stack): nothing is left
    // but what lwIP may still hold of ours, the interfaces.
    for (auto& [key, i] : interfaces_)
        netif_remove(&i->lwip);
    lwip_globals().alive = false;
}

void LwipStack::on_timer(TimePoint now)
{
    // lwIP's clock has to run only while it holds a connection. The ticks missed while
    // the stack sat empty (vipcheckd's stack between two rounds) time nothing, and run
    // at once they would fire the new connection's retransmissions in a burst: its SYN
    // sent seven times within microseconds, then given up.
    if (restart_clock_) {
        restart_clock_ = false;
        next_tick_ = now + lwip_tick;
        return;
    }
    // A late wake-up with connections open runs the missed ticks at once, as a slow
    // embedded loop would.
    while (now >= next_tick_) {
        tcp_tmr();
        next_tick_ += lwip_tick;
    }
}

bool LwipStack::port_free(const IpAddress& local, std::uint16_t port) const
{
    std::string key = address_key(local);
    key += static_cast<char>(port >> 8);
    key += static_cast<char>(port & 0xff);
    return !bound_.contains(key);
}

::netif* LwipStack::attach(const IpAddress& local, std::uint16_t local_port, const IpAddress& remote,
                           std::uint16_t remote_port, std::uint16_t mtu, UserTcp& tcp)
{
    const std::string flow = flow_key(local, local_port, remote, remote_port);
    if (connections_.contains(flow))
        throw Error(fmt::format("internal: two user-space connections from {} port {}", local.str(), local_port));
    // UserTcp aborts its pcb before it detaches: with no connection, lwIP holds none.
    if (connections_.empty())
        restart_clock_ = true;
    auto& slot = interfaces_[address_key(local)];
    if (!slot) {
        auto i = std::make_unique<Interface>();
        i->address = local;
        ::netif* n = &i->lwip;
        if (local.is_v4()) {
            ip4_addr_t address{local.v4_network_order()};
            // Netmask 0: every destination is on this interface. Connections are bound
            // to their interface (tcp_bind_netif) in any case.
            ip4_addr_t any{0};
            if (!netif_add(n, &address, &any, &any, this, &Callbacks::init, ip_input)) {
                interfaces_.erase(address_key(local));
                throw Error("lwIP could not add its interface");
            }
        } else {
            if (!netif_add_noaddr(n, this, &Callbacks::init, ip_input)) {
                interfaces_.erase(address_key(local));
                throw Error("lwIP could not add its interface");
            }
            ip6_addr_t address{};
            std::memcpy(address.addr, local.data(), 16);
            ip6_addr_clear_zone(&address);
            s8_t index = -1;
            if (netif_add_ip6_address(n, &address, &index) != ERR_OK) {
                netif_remove(n);
                interfaces_.erase(address_key(local));
                throw Error(fmt::format("lwIP could not take the address {}", local.str()));
            }
            // Preferred at once: no duplicate address detection, which would send.
            netif_ip6_addr_set_state(n, index, IP6_ADDR_PREFERRED);
        }
        n->mtu = mtu;
#if LWIP_IPV6 && LWIP_ND6_ALLOW_RA_UPDATES
        n->mtu6 = mtu;
#endif
        netif_set_up(n);
        netif_set_link_up(n);
        slot = std::move(i);
    }
    ++slot->users;
    connections_.emplace(flow, &tcp);
    std::string bound = address_key(local);
    bound += static_cast<char>(local_port >> 8);
    bound += static_cast<char>(local_port & 0xff);
    bound_.insert(bound);
    return &slot->lwip;
}

void LwipStack::detach(const IpAddress& local, std::uint16_t local_port, const IpAddress& remote,
                       std::uint16_t remote_port)
{
    if (connections_.erase(flow_key(local, local_port, remote, remote_port)) == 0)
        return;
    std::string bound = address_key(local);
    bound += static_cast<char>(local_port >> 8);
    bound += static_cast<char>(local_port & 0xff);
    if (const auto it = bound_.find(bound); it != bound_.end())
        bound_.erase(it);
    const auto it = interfaces_.find(address_key(local));
    if (it != interfaces_.end() && --it->second->users == 0) {
        netif_remove(&it->second->lwip);
        interfaces_.erase(it);
    }
}

int LwipStack::connect_with_isn(::tcp_pcb* pcb, const IpAddress& remote, std::uint16_t port, std::uint32_t isn,
                                Connected connected)
{
    ip_addr_t address{};
    if (remote.is_v4()) {
        IP_SET_TYPE_VAL(address, IPADDR_TYPE_V4);
        ip_2_ip4(&address)->addr = remote.v4_network_order();
    } else {
        IP_SET_TYPE_VAL(address, IPADDR_TYPE_V6);
        std::memcpy(ip_2_ip6(&address)->addr, remote.data(), 16);
        ip6_addr_clear_zone(ip_2_ip6(&address));
    }
    // tcp_next_iss() is `iss += tcp_ticks; return iss;`: with tcp_ticks set to
    // (wanted - last) for the call, the ISN is the wanted one. tcp_ticks is also every
    // other connection's clock (retransmission and TIME-WAIT timers compare against
    // it), so it is put back at once, and the only stamps tcp_connect took from the
    // borrowed value (the new pcb's RTT sample and idle time) are moved to the real one.
    const u32_t ticks = tcp_ticks;
    // lwIP's "iss" is the sequence number after the SYN: the SYN carries iss - 1.
    tcp_ticks = isn + 1 - lwip_globals().last_iss;
    const err_t err = tcp_connect(pcb, &address, port, connected);
    const u32_t borrowed = tcp_ticks;
    tcp_ticks = ticks;
    if (err != ERR_OK)
        return err;
    if (pcb->rttest == borrowed)
        pcb->rttest = ticks;
    if (pcb->tmr == borrowed)
        pcb->tmr = ticks;
    lwip_globals().last_iss = pcb->lastack + 1;
    return ERR_OK;
}

void LwipStack::output(Bytes packet)
{
    // lwIP's own packets (none should be, with no link layer and no MLD) and each
    // connection's segments: a segment goes to the connection its 4-tuple names,
    // which adds its realserver's MAC.
    const bool v4 = !packet.empty() && (packet[0] >> 4) == 4;
    const std::optional<IpPacket> ip = v4 ? parse_ipv4(packet) : parse_ipv6(packet);
    if (!ip || ip->protocol != tcp_protocol || ip->payload.size() < 20) {
        ++withheld_;
        return;
    }
    const auto it = connections_.find(
        flow_key(ip->source, load16(&ip->payload[0]), ip->destination, load16(&ip->payload[2])));
    if (it == connections_.end()) {
        ++withheld_;
        return;
    }
    it->second->output(packet);
}

} // namespace vipcheck
