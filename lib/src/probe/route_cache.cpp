#include "probe/route_cache.hpp"

#include "vipcheck/engine.hpp"

namespace vipcheck {

Route RouteCache::route(RouteLookup& routes, const ProbeOptions& o, TimePoint now)
{
    checked_.get(target_key(o), now, [&] {
        check_target(routes, o, broadcast_routes(routes, now));
        return std::monostate{};
    });
    const Route& route = routes_.get(route_key(o), now, [&] { return probe_route(routes, o); });
    // The key leaves the VIP out: a route that sends from this VIP is refused with the
    // one-shot tools' message.
    if (route.source == o.target.vip)
        return probe_route(routes, o);
    return route;
}

const std::vector<RoutePrefix>* RouteCache::broadcast_routes(RouteLookup& routes, TimePoint now)
{
    if (broadcast_expires_ <= now) {
        try {
            broadcast_ = routes.broadcast_routes();
        } catch (const Error&) {
            broadcast_.reset();
        }
        broadcast_expires_ = now + life_;
    }
    return broadcast_ ? &*broadcast_ : nullptr;
}

} // namespace vipcheck
