#include "probe/route_cache.hpp"

#include "vipcheck/engine.hpp"

namespace vipcheck {

Route RouteCache::route(RouteLookup& routes, const ProbeOptions& o, TimePoint now)
{
    checked_.get(target_key(o), now, [&] {
        check_target(routes, o);
        return std::monostate{};
    });
    const Route& route = routes_.get(route_key(o), now, [&] { return probe_route(routes, o); });
    // The key leaves the VIP out: a route that sends from this VIP is refused with the
    // one-shot tools' message.
    if (route.source == o.target.vip)
        return probe_route(routes, o);
    return route;
}

} // namespace vipcheck
