// A YAML document as vipcheckd's configuration needs it: scalars, maps with plain keys
// and lists, each with its line, read from libyaml's event parser (yaml_parser_parse).
//
// Why events and this small tree, not a library's document: yaml-cpp's YAML::Load built
// a node graph (a shared_ptr'd node, node_data and key/value pairs per value) that made
// reading 10,000 targets take 0.37 s and most of vipcheckd's 62 MiB. Why libyaml, not
// yaml-cpp's own event parser: its scanner (YAML::RegEx::MatchUnchecked) was still 31.6%
// of all CPU samples in a perf profile (perf record -g) of bench/daemon.sh's --once
// round of 10,000 icmp targets; its line "reading the YAML config alone" went from
// 0.17-0.22 s with yaml-cpp to 0.05-0.07 s with libyaml, runs of the two builds
// alternating on one machine.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vipcheck {

struct YamlNode {
    enum class Type { Null, Scalar, Map, List };
    struct Entry {
        std::string key;
        int line; // the key's, 1-based
        std::size_t value;
    };
    Type type = Type::Null;
    int line = 0; // 1-based, 0 when unknown
    std::string scalar;
    std::vector<Entry> entries;     // Map
    std::vector<std::size_t> items; // List
};

class YamlTree {
public:
    // Throws ConfigError naming `origin` and the line: not valid YAML, not exactly one
    // document, a key that is not a plain value, or a key given twice in one map.
    static YamlTree parse(const std::string& text, const std::string& origin);

    const YamlNode& root() const { return nodes_.at(root_); }
    const YamlNode& at(std::size_t index) const { return nodes_.at(index); }
    // The value of `key` in map `map`, or nullptr.
    const YamlNode* find(const YamlNode& map, std::string_view key) const;

private:
    friend class YamlTreeBuilder;
    std::vector<YamlNode> nodes_;
    std::size_t root_ = 0;
};

} // namespace vipcheck
