#include "daemon/yaml_tree.hpp"

#include <yaml.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>

#include "daemon/config_error.hpp"

namespace vipcheck {

namespace {

// libyaml's parser over `text`, which must outlive it.
class YamlParser {
public:
    explicit YamlParser(const std::string& text)
    {
        if (yaml_parser_initialize(&parser_) == 0)
            throw std::bad_alloc();
        yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    }
    ~YamlParser() { yaml_parser_delete(&parser_); }
    YamlParser(const YamlParser&) = delete;
    YamlParser& operator=(const YamlParser&) = delete;

    yaml_parser_t& get() { return parser_; }

private:
    yaml_parser_t parser_{};
};

// The event last parsed: each one is deleted when the next is parsed or when this goes
// out of scope, an exception's way out included.
class YamlEvent {
public:
    YamlEvent() = default;
    ~YamlEvent() { release(); }
    YamlEvent(const YamlEvent&) = delete;
    YamlEvent& operator=(const YamlEvent&) = delete;

    // False when the text is not valid YAML: the parser holds the problem.
    bool next(yaml_parser_t& parser)
    {
        release();
        if (yaml_parser_parse(&parser, &event_) == 0)
            return false;
        held_ = true;
        return true;
    }
    const yaml_event_t& get() const { return event_; }

private:
    void release()
    {
        if (held_)
            yaml_event_delete(&event_);
        held_ = false;
    }

    yaml_event_t event_{};
    bool held_ = false;
};

std::string_view text_of(const yaml_char_t* chars)
{
    return chars == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(chars));
}

int line_of(const yaml_mark_t& mark)
{
    return static_cast<int>(mark.line) + 1;
}

// What yaml-cpp, which read this file before, took for a null: a plain scalar with no
// tag whose text is one of YAML 1.2's core schema nulls, an empty value included.
// `"null"` and `!!str null` are strings. The configuration refuses a null wherever it
// expects a value ("expected a single value") and as a key. An empty value is at its
// key's line, which libyaml marks (yaml-cpp marked the next token's, often the next key).
bool is_null(const yaml_event_t& event)
{
    const auto& s = event.data.scalar;
    if (s.style != YAML_PLAIN_SCALAR_STYLE || s.tag != nullptr)
        return false;
    const std::string_view value(reinterpret_cast<const char*>(s.value), s.length);
    return value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL";
}

} // namespace

class YamlTreeBuilder {
public:
    YamlTreeBuilder(YamlTree& tree, std::string origin) : tree_(tree), origin_(std::move(origin)) {}

    // Adds what `event` says to the tree. Returns false at the end of the stream.
    bool take(const yaml_event_t& event)
    {
        const yaml_mark_t& mark = event.start_mark;
        switch (event.type) {
        case YAML_STREAM_END_EVENT: return false;
        case YAML_DOCUMENT_START_EVENT: ++documents_; break;
        case YAML_DOCUMENT_END_EVENT:
            if (documents_ > 1)
                throw ConfigError(fmt::format("{}: more than one YAML document", origin_));
            break;
        case YAML_ALIAS_EVENT: {
            const auto found = anchors_.find(text_of(event.data.alias.anchor));
            if (found == anchors_.end())
                fail(mark, "an alias to an unknown anchor");
            place(found->second, mark);
            break;
        }
        case YAML_SCALAR_EVENT:
            if (is_null(event))
                place(add(YamlNode::Type::Null, mark, event.data.scalar.anchor), mark);
            else
                scalar(event);
            break;
        case YAML_SEQUENCE_START_EVENT:
            open(add(YamlNode::Type::List, mark, event.data.sequence_start.anchor), mark);
            break;
        case YAML_MAPPING_START_EVENT:
            open(add(YamlNode::Type::Map, mark, event.data.mapping_start.anchor), mark);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: stack_.pop_back(); break;
        case YAML_STREAM_START_EVENT:
        case YAML_NO_EVENT: break;
        }
        return true;
    }

private:
    struct Open {
        std::size_t node;
        std::string key;
        int key_line = 0;
        bool key_pending = false;
    };

    [[noreturn]] void fail(const yaml_mark_t& mark, const std::string& message) const
    {
        throw ConfigError(fmt::format("{}:{}: {}", origin_, line_of(mark), message));
    }

    void scalar(const yaml_event_t& event)
    {
        const yaml_mark_t& mark = event.start_mark;
        const auto& s = event.data.scalar;
        std::string value(reinterpret_cast<const char*>(s.value), s.length);
        // A key is kept with its map entry, not as a node of its own.
        if (!stack_.empty() && tree_.nodes_[stack_.back().node].type == YamlNode::Type::Map &&
            !stack_.back().key_pending) {
            if (s.anchor != nullptr)
                fail(mark, "an anchor on a key");
            Open& map = stack_.back();
            // `arp-leak` and `arp_leak` name one setting, as in the tools' options file:
            // a key is kept with `_` for `-` (no key of the configuration has a `-`).
            std::replace(value.begin(), value.end(), '-', '_');
            for (const auto& e : tree_.nodes_[map.node].entries)
                if (e.key == value)
                    fail(mark, fmt::format("'{}' is given twice", value));
            map.key = std::move(value);
            map.key_line = line_of(mark);
            map.key_pending = true;
            return;
        }
        const std::size_t node = add(YamlNode::Type::Scalar, mark, s.anchor);
        tree_.nodes_[node].scalar = std::move(value);
        place(node, mark);
    }

    std::size_t add(YamlNode::Type type, const yaml_mark_t& mark, const yaml_char_t* anchor)
    {
        YamlNode n;
        n.type = type;
        n.line = line_of(mark);
        tree_.nodes_.push_back(std::move(n));
        const std::size_t index = tree_.nodes_.size() - 1;
        // A later anchor of the same name hides the earlier one for the aliases after it.
        if (anchor != nullptr)
            anchors_.insert_or_assign(std::string(text_of(anchor)), index);
        return index;
    }

    // Hangs `node` where the document is: the root, a list item, or the pending key's
    // value.
    void place(std::size_t node, const yaml_mark_t& mark)
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

    void open(std::size_t node, const yaml_mark_t& mark)
    {
        place(node, mark);
        stack_.push_back({node, {}, 0, false});
    }

    // Heterogeneous lookup: an alias's anchor is found without a std::string of it.
    struct AnchorHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    YamlTree& tree_;
    std::string origin_;
    int documents_ = 0;
    std::vector<Open> stack_;
    std::unordered_map<std::string, std::size_t, AnchorHash, std::equal_to<>> anchors_;
};

namespace {

// libyaml's account of why `parser` stopped, at its line.
std::string invalid_yaml(const yaml_parser_t& parser, const std::string& text, const std::string& origin)
{
    const char* problem = parser.problem != nullptr ? parser.problem : "out of memory";
    // A reader error (bad UTF-8, a control character) knows only its byte offset.
    const int line = parser.error == YAML_READER_ERROR
                         ? 1 + static_cast<int>(std::count(text.begin(),
                                                           text.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                                              parser.problem_offset, text.size())),
                                                           '\n'))
                         : line_of(parser.problem_mark);
    if (parser.context == nullptr)
        return fmt::format("{}:{}: not valid YAML: {}", origin, line, problem);
    return fmt::format("{}:{}: not valid YAML: {} ({} on line {})", origin, line, problem, parser.context,
                       line_of(parser.context_mark));
}

} // namespace

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
    YamlParser parser(text);
    YamlEvent event;
    do {
        if (!event.next(parser.get()))
            throw ConfigError(invalid_yaml(parser.get(), text, origin));
    } while (builder.take(event.get()));
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
