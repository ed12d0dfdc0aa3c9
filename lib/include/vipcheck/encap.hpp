// The LVS tunnel types (`lvs_method TUN type ipip|gue|gre` in keepalived, ipvsadm
// --tun-type), shared by the options and the frame builder.
#pragma once

#include <optional>
#include <string_view>

namespace vipcheck {

enum class EncapType { Ipip, Gue, Gre };

constexpr std::string_view encap_name(EncapType t)
{
    switch (t) {
    case EncapType::Ipip: return "ipip";
    case EncapType::Gue: return "gue";
    case EncapType::Gre: return "gre";
    }
    return "ipip";
}

constexpr std::optional<EncapType> parse_encap(std::string_view text)
{
    for (auto t : {EncapType::Ipip, EncapType::Gue, EncapType::Gre})
        if (text == encap_name(t))
            return t;
    return std::nullopt;
}

} // namespace vipcheck
