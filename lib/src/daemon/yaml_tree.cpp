#include "daemon/yaml_tree.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "daemon/config_error.hpp"

namespace vipcheck {

class YamlTreeBuilder : public YAML::EventHandler {
public:
    YamlTreeBuilder(YamlTree& tree, std::string origin) : tree_(tree), origin_(std::move(origin)) {}

    int documents = 0;

    void OnDocumentStart(const YAML::Mark&) override { ++documents; }
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override
    {
        place(add(YamlNode::Type::Null, mark, anchor), mark);
    }

    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override
    {
        const auto found = anchors_.find(anchor);
        if (found == anchors_.end())
            fail(mark, "an alias to an unknown anchor");
        place(found->second, mark);
    }

    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override
    {
        // A key is kept with its map entry, not as a node of its own.
        if (!stack_.empty() && tree_.nodes_[stack_.back().node].type == YamlNode::Type::Map &&
            !stack_.back().key_pending) {
            if (anchor != YAML::NullAnchor)
                fail(mark, "an anchor on a key");
            Open& map = stack_.back();
            // `arp-leak` and `arp_leak` name one setting, as in the tools' options file:
            // a key is kept with `_` for `-` (no key of the configuration has a `-`).
            std::string key = value;
            std::replace(key.begin(), key.end(), '-', '_');
            for (const auto& e : tree_.nodes_[map.node].entries)
                if (e.key == key)
                    fail(mark, fmt::format("'{}' is given twice", key));
            map.key = std::move(key);
            map.key_line = mark.line + 1;
            map.key_pending = true;
            return;
        }
        const std::size_t node = add(YamlNode::Type::Scalar, mark, anchor);
        tree_.nodes_[node].scalar = value;
        place(node, mark);
    }

    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override
    {
        open(add(YamlNode::Type::List, mark, anchor), mark);
    }
    void OnSequenceEnd() override { stack_.pop_back(); }

    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override
    {
        open(add(YamlNode::Type::Map, mark, anchor), mark);
    }
    void OnMapEnd() override { stack_.pop_back(); }

    [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const
    {
        throw ConfigError(fmt::format("{}:{}: {}", origin_, mark.line + 1, message));
    }

private:
    struct Open {
        std::size_t node;
        std::string key;
        int key_line = 0;
        bool key_pending = false;
    };

    std::size_t add(YamlNode::Type type, const YAML::Mark& mark, YAML::anchor_t anchor)
    {
        YamlNode n;
        n.type = type;
        n.line = mark.line + 1;
        tree_.nodes_.push_back(std::move(n));
        const std::size_t index = tree_.nodes_.size() - 1;
        if (anchor != YAML::NullAnchor)
            anchors_[anchor] = index;
        return index;
    }

    // Hangs `node` where the document is: the root, a list item, or the pending key's
    // value.
    void place(std::size_t node, const YAML::Mark& mark)
    {
        if (stack_.empty()) {
            tree_.root_ = node;
            return;
        }
        Open& top = stack_.back();
        YamlNode& parent = tree_.nodes_[top.node];
        if (parent.type == YamlNode::Type::List) {
            parent.items.push_back(node);
            return;
        }
        if (!top.key_pending)
            fail(mark, "a key must be a single plain value, not a map or a list");
        parent.entries.push_back({std::move(top.key), top.key_line, node});
        top.key_pending = false;
    }

    void open(std::size_t node, const YAML::Mark& mark)
    {
        place(node, mark);
        stack_.push_back({node, {}, 0, false});
    }

    YamlTree& tree_;
    std::string origin_;
    std::vector<Open> stack_;
    std::map<YAML::anchor_t, std::size_t> anchors_;
};

YamlTree YamlTree::parse(const std::string& text, const std::string& origin)
{
    YamlTree tree;
    // Nearly every node follows a ':', '-', ',' or '[': room for them up front spares
    // the growing vector's copies and the fresh pages each copy touches (a page never
    // touched costs nothing).
    tree.nodes_.reserve(1 + static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
                            return c == ':' || c == '-' || c == ',' || c == '[';
                        })));
    YamlTreeBuilder builder(tree, origin);
    std::istringstream in(text);
    try {
        YAML::Parser parser(in);
        while (parser.HandleNextDocument(builder)) {
            if (builder.documents > 1)
                throw ConfigError(fmt::format("{}: more than one YAML document", origin));
        }
    } catch (const YAML::Exception& e) {
        throw ConfigError(fmt::format("{}:{}: not valid YAML: {}", origin, e.mark.line + 1, e.msg));
    }
    if (tree.nodes_.empty())
        tree.nodes_.push_back(YamlNode{});
    return tree;
}

const YamlNode* YamlTree::find(const YamlNode& map, std::string_view key) const
{
    for (const auto& e : map.entries)
        if (e.key == key)
            return &nodes_[e.value];
    return nullptr;
}

} // namespace vipcheck
