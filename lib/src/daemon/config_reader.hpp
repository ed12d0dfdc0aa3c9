// What reading vipcheckd's YAML needs in more than one file: typed values with the line
// at fault (Reader), names fit for state files, and a probe's settings read and checked
// the same way whether a target or a service lists them.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <exception>
#include <initializer_list>
#include <limits>
#include <span>
#include <string_view>
#include <string>

#include "daemon/daemon_config.hpp"
#include "daemon/yaml_tree.hpp"

namespace vipcheck {

class Reader {
public:
    Reader(const YamlTree& tree, std::string origin) : tree_(tree), origin_(std::move(origin)) {}

    [[noreturn]] void fail_at(int line, const std::string& message) const
    {
        if (line > 0)
            throw ConfigError(fmt::format("{}:{}: {}", origin_, line, message));
        throw ConfigError(fmt::format("{}: {}", origin_, message));
    }
    [[noreturn]] void fail(const YamlNode& at, const std::string& message) const { fail_at(at.line, message); }

    const YamlNode* find(const YamlNode& map, std::string_view key) const { return tree_.find(map, key); }
    const YamlNode& at(std::size_t index) const { return tree_.at(index); }

    std::string scalar(const YamlNode& n, const std::string& where) const
    {
        if (n.type != YamlNode::Type::Scalar)
            fail(n, fmt::format("{}: expected a single value", where));
        return n.scalar;
    }

    int integer(const YamlNode& n, const std::string& where) const
    {
        const std::string text = scalar(n, where);
        std::size_t used = 0;
        int value = 0;
        try {
            value = std::stoi(text, &used, 10);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != text.size())
            fail(n, fmt::format("{}: '{}' is not a whole number", where, text));
        return value;
    }

    // A whole number that fits its field's type; which values make sense is
    // check_target_rules'.
    template <typename T>
    T fitting(const YamlNode& n, const std::string& where) const
    {
        const int value = integer(n, where);
        if (value < std::numeric_limits<T>::min() || value > std::numeric_limits<T>::max())
            fail(n, fmt::format("{}: {} is out of range ({} to {})", where, value, std::numeric_limits<T>::min(),
                                std::numeric_limits<T>::max()));
        return static_cast<T>(value);
    }

    IpAddress address(const YamlNode& n, const std::string& where) const
    {
        const std::string text = scalar(n, where);
        const auto a = IpAddress::parse(text);
        if (!a)
            fail(n, fmt::format("{}: '{}' is not an IPv4 or IPv6 address", where, text));
        return *a;
    }

    bool boolean(const YamlNode& n, const std::string& where) const
    {
        const std::string text = scalar(n, where);
        if (text == "true" || text == "yes")
            return true;
        if (text == "false" || text == "no")
            return false;
        fail(n, fmt::format("{}: '{}' is not true or false", where, text));
    }

    Duration duration(const YamlNode& n, const std::string& where) const
    {
        const std::string text = scalar(n, where);
        const auto d = parse_duration(text);
        if (!d)
            fail(n, fmt::format("{}: '{}' is not a duration from 1us to 1h such as 300ms or 5s", where, text));
        return *d;
    }

    double positive(const YamlNode& n, const std::string& where) const
    {
        const int v = integer(n, where);
        if (v < 1 || v > 10'000'000)
            fail(n, fmt::format("{}: {} is out of range (1 to 10000000 starts per second)", where, v));
        return v;
    }

private:
    const YamlTree& tree_;
    std::string origin_;
};
// Letters, digits, '.', '_' and '-': a name that is a file name in --state-dir.
bool valid_name(const std::string& name);

// The optional probe settings of `map` into `out` (interface, source, mac, attempts,
// ttl, encap, encap_port, arp_leak, timeout, interval), the file's timeout and interval
// otherwise. `who` starts every message ("target 'web'").
void read_probe_settings(const Reader& r, const YamlNode& map, const std::string& who, const DaemonConfig& defaults,
                         TargetConfig& out);

// The keys of a mgmt-http request: url and mgmt-http-check's options, `_` for `-`.
std::span<const std::string_view> http_keys();
// Why kind http (and a service's vip_http) refuses `follow`, as vip-http-check has no
// --follow: the connection is one realserver's at the VIP, a redirect is another URL.
inline constexpr const char* vip_http_no_follow =
    "kind http does not follow redirects: its one connection goes to one realserver at the VIP, and a redirect "
    "names another URL; expect the redirect itself (expect_status: 301) or check its target with a target of "
    "its own";

// The request of `map` (url, expect_status, ..., follow) for `out`, whose rip, timeout,
// attempts, interface and source are read already: for kind mgmt-http {rip} replaced,
// then checked by mgmt-http-check's own make_http_options; for kind http checked by
// vip-http-check's (the VIP and port from the URL, its probe options by
// check_target_rules). A refusal points at the line of the field it names, else at
// `map`'s.
// `url`, when given, stands for the map's own url field (a service's vip_http builds
// it from the VIP, the port and its path).
void read_http_settings(const Reader& r, const YamlNode& map, const std::string& who, TargetConfig& out,
                        const std::string* url = nullptr);

// The tools' own rule (check_target_rules) and the interval's, for a target of kind
// `out.kind`. A refusal points at the line of the field at fault in the first of
// `maps` that has it, else at `fallback`.
void check_target(const Reader& r, std::initializer_list<const YamlNode*> maps, const YamlNode& fallback,
                  const std::string& who, const TargetConfig& out);

} // namespace vipcheck
