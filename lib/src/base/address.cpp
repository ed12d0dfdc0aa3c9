#include "vipcheck/address.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <cstring>
#include <fmt/format.h>

namespace vipcheck {

IpAddress IpAddress::v4(std::uint32_t host_order)
{
    IpAddress a;
    a.family_ = Family::V4;
    const std::uint32_t n = htonl(host_order);
    std::memcpy(a.bytes_.data(), &n, 4);
    return a;
}

IpAddress IpAddress::v4_bytes(const std::uint8_t* network_order)
{
    IpAddress a;
    a.family_ = Family::V4;
    std::memcpy(a.bytes_.data(), network_order, 4);
    return a;
}

IpAddress IpAddress::v6_bytes(const std::uint8_t* network_order, std::uint32_t scope_id)
{
    IpAddress a;
    a.family_ = Family::V6;
    std::memcpy(a.bytes_.data(), network_order, 16);
    a.scope_id_ = scope_id;
    return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text)
{
    // ldirectord hands IPv6 addresses over in brackets.
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() > INET6_ADDRSTRLEN + IF_NAMESIZE)
        return std::nullopt;

    std::string scope;
    if (const auto pct = text.find('%'); pct != std::string_view::npos) {
        scope = std::string(text.substr(pct + 1));
        text = text.substr(0, pct);
        if (scope.empty() || scope.size() >= IF_NAMESIZE)
            return std::nullopt;
    }
    const std::string s(text);
    IpAddress a;
    if (scope.empty() && inet_pton(AF_INET, s.c_str(), a.bytes_.data()) == 1) {
        a.family_ = Family::V4;
        return a;
    }
    if (inet_pton(AF_INET6, s.c_str(), a.bytes_.data()) == 1) {
        a.family_ = Family::V6;
        a.scope_name_ = scope;
        // A mapped IPv4 address is IPv4 in disguise; refuse rather than guess a family.
        static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(a.bytes_.data(), mapped, 12) == 0)
            return std::nullopt;
        return a;
    }
    return std::nullopt;
}

std::uint32_t IpAddress::v4_network_order() const
{
    std::uint32_t n;
    std::memcpy(&n, bytes_.data(), 4);
    return n;
}

bool IpAddress::is_unspecified() const
{
    for (std::size_t i = 0; i < size(); ++i)
        if (bytes_[i] != 0)
            return false;
    return true;
}

bool IpAddress::is_multicast() const
{
    return is_v4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

bool IpAddress::is_broadcast() const
{
    return is_v4() && v4_network_order() == 0xffffffffu;
}

bool IpAddress::is_loopback() const
{
    if (is_v4())
        return bytes_[0] == 127;
    static constexpr std::uint8_t one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::memcmp(bytes_.data(), one, 16) == 0;
}

bool IpAddress::is_link_local() const
{
    if (is_v4())
        return bytes_[0] == 169 && bytes_[1] == 254;
    return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

std::string IpAddress::str() const
{
    char buf[INET6_ADDRSTRLEN] = {};
    std::size_t length = 0;
    if (is_v4()) {
        // By hand: inet_ntop's IPv4 goes through sprintf, and vipcheckd spells
        // several addresses per target and run.
        for (std::size_t i = 0; i < 4; ++i) {
            if (i > 0)
                buf[length++] = '.';
            const unsigned b = bytes_[i];
            if (b >= 100)
                buf[length++] = static_cast<char>('0' + b / 100);
            if (b >= 10)
                buf[length++] = static_cast<char>('0' + b / 10 % 10);
            buf[length++] = static_cast<char>('0' + b % 10);
        }
    } else {
        inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
        length = std::strlen(buf);
    }
    std::string out(buf, length);
    if (!scope_name_.empty())
        out += "%" + scope_name_;
    return out;
}

MacAddress::MacAddress(const std::uint8_t* bytes)
{
    std::memcpy(bytes_.data(), bytes, bytes_.size());
}

std::optional<MacAddress> MacAddress::parse(std::string_view text)
{
    // Six hex pairs separated by ':' or '-': the forms `ip link` and Windows print.
    if (text.size() != 17)
        return std::nullopt;
    MacAddress m;
    for (std::size_t i = 0; i < 6; ++i) {
        unsigned value = 0;
        for (std::size_t j = 0; j < 2; ++j) {
            const char c = text[i * 3 + j];
            unsigned d;
            if (c >= '0' && c <= '9')
                d = static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                d = static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                d = static_cast<unsigned>(c - 'A' + 10);
            else
                return std::nullopt;
            value = value * 16 + d;
        }
        if (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-')
            return std::nullopt;
        m.bytes_[i] = static_cast<std::uint8_t>(value);
    }
    return m;
}

bool MacAddress::is_zero() const
{
    for (auto b : bytes_)
        if (b != 0)
            return false;
    return true;
}

std::string MacAddress::str() const
{
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(17, ':');
    for (std::size_t i = 0; i < 6; ++i) {
        out[i * 3] = hex[bytes_[i] >> 4];
        out[i * 3 + 1] = hex[bytes_[i] & 0xf];
    }
    return out;
}

} // namespace vipcheck
