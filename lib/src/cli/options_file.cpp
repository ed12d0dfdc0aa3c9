#include "cli/options_file.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

std::string section_list()
{
    std::string out;
    for (const auto s : options_file_sections)
        out += fmt::format("{}[{}]", out.empty() ? "" : " ", s);
    return out;
}

std::string unknown_section(std::string_view name)
{
    const std::vector<std::string> choices(options_file_sections.begin(), options_file_sections.end());
    if (const auto near = nearest_choice(name, choices))
        return fmt::format("unknown section [{}]: did you mean [{}]? (the sections are {})", name, *near,
                           section_list());
    return fmt::format("unknown section [{}]: the sections are {}, one per binary", name, section_list());
}

// CLI11's INI reader, set so that a value is taken whole: its array brackets and
// separator are control characters a file may not hold (so a value is never split on
// spaces or ','), no comment character cuts a value at '#' (comments are lines of their
// own), and no parent separator splits a key or section on '.'.
CLI::ConfigBase whole_value_reader()
{
    CLI::ConfigBase reader;
    reader.arrayBounds('\x01', '\x02')->arrayDelimiter('\x03')->comment('\0')->valueSeparator('=')->parentSeparator(
        '\x04');
    return reader;
}

// The line a control character is on, if any: the reader's settings above rely on
// there being none, and an options file is text.
void reject_control_characters(std::string_view text, const std::string& path)
{
    int number = 1;
    for (const char c : text) {
        if (c == '\n')
            ++number;
        else if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\r')
            throw Error(fmt::format("{}:{}: control character 0x{:02x}: an options file is text", path, number,
                                    static_cast<unsigned>(static_cast<unsigned char>(c))));
    }
}

struct Line {
    int number = 0;
    std::string text; // trimmed, as CLI11 trims it
    std::optional<std::string> value; // after '=', trimmed; none on a bare name
};

// CLI11's ConfigItem carries no line number, yet every message names the line. The
// locator walks the text's lines in step with the items (both in file order) and gives
// each item the line it came from. A line it cannot place is one CLI11 dropped (a line
// under three characters) or one no item stands for: an error, never skipped.
class LineLocator {
public:
    LineLocator(std::string_view text, const std::string& path) : path_(path)
    {
        std::istringstream in{std::string(text)};
        int number = 0;
        for (std::string line; std::getline(in, line);) {
            ++number;
            CLI::detail::trim(line);
            if (!line.empty() && line.front() != ';' && line.front() != '#')
                lines_.push_back({number, std::move(line), std::nullopt});
        }
    }

    std::string where(const Line& line) const { return fmt::format("{}:{}", path_, line.number); }

    // The header `[NAME]` that opened the section CLI11 calls `name`.
    const Line& section(const std::string& name)
    {
        const Line& line = next();
        if (!is_header(line.text) || header_name(line.text) != name)
            not_understood(line);
        return line;
    }

    // The setting line CLI11 read as `name`: its key, trimmed up to '=', unquoted.
    Line setting(const std::string& name)
    {
        Line line = next();
        const auto equals = line.text.find('=');
        std::string key = CLI::detail::trim_copy(line.text.substr(0, equals));
        CLI::detail::remove_quotes(key);
        if (is_header(line.text) || key != name)
            not_understood(line);
        if (equals != std::string::npos)
            line.value = CLI::detail::trim_copy(line.text.substr(equals + 1));
        return line;
    }

    // Every line has been placed.
    void finish()
    {
        if (next_ < lines_.size())
            not_understood(lines_[next_]);
    }

private:
    static bool is_header(const std::string& s) { return s.size() >= 3 && s.front() == '[' && s.back() == ']'; }

    // As CLI11 names a section: brackets (single or TOML's double) and quotes off.
    static std::string header_name(const std::string& s)
    {
        std::string name = s.substr(1, s.size() - 2);
        if (name.size() > 1 && name.front() == '[' && name.back() == ']')
            name = name.substr(1, name.size() - 2);
        return CLI::detail::remove_quotes(name);
    }

    const Line& next()
    {
        if (next_ == lines_.size())
            throw Error(fmt::format("{}: the INI reader gave more settings than the file has lines: report this "
                                    "file as a bug",
                                    path_));
        return lines_[next_++];
    }

    [[noreturn]] void not_understood(const Line& line) const
    {
        if (line.text.size() >= 2 && line.text.front() == '[' && line.text.back() == ']') {
            const std::string name = CLI::detail::trim_copy(line.text.substr(1, line.text.size() - 2));
            throw Error(fmt::format("{}: {}", where(line), unknown_section(name)));
        }
        throw Error(fmt::format("{}: '{}' is not KEY = VALUE, [SECTION] or a comment (; or # first on the line)",
                                where(line), line.text));
    }

    std::string path_;
    std::vector<Line> lines_; // those neither blank nor comments
    std::size_t next_ = 0;
};

// CLI11 takes quotes off a value only when they enclose all of it: a value still
// opening with one was not closed, and one that still holds the quote it lost was
// several quoted values on one line.
void check_quotes(const Line& line, const std::string& key, const std::string& value, const std::string& where)
{
    if (!line.value || line.value->empty())
        return;
    const char quote = line.value->front();
    if (quote != '"' && quote != '\'')
        return;
    if (*line.value == value)
        throw Error(fmt::format("{}: {} opens the value of '{}' and no {} closes it at the end of the line", where,
                                quote, key, quote));
    if (value.find(quote) != std::string::npos)
        throw Error(fmt::format("{}: '{}' has several quoted values on one line: give each its own line "
                                "`{} = VALUE` (quotes are optional)",
                                where, key, key));
}

} // namespace

std::string canonical_key(std::string_view key)
{
    std::string out(key);
    std::replace(out.begin(), out.end(), '_', '-');
    return out;
}

OptionsFile parse_options_file(std::string_view text, std::string path)
{
    OptionsFile file{std::move(path), {}};
    reject_control_characters(text, file.path);
    std::istringstream in{std::string(text)};
    const std::vector<CLI::ConfigItem> items = whole_value_reader().from_config(in);
    LineLocator locate(text, file.path);
    for (const CLI::ConfigItem& item : items) {
        if (item.name == "--")
            continue; // a section's end: no line of its own
        if (item.name == "++") {
            const Line& header = locate.section(item.parents.front());
            const std::string section = CLI::detail::trim_copy(item.parents.front());
            if (std::find(options_file_sections.begin(), options_file_sections.end(), section) ==
                options_file_sections.end())
                throw Error(fmt::format("{}: {}", locate.where(header), unknown_section(section)));
            continue;
        }
        // CLI11 merges consecutive lines of one key into one item, an input per line; the
        // setting keeps the first line.
        std::vector<Line> lines;
        for (std::size_t i = 0; i < item.inputs.size(); ++i)
            lines.push_back(locate.setting(item.name));
        const Line& first = lines.front();
        const std::string where = locate.where(first);
        if (!item.name.empty() && item.name.front() == '[')
            throw Error(fmt::format("{}: '{}' opens a section but does not close it: write [SECTION]", where,
                                    first.text));
        if (item.name.empty())
            throw Error(fmt::format("{}: '{}' is not KEY = VALUE, [SECTION] or a comment (; or # first on the line)",
                                    where, first.text));
        if (item.parents.empty())
            throw Error(fmt::format("{}: '{}' is outside any section: put it under the section of the binary it is "
                                    "for, e.g. [{}]",
                                    where, first.text, options_file_sections.front()));
        const std::string key = canonical_key(item.name);
        for (std::size_t i = 0; i < item.inputs.size(); ++i) {
            const std::string line_where = locate.where(lines[i]);
            if (item.inputs[i].empty())
                throw Error(fmt::format("{}: '{}' has an empty value: leave the line out for the default", line_where,
                                        key));
            check_quotes(lines[i], key, item.inputs[i], line_where);
        }
        file.settings.push_back({CLI::detail::trim_copy(item.parents.front()), key, item.inputs, first.number});
    }
    locate.finish();
    return file;
}
OptionsFile read_options_file(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw Error(fmt::format("cannot read the options file {}: {} (give --config an existing file, or leave it out)",
                                path, std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw Error(fmt::format("cannot read the options file {}: {}", path, std::strerror(errno)));
    return parse_options_file(text.str(), path);
}

std::optional<std::string> nearest_choice(std::string_view word, const std::vector<std::string>& choices)
{
    // Levenshtein distance, one row at a time.
    const auto distance = [&](std::string_view other) {
        std::vector<std::size_t> row(other.size() + 1);
        for (std::size_t j = 0; j < row.size(); ++j)
            row[j] = j;
        for (std::size_t i = 1; i <= word.size(); ++i) {
            std::size_t diagonal = row[0];
            row[0] = i;
            for (std::size_t j = 1; j <= other.size(); ++j) {
                const std::size_t up = row[j];
                row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (word[i - 1] == other[j - 1] ? 0 : 1)});
                diagonal = up;
            }
        }
        return row.back();
    };
    std::optional<std::string> best;
    std::size_t best_distance = 3;
    for (const auto& c : choices)
        if (const std::size_t d = distance(c); d < best_distance) {
            best = c;
            best_distance = d;
        }
    return best;
}

} // namespace vipcheck
