#include "vipcheck/target_rules.hpp"

#include <algorithm>
#include <cctype>
#include <utility>
#include <fmt/format.h>
#include <net/if.h>

namespace vipcheck {

TargetKind target_kind(std::string name, PortUse ports, const ProbeKind& kind)
{
    return {std::move(name), ports, kind.is_arp_leak_test(), !kind.is_arp_leak_test()};
}

namespace {

// The earliest a reply can come and the longest a run may wait: parse_duration's range.
constexpr Duration shortest_timeout = std::chrono::microseconds(1);
constexpr Duration longest_timeout = std::chrono::hours(1);

class Rules {
public:
    Rules(const ProbeOptions& o, const TargetKind& kind, Spelling spelling) : o_(o), kind_(kind), spelling_(spelling)
    {
    }

    void check() const
    {
        addresses();
        port();
        source();
        link_layer();
        timing();
        tunnel();
    }

private:
    // A setting's name in the messages: vipcheckd's YAML field, or the tools' option or
    // positional word.
    std::string name(std::string_view field) const
    {
        if (spelling_ == Spelling::Config)
            return std::string(field);
        if (field == "vip" || field == "rip" || field == "port") {
            std::string word(field);
            std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::toupper(c); });
            return word;
        }
        std::string option = "--" + std::string(field);
        std::replace(option.begin(), option.end(), '_', '-');
        return option;
    }

    template <typename... Args>
    [[noreturn]] void fail(const char* field, fmt::format_string<Args...> message, Args&&... args) const
    {
        throw TargetError(field, fmt::format(message, std::forward<Args>(args)...));
    }

    void unicast(const IpAddress& a, const char* field, std::string_view whose) const
    {
        if (a.is_unspecified() || a.is_multicast() || a.is_broadcast() || a.is_loopback())
            fail(field, "bad {} {}: it must be a unicast address{}, not unspecified, multicast, broadcast or loopback",
                 name(field), a.str(), whose);
    }

    void addresses() const
    {
        const ProbeTarget& t = o_.target;
        unicast(t.vip, "vip", "");
        unicast(t.rip, "rip", "");
        if (t.vip == t.rip)
            fail("rip", "{} and {} are both {}: give the realserver's own (management) address as {}", name("vip"),
                 name("rip"), t.vip.str(), name("rip"));
        if (!o_.encap && t.vip.family() != t.rip.family())
            fail("rip", "{} {} and {} {} are of different address families: a direct-routing probe uses one family{}",
                 name("vip"), t.vip.str(), name("rip"), t.rip.str(),
                 kind_.tunnels ? fmt::format(" (an LVS tunnel may mix them: give {})", name("encap")) : "");
    }

    void port() const
    {
        const ProbeTarget& t = o_.target;
        if (kind_.ports == PortUse::Required && t.port == 0) {
            // vipcheckd's reader refuses a port 0 it is given: 0 there is a field left out.
            if (spelling_ == Spelling::Config)
                fail("port", "missing field 'port' ({} probes a TCP port)", kind_.name);
            fail("port", "bad PORT 0: {} probes a TCP port from 1 to 65535", kind_.name);
        }
        // ldirectord passes its ports to every check; a portless one ignores them.
        if (kind_.ports == PortUse::None && t.port != 0 && !t.ldirectord_form)
            fail("port", "{} has no port: leave out {} {}", kind_.name, name("port"), t.port);
    }

    void source() const
    {
        if (!valid_interface_name(o_.interface))
            fail("interface", "bad {} '{}': an interface name is shorter than {} characters, without '/', ':' or "
                 "white space",
                 name("interface"), o_.interface, IF_NAMESIZE);
        if (!o_.source)
            return;
        const IpAddress& s = *o_.source;
        unicast(s, "source", " of this host");
        if (s == o_.target.vip)
            fail("source", "{} {} is the VIP: vipcheck never sends from the VIP, since that would pull the VIP's "
                 "traffic to this host; use this host's own address",
                 name("source"), s.str());
        if (s.family() != o_.target.rip.family())
            fail("source", "{} {} and {} {} are of different address families: give an address of this host in the "
                 "{}'s family",
                 name("source"), s.str(), name("rip"), o_.target.rip.str(), name("rip"));
    }

    void link_layer() const
    {
        if (o_.mac && (o_.mac->is_zero() || o_.mac->is_multicast()))
            fail("mac", "bad {} {}: expected the realserver's unicast MAC as xx:xx:xx:xx:xx:xx", name("mac"),
                 o_.mac->str());
        if (o_.ttl < 1)
            fail("ttl", "bad {} {}: expected 1 to 255", name("ttl"), o_.ttl);
    }

    void timing() const
    {
        if (o_.timeout < shortest_timeout || o_.timeout > longest_timeout)
            fail("timeout", "bad {} {}: expected a duration from 1us to 1h such as 300ms or 2s", name("timeout"),
                 o_.timeout < shortest_timeout ? fmt::format("{}ns", o_.timeout.count())
                                               : format_duration(o_.timeout));
        if (o_.attempts < 1 || o_.attempts > 100)
            fail("attempts", "bad {} {}: expected 1 to 100", name("attempts"), o_.attempts);
    }

    void tunnel() const
    {
        // The ARP-leak test asks the realserver on this link (vip-arp-check(8)); behind
        // a tunnel the question would go to the gateway, or nowhere.
        // Spelt only for a refusal: vipcheckd checks every target of its file.
        const auto on_link = [&] {
            return fmt::format("asks a realserver on this link about the VIP, not one behind {}: test the tunnel "
                               "realserver's ARP from a host on its own link",
                               name("encap"));
        };
        if (o_.arp_leak && kind_.arp_leak_test)
            fail("arp_leak", "{} is the ARP-leak test itself: leave out {}", kind_.name, name("arp_leak"));
        if (o_.encap && kind_.arp_leak_test)
            fail("encap", "{} is the ARP-leak test, which {}", kind_.name, on_link());
        if (o_.encap && !kind_.tunnels)
            fail("encap", "{}: {} speaks to direct-routing realservers only", name("encap"), kind_.name);
        if (o_.encap && o_.arp_leak)
            fail("arp_leak", "{}: the ARP-leak test {}", name("arp_leak"), on_link());
        if (o_.encap == EncapType::Gue && o_.encap_port == 0)
            // LVS has no default GUE port either (`type gue port NUM`, ipvsadm --tun-port).
            fail("encap_port", "{} gue needs {}: the realserver's GUE port from 1 to 65535 (keepalived's "
                 "`lvs_method TUN type gue port NUM`)",
                 name("encap"), name("encap_port"));
        if (o_.encap != EncapType::Gue && o_.encap_port != 0)
            fail("encap_port", "{} {} applies only to {} gue", name("encap_port"), o_.encap_port, name("encap"));
    }

    const ProbeOptions& o_;
    const TargetKind& kind_;
    Spelling spelling_;
};

} // namespace

void check_target_rules(const ProbeOptions& o, const TargetKind& kind, Spelling spelling)
{
    Rules(o, kind, spelling).check();
}

} // namespace vipcheck
