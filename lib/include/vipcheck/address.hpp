// IP and MAC address values. Parsing is strict: "192.0.2.1" or "2001:db8::1" or the
// bracketed form ldirectord passes for IPv6 ("[2001:db8::1]"), optionally "%IF" scoped.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vipcheck {

enum class Family { V4, V6 };

class IpAddress {
public:
    IpAddress() = default;
    static IpAddress v4(std::uint32_t host_order);
    static IpAddress v4_bytes(const std::uint8_t* network_order);
    static IpAddress v6_bytes(const std::uint8_t* network_order, std::uint32_t scope_id = 0);
    static std::optional<IpAddress> parse(std::string_view text);

    Family family() const { return family_; }
    bool is_v4() const { return family_ == Family::V4; }
    // Network byte order; 4 or 16 meaningful bytes.
    const std::uint8_t* data() const { return bytes_.data(); }
    std::size_t size() const { return is_v4() ? 4 : 16; }
    std::uint32_t v4_network_order() const;
    std::uint32_t scope_id() const { return scope_id_; }
    void set_scope_id(std::uint32_t id) { scope_id_ = id; }
    std::string scope_name() const { return scope_name_; }

    bool is_unspecified() const;
    bool is_multicast() const;
    bool is_broadcast() const; // 255.255.255.255 (a directed broadcast needs a prefix)
    bool is_loopback() const;
    bool is_link_local() const;

    std::string str() const;
    friend bool operator==(const IpAddress& a, const IpAddress& b) {
        return a.family_ == b.family_ && a.bytes_ == b.bytes_;
    }

private:
    Family family_ = Family::V4;
    std::array<std::uint8_t, 16> bytes_{};
    std::uint32_t scope_id_ = 0;
    std::string scope_name_; // as written after '%', resolved by the route lookup
};

class MacAddress {
public:
    MacAddress() = default;
    explicit MacAddress(const std::uint8_t* bytes);
    static std::optional<MacAddress> parse(std::string_view text);

    const std::uint8_t* data() const { return bytes_.data(); }
    bool is_zero() const;
    bool is_multicast() const { return (bytes_[0] & 1) != 0; }
    std::string str() const;
    friend bool operator==(const MacAddress&, const MacAddress&) = default;

private:
    std::array<std::uint8_t, 6> bytes_{};
};

} // namespace vipcheck
