// The kernel's own answer to "how would you reach this address?", asked over rtnetlink
// the way `ip route get ADDR [from SRC] [oif IF]` asks it, so policy routing, VRFs and
// preferred sources come out exactly as the kernel would use them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vipcheck/address.hpp"

struct mnl_socket;

namespace vipcheck {

struct InterfaceInfo {
    int index = 0;
    std::string name;
    MacAddress mac;
    unsigned type = 0; // ARPHRD_*
    unsigned flags = 0;
    unsigned mtu = 0;
    bool up() const;
};

struct Route {
    InterfaceInfo interface;
    IpAddress source;
    std::optional<IpAddress> gateway; // set when the destination is not on-link
    int table = 0;
    bool local = false; // the destination is an address of this host
};

// A route's destination, ADDRESS/LENGTH.
struct RoutePrefix {
    IpAddress destination;
    int length = 0;
    bool contains(const IpAddress& address) const;
};

class NetlinkSocket {
public:
    NetlinkSocket();
    // Sends one request and hands every answer message to `on_message` until the
    // kernel's answer is complete; a netlink error becomes errno in the Error text.
    void request(void* message, const std::function<void(const void* nlmsghdr)>& on_message,
                 const std::string& what);
    // request() with the failure as a value: 0, or the errno that request() would
    // throw with (an unroutable address is an answer, not an exception).
    int try_request(void* message, const std::function<void(const void* nlmsghdr)>& on_message);
    // Lets dumps be filtered by the kernel (NETLINK_GET_STRICT_CHK, Linux 4.20). False
    // when the kernel cannot: every entry then comes back.
    bool strict();

private:
    struct Closer {
        void operator()(mnl_socket* s) const;
    };
    std::unique_ptr<mnl_socket, Closer> socket_;
    unsigned port_id_ = 0;
    unsigned sequence_ = 0;
};

class RouteLookup {
public:
    RouteLookup() = default;

    // `ip route get destination [from source] [oif interface]`. Throws Error.
    Route lookup(const IpAddress& destination, const std::string& interface, const std::optional<IpAddress>& source);
    InterfaceInfo interface(int index);
    InterfaceInfo interface(const std::string& name);
    std::vector<IpAddress> addresses(int index, Family family);
    // Whether the kernel routes `destination` as a broadcast (e.g. a subnet's
    // 192.0.2.255): such an address is nobody's VIP. False when there is no route.
    bool is_broadcast(const IpAddress& destination);
    // The destinations of the kernel's IPv4 broadcast routes, every table (the local
    // table's 192.0.2.255 for 192.0.2.2/24): the kernel routes nothing else as a
    // broadcast but 255.255.255.255, so is_broadcast() needs asking only of an address
    // inside one of them.
    std::vector<RoutePrefix> broadcast_routes();

private:
    NetlinkSocket netlink_;
};

// The probe's path to one realserver: the checks direct routing needs on top of the
// kernel's answer (on-link, interface up and Ethernet, not our own address).
Route direct_route(RouteLookup& routes, const IpAddress& rip, const std::string& interface,
                   const std::optional<IpAddress>& source);

// The path of a tunnel's outer packet: the same checks, but the RIP may be routed; the
// next hop is then route.gateway, whose MAC the frames go to.
Route tunnel_route(RouteLookup& routes, const IpAddress& rip, const std::string& interface,
                   const std::optional<IpAddress>& source);

} // namespace vipcheck
