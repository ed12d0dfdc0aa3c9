#include "vipcheck/route.hpp"

#include <libmnl/libmnl.h>
#include <net/if_arp.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "vipcheck/error.hpp"

namespace vipcheck {

bool InterfaceInfo::up() const
{
    return (flags & IFF_UP) != 0;
}

bool RoutePrefix::contains(const IpAddress& address) const
{
    if (address.family() != destination.family() || length < 0 || static_cast<std::size_t>(length) > address.size() * 8)
        return false;
    const int whole = length / 8;
    if (std::memcmp(address.data(), destination.data(), static_cast<std::size_t>(whole)) != 0)
        return false;
    const int bits = length % 8;
    if (bits == 0)
        return true;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
    return ((address.data()[whole] ^ destination.data()[whole]) & mask) == 0;
}

void NetlinkSocket::Closer::operator()(mnl_socket* s) const
{
    mnl_socket_close(s);
}

NetlinkSocket::NetlinkSocket()
{
    socket_.reset(mnl_socket_open(NETLINK_ROUTE));
    if (!socket_)
        throw_system_error("cannot open a netlink socket", errno);
    if (mnl_socket_bind(socket_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        throw_system_error("cannot bind the netlink socket", errno);
    port_id_ = mnl_socket_get_portid(socket_.get());
}

void NetlinkSocket::request(void* message, const std::function<void(const void*)>& on_message,
                            const std::string& what)
{
    if (const int error = try_request(message, on_message); error != 0)
        throw_system_error(what, error);
}

bool NetlinkSocket::strict()
{
    int on = 1;
    return mnl_socket_setsockopt(socket_.get(), NETLINK_GET_STRICT_CHK, &on, sizeof on) == 0;
}

int NetlinkSocket::try_request(void* message, const std::function<void(const void*)>& on_message)
{
    auto* nlh = static_cast<nlmsghdr*>(message);
    nlh->nlmsg_seq = ++sequence_;
    if (mnl_socket_sendto(socket_.get(), nlh, nlh->nlmsg_len) < 0)
        return errno;

    struct Sink {
        const std::function<void(const void*)>* on_message;
    } sink{&on_message};
    auto callback = [](const nlmsghdr* m, void* data) -> int {
        (*static_cast<Sink*>(data)->on_message)(m);
        return MNL_CB_OK;
    };
    std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(socket_.get(), buffer.data(), buffer.size());
        if (n < 0)
            return errno;
        const int rc = mnl_cb_run(buffer.data(), static_cast<size_t>(n), sequence_, port_id_, callback, &sink);
        if (rc < 0)
            return errno;
        if (rc == MNL_CB_STOP || !(nlh->nlmsg_flags & NLM_F_DUMP))
            return 0;
    }
}

namespace {

// One rtnetlink request being written: its buffer, the netlink header and the family
// header Body that follows it. Attributes go after with mnl_attr_put*(header, ...).
template <typename Body>
class NetlinkRequest {
public:
    NetlinkRequest(std::uint16_t type, std::uint16_t flags)
        : buffer_(MNL_SOCKET_BUFFER_SIZE), header_(mnl_nlmsg_put_header(buffer_.data()))
    {
        header_->nlmsg_type = type;
        header_->nlmsg_flags = flags;
        body_ = static_cast<Body*>(mnl_nlmsg_put_extra_header(header_, sizeof(Body)));
    }
    NetlinkRequest(const NetlinkRequest&) = delete;
    NetlinkRequest& operator=(const NetlinkRequest&) = delete;

    nlmsghdr* header() { return header_; }
    Body* operator->() { return body_; }

private:
    std::vector<char> buffer_;
    nlmsghdr* header_;
    Body* body_ = nullptr;
};

IpAddress address_from(const nlattr* a, int family)
{
    const auto* p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(a));
    return family == AF_INET ? IpAddress::v4_bytes(p) : IpAddress::v6_bytes(p);
}

// mnl_attr_for_each() assigns a void* and so is C only.
template <typename F>
void for_each_attribute(const nlmsghdr* m, std::size_t header, F&& f)
{
    using Fn = std::remove_reference_t<F>;
    mnl_attr_parse(
        m, static_cast<unsigned>(header),
        [](const nlattr* a, void* data) -> int {
            (*static_cast<Fn*>(data))(a);
            return MNL_CB_OK;
        },
        &f);
}

const char* route_type_name(unsigned char type)
{
    switch (type) {
    case RTN_BROADCAST: return "a broadcast route: the address is a broadcast address";
    case RTN_ANYCAST: return "an anycast route";
    case RTN_MULTICAST: return "a multicast route";
    case RTN_BLACKHOLE: return "a blackhole route";
    case RTN_UNREACHABLE: return "an unreachable route";
    case RTN_PROHIBIT: return "a prohibit route";
    case RTN_THROW: return "a throw route";
    default: return "not a unicast route";
    }
}

int af(Family f)
{
    return f == Family::V4 ? AF_INET : AF_INET6;
}

} // namespace

Route RouteLookup::lookup(const IpAddress& destination, const std::string& interface,
                          const std::optional<IpAddress>& source)
{
    NetlinkRequest<rtmsg> rtm(RTM_GETROUTE, NLM_F_REQUEST);
    nlmsghdr* nlh = rtm.header();
    const int family = af(destination.family());
    rtm->rtm_family = static_cast<unsigned char>(family);
    rtm->rtm_dst_len = static_cast<unsigned char>(destination.size() * 8);
    mnl_attr_put(nlh, RTA_DST, destination.size(), destination.data());
    if (source) {
        rtm->rtm_src_len = static_cast<unsigned char>(source->size() * 8);
        mnl_attr_put(nlh, RTA_SRC, source->size(), source->data());
    }
    int oif = 0;
    if (!interface.empty()) {
        oif = this->interface(interface).index;
        mnl_attr_put_u32(nlh, RTA_OIF, static_cast<std::uint32_t>(oif));
    }

    Route route;
    int out_index = 0;
    bool answered = false;
    unsigned char type = RTN_UNSPEC;
    const std::string what =
        fmt::format("no route to {}{}{}", destination.str(), source ? " from " + source->str() : std::string(),
                    interface.empty() ? std::string() : " on " + interface);
    try {
        netlink_.request(
            nlh,
            [&](const void* m) {
                const auto* reply = static_cast<const nlmsghdr*>(m);
                if (reply->nlmsg_type != RTM_NEWROUTE)
                    return;
                const auto* r = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(reply));
                answered = true;
                type = r->rtm_type;
                route.table = r->rtm_table;
                for_each_attribute(reply, sizeof(rtmsg), [&](const nlattr* attr) {
                    switch (mnl_attr_get_type(attr)) {
                    case RTA_OIF: out_index = static_cast<int>(mnl_attr_get_u32(attr)); break;
                    case RTA_PREFSRC: route.source = address_from(attr, family); break;
                    case RTA_GATEWAY: route.gateway = address_from(attr, family); break;
                    case RTA_TABLE: route.table = static_cast<int>(mnl_attr_get_u32(attr)); break;
                    default: break;
                    }
                });
            },
            what);
    } catch (const SystemError& e) {
        if (source && e.errnum() == EINVAL)
            throw Error(fmt::format("--source {} is not an address of this host that can reach {}", source->str(),
                                    destination.str()));
        throw;
    }
    if (!answered || out_index == 0)
        throw Error(what);
    if (type == RTN_LOCAL)
        route.local = true;
    else if (type != RTN_UNICAST)
        throw Error(fmt::format("{}: the kernel's route is {}", what, route_type_name(type)));
    if (source)
        route.source = *source;
    route.interface = this->interface(out_index);
    return route;
}

InterfaceInfo RouteLookup::interface(const std::string& name)
{
    const unsigned index = if_nametoindex(name.c_str());
    if (index == 0)
        throw Error(fmt::format("no interface '{}' on this host (see `ip link`)", name));
    return interface(static_cast<int>(index));
}

InterfaceInfo RouteLookup::interface(int index)
{
    NetlinkRequest<ifinfomsg> ifi(RTM_GETLINK, NLM_F_REQUEST);
    nlmsghdr* nlh = ifi.header();
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;

    InterfaceInfo info;
    netlink_.request(
        nlh,
        [&](const void* m) {
            const auto* reply = static_cast<const nlmsghdr*>(m);
            if (reply->nlmsg_type != RTM_NEWLINK)
                return;
            const auto* i = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(reply));
            info.index = i->ifi_index;
            info.type = i->ifi_type;
            info.flags = i->ifi_flags;
            for_each_attribute(reply, sizeof(ifinfomsg), [&](const nlattr* attr) {
                switch (mnl_attr_get_type(attr)) {
                case IFLA_IFNAME: info.name = mnl_attr_get_str(attr); break;
                case IFLA_MTU: info.mtu = mnl_attr_get_u32(attr); break;
                case IFLA_ADDRESS:
                    if (mnl_attr_get_payload_len(attr) == 6)
                        info.mac = MacAddress(static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr)));
                    break;
                default: break;
                }
            });
        },
        fmt::format("cannot read interface #{}", index));
    if (info.index == 0)
        throw Error(fmt::format("interface #{} vanished", index));
    return info;
}

bool RouteLookup::is_broadcast(const IpAddress& destination)
{
    if (!destination.is_v4())
        return false; // IPv6 has no broadcast
    NetlinkRequest<rtmsg> rtm(RTM_GETROUTE, NLM_F_REQUEST);
    nlmsghdr* nlh = rtm.header();
    rtm->rtm_family = AF_INET;
    rtm->rtm_dst_len = 32;
    mnl_attr_put(nlh, RTA_DST, destination.size(), destination.data());
    unsigned char type = RTN_UNSPEC;
    const int error = netlink_.try_request(nlh, [&](const void* m) {
        const auto* reply = static_cast<const nlmsghdr*>(m);
        if (reply->nlmsg_type == RTM_NEWROUTE)
            type = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(reply))->rtm_type;
    });
    // Unreachable (ENETUNREACH): then certainly not a local broadcast.
    return error == 0 && type == RTN_BROADCAST;
}

std::vector<RoutePrefix> RouteLookup::broadcast_routes()
{
    // A socket of its own: strict checking would also apply to the other requests.
    NetlinkSocket dumper;
    NetlinkRequest<rtmsg> rtm(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP);
    rtm->rtm_family = AF_INET;
    // Only the broadcast routes, where the kernel filters: a director may hold a full
    // table of unicast ones.
    if (dumper.strict())
        rtm->rtm_type = RTN_BROADCAST;
    std::vector<RoutePrefix> found;
    dumper.request(
        rtm.header(),
        [&](const void* m) {
            const auto* reply = static_cast<const nlmsghdr*>(m);
            if (reply->nlmsg_type != RTM_NEWROUTE)
                return;
            const auto* r = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(reply));
            if (r->rtm_type != RTN_BROADCAST || r->rtm_family != AF_INET)
                return;
            RoutePrefix prefix{IpAddress::v4(0), r->rtm_dst_len};
            for_each_attribute(reply, sizeof(rtmsg), [&](const nlattr* attr) {
                if (mnl_attr_get_type(attr) == RTA_DST)
                    prefix.destination = address_from(attr, AF_INET);
            });
            found.push_back(prefix);
        },
        "cannot list the broadcast routes");
    return found;
}

std::vector<IpAddress> RouteLookup::addresses(int index, Family family)
{
    NetlinkRequest<ifaddrmsg> ifa(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP);
    nlmsghdr* nlh = ifa.header();
    const int f = af(family);
    ifa->ifa_family = static_cast<unsigned char>(f);

    std::vector<IpAddress> found;
    netlink_.request(
        nlh,
        [&](const void* m) {
            const auto* reply = static_cast<const nlmsghdr*>(m);
            if (reply->nlmsg_type != RTM_NEWADDR)
                return;
            const auto* a = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(reply));
            if (static_cast<int>(a->ifa_index) != index || a->ifa_family != f)
                return;
            for_each_attribute(reply, sizeof(ifaddrmsg), [&](const nlattr* attr) {
                if (mnl_attr_get_type(attr) == IFA_ADDRESS)
                    found.push_back(address_from(attr, f));
            });
        },
        "cannot list interface addresses");
    return found;
}

namespace {

Route probe_route(RouteLookup& routes, const IpAddress& rip, const std::string& interface,
                  const std::optional<IpAddress>& source, bool tunnel)
{
    std::string ifname = interface;
    if (!rip.scope_name().empty()) {
        if (!ifname.empty() && ifname != rip.scope_name())
            throw Error(fmt::format("RIP {} is scoped to {} but --interface says {}", rip.str(), rip.scope_name(),
                                    ifname));
        ifname = rip.scope_name();
    }
    // fe80::/10 exists on every link: without a scope the kernel would pick one.
    if (rip.family() == Family::V6 && rip.is_link_local() && ifname.empty())
        throw Error(fmt::format("RIP {} is link-local: say which link, as {}%IF or with --interface IF",
                                rip.str(), rip.str()));
    if (!ifname.empty()) {
        const InterfaceInfo info = routes.interface(ifname);
        if (!info.up())
            throw Error(fmt::format("interface {} is down (ip link set {} up)", ifname, ifname));
        if (routes.addresses(info.index, rip.family()).empty())
            throw Error(fmt::format("interface {} has no {} address", ifname, rip.is_v4() ? "IPv4" : "IPv6"));
    }
    Route route = routes.lookup(rip, ifname, source);
    if (route.local)
        throw Error(fmt::format("RIP {} is an address of this host, not a realserver", rip.str()));
    if (route.gateway && !(*route.gateway == rip) && !tunnel)
        throw Error(fmt::format("RIP {} is reached through gateway {} on {}: direct routing needs the realserver "
                                "on a directly connected network (fix the route, or use --encap for a tunnel "
                                "realserver)",
                                rip.str(), route.gateway->str(), route.interface.name));
    if (!route.interface.up())
        throw Error(fmt::format("interface {} is down (ip link set {} up)", route.interface.name,
                                route.interface.name));
    if (route.interface.type != ARPHRD_ETHER)
        throw Error(fmt::format("interface {} is not Ethernet (link type {}): vipcheck crafts Ethernet frames",
                                route.interface.name, route.interface.type));
    if (route.source.is_unspecified())
        throw Error(fmt::format("the kernel has no source address to reach {} on {}: give --source",
                                rip.str(), route.interface.name));
    if (rip.family() == Family::V6 && rip.is_link_local())
        route.source.set_scope_id(static_cast<std::uint32_t>(route.interface.index));
    return route;
}

} // namespace

Route direct_route(RouteLookup& routes, const IpAddress& rip, const std::string& interface,
                   const std::optional<IpAddress>& source)
{
    return probe_route(routes, rip, interface, source, false);
}

Route tunnel_route(RouteLookup& routes, const IpAddress& rip, const std::string& interface,
                   const std::optional<IpAddress>& source)
{
    return probe_route(routes, rip, interface, source, true);
}

} // namespace vipcheck
