#include "probe/loop_keys.hpp"

#include <string_view>

namespace vipcheck {

std::size_t hash_address(const IpAddress& a)
{
    // The length tells the families apart: 4 bytes or 16.
    return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(a.data()), a.size()));
}

TargetKey target_key(const ProbeOptions& o)
{
    return {ScopedAddress(o.target.vip), ScopedAddress(o.target.rip), o.encap.has_value()};
}

RouteKey route_key(const ProbeOptions& o)
{
    std::optional<ScopedAddress> source;
    if (o.source)
        source = ScopedAddress(*o.source);
    return {ScopedAddress(o.target.rip), o.interface, source, o.encap.has_value()};
}

NeighbourKey neighbour_key(const NeighbourQuery& q)
{
    return {q.ifindex, q.source, q.target, q.anonymous};
}

std::size_t KeyHash::operator()(const ScopedAddress& k) const
{
    return hash_mix(hash_address(k.address), std::hash<std::string>{}(k.scope));
}

std::size_t KeyHash::operator()(const TargetKey& k) const
{
    return hash_mix(hash_mix((*this)(k.vip), (*this)(k.rip)), k.tunnel);
}

std::size_t KeyHash::operator()(const RouteKey& k) const
{
    std::size_t h = hash_mix((*this)(k.rip), std::hash<std::string>{}(k.interface));
    if (k.source)
        h = hash_mix(h, (*this)(*k.source));
    return hash_mix(h, k.tunnel);
}

std::size_t KeyHash::operator()(const CaptureKey& k) const
{
    return hash_mix(std::hash<int>{}(k.ifindex), std::size_t{k.nonce.protocol} << 16 | k.nonce.value);
}

std::size_t KeyHash::operator()(const LinkAddress& k) const
{
    return hash_mix(std::hash<int>{}(k.ifindex), hash_address(k.address));
}

std::size_t KeyHash::operator()(const NeighbourKey& k) const
{
    return hash_mix(hash_mix(hash_mix(std::hash<int>{}(k.ifindex), hash_address(k.source)), hash_address(k.target)),
                    k.anonymous);
}

} // namespace vipcheck
