// The process's one lwIP instance, for every user-space TCP connection at once (UserTcp).
//
// lwIP keeps its state in globals of the library (pcb lists, netif list, tcp_ticks, its
// ISN counter); they are not ours, but everything that touches them goes through here,
// and the constructor refuses a second LwipStack while one lives, so that state has
// exactly one owner at any time: the object that owns the LwipStack (vip-http-check's
// connector, or vipcheckd's VipLinks).
//
// Debian 12's liblwip 2.1.3 is built with MEM_LIBC_MALLOC and MEMP_MEM_MALLOC: every pcb,
// segment and pbuf comes from malloc, so MEM_SIZE and the MEMP_NUM_* counts (such as
// MEMP_NUM_TCP_PCB) bound nothing. What does bound us:
//  - netifs: lwIP numbers them in a u8 and asserts (an abort) past 254, so there is one
//    netif per local address (a director has a handful), not one per connection;
//  - local ports: tcp_bind refuses a port already bound to the same local address,
//    whatever the remote end (SO_REUSE is built in but we do not set SOF_REUSEADDR), so a
//    caller draws ports that no live connection of that address holds (port_free);
//  - memory per connection: TCP_WND 0xFFFF (window scale 1) of out-of-order data and
//    TCP_SND_BUF 0xFFFF of unacknowledged data at most, malloc'd; received data leaves at
//    once (tcp_recved), so 1,000 connections are a few MiB in practice.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "vipcheck/address.hpp"
#include "vipcheck/packet.hpp"

struct netif; // lwIP
struct tcp_pcb;

namespace vipcheck {

class UserTcp;

class LwipStack {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // Throws Error if another LwipStack lives.
    explicit LwipStack(TimePoint now);
    ~LwipStack();
    LwipStack(const LwipStack&) = delete;
    LwipStack& operator=(const LwipStack&) = delete;

    // Runs lwIP's timers due at `now`, for every connection.
    void on_timer(TimePoint now);
    TimePoint next_timer() const { return next_tick_; }

    // Whether `port` on `local` is free for a new connection.
    bool port_free(const IpAddress& local, std::uint16_t port) const;
    std::size_t connections() const { return connections_.size(); }
    // Segments lwIP sent that belong to no connection (its own chatter): never sent.
    int withheld() const { return withheld_; }

    // For UserTcp only.
    // The interface lwIP routes `local`'s connections through, and the connection's
    // place in the output demultiplexer; held until detach(). Throws Error if the 4-tuple
    // is taken. `mtu` is the link's (one local address, one link): the MSS we announce.
    ::netif* attach(const IpAddress& local, std::uint16_t local_port, const IpAddress& remote,
                    std::uint16_t remote_port, std::uint16_t mtu, UserTcp& tcp);
    void detach(const IpAddress& local, std::uint16_t local_port, const IpAddress& remote, std::uint16_t remote_port);
    // tcp_connect with lwIP's next ISN forced to `isn`; the pcb's own timers are kept on
    // the shared clock. Returns lwIP's error code. `Connected` is lwIP's tcp_connected_fn
    // (err_t is s8_t), spelt so that this header needs none of lwIP's.
    using Connected = std::int8_t (*)(void* arg, ::tcp_pcb* pcb, std::int8_t err);
    int connect_with_isn(::tcp_pcb* pcb, const IpAddress& remote, std::uint16_t port, std::uint32_t isn,
                         Connected connected);

    struct Callbacks;

private:
    struct Interface;
    void output(Bytes packet);

    TimePoint next_tick_;
    // Set when a connection comes to an empty stack: the next on_timer() starts the
    // clock afresh (lwip_stack.cpp says why).
    bool restart_clock_ = false;
    std::map<std::string, std::unique_ptr<Interface>> interfaces_; // by local address (address_key)
    std::map<std::string, UserTcp*> connections_;                  // by 4-tuple (flow_key)
    std::multiset<std::string> bound_;                             // local address and port
    int withheld_ = 0;
};

// The demultiplexers' keys: an address's bytes, and a TCP 4-tuple's.
std::string address_key(const IpAddress& a);
std::string flow_key(const IpAddress& local, std::uint16_t local_port, const IpAddress& remote,
                     std::uint16_t remote_port);

} // namespace vipcheck
