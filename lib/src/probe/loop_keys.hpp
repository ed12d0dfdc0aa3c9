// The keys vipcheckd's probe loop files its caches, queues and sessions under: values
// with a hash, never addresses printed into strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "vipcheck/address.hpp"
#include "vipcheck/neighbour.hpp"
#include "vipcheck/options.hpp"
#include "vipcheck/probe.hpp"

namespace vipcheck {

inline std::size_t hash_mix(std::size_t seed, std::size_t value)
{
    return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

// The address's family and bytes, as IpAddress's == compares them (not its scope).
std::size_t hash_address(const IpAddress& a);

// An address with the scope it was written with: fe80::1%eth0 and fe80::1%eth1 are two
// hosts, and IpAddress's == does not look at the scope. Where the key also holds the
// interface index, the index is the scope and a bare IpAddress is enough.
struct ScopedAddress {
    IpAddress address;
    std::string scope;

    ScopedAddress() = default;
    explicit ScopedAddress(const IpAddress& a) : address(a), scope(a.scope_name()) {}
    bool operator==(const ScopedAddress&) const = default;
};

// One realserver, as the per-realserver start rate counts it.
using RealserverKey = ScopedAddress;

// What check_target() (engine.hpp) reads of a target.
struct TargetKey {
    ScopedAddress vip;
    ScopedAddress rip;
    bool tunnel = false;
    bool operator==(const TargetKey&) const = default;
};
TargetKey target_key(const ProbeOptions& o);

// What probe_route() (engine.hpp) asks the kernel: the VIP is not part of it, since
// the route to a RIP is the same for every VIP on it.
struct RouteKey {
    ScopedAddress rip;
    std::string interface;
    std::optional<ScopedAddress> source;
    bool tunnel = false;
    bool operator==(const RouteKey&) const = default;
};
RouteKey route_key(const ProbeOptions& o);

// A run in flight on one capture, by the nonce key its replies name (demux.hpp).
struct CaptureKey {
    int ifindex = 0;
    NonceKey nonce;
    bool operator==(const CaptureKey&) const = default;
};

// An address on one interface: a VIP the ARP-leak watch listens for there.
struct LinkAddress {
    int ifindex = 0;
    IpAddress address;
    bool operator==(const LinkAddress&) const = default;
};

// One next hop's resolution: who asks whom, on which interface, and how (neighbour.hpp).
struct NeighbourKey {
    int ifindex = 0;
    IpAddress source;
    IpAddress target;
    bool anonymous = false;
    bool operator==(const NeighbourKey&) const = default;
};
NeighbourKey neighbour_key(const NeighbourQuery& q);

struct KeyHash {
    std::size_t operator()(const ScopedAddress& k) const;
    std::size_t operator()(const TargetKey& k) const;
    std::size_t operator()(const RouteKey& k) const;
    std::size_t operator()(const CaptureKey& k) const;
    std::size_t operator()(const LinkAddress& k) const;
    std::size_t operator()(const NeighbourKey& k) const;
};

} // namespace vipcheck
