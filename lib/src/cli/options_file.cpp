#include "cli/options_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

std::string_view trim(std::string_view s)
{
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos)
        return {};
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

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

// A value runs to the end of its line. Quotes are for several values of a repeatable
// option on one line, `"X-A: 1" "X-B: 2"`, and are not part of the values.
std::vector<std::string> split_values(std::string_view v, const std::string& where)
{
    if (v.empty() || (v.front() != '"' && v.front() != '\''))
        return {std::string(v)};
    std::vector<std::string> out;
    while (!v.empty()) {
        const char quote = v.front();
        if (quote != '"' && quote != '\'')
            throw Error(fmt::format("{}: '{}' follows a quoted value: quote each value, or none if there is one",
                                    where, v));
        const auto close = v.find(quote, 1);
        if (close == std::string_view::npos)
            throw Error(fmt::format("{}: {} opens a value that no {} closes", where, quote, quote));
        out.emplace_back(v.substr(1, close - 1));
        v = trim(v.substr(close + 1));
    }
    return out;
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
    std::string section;
    int number = 0;
    while (!text.empty()) {
        const auto end = text.find('\n');
        const std::string_view line = trim(text.substr(0, end));
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        ++number;
        const std::string where = fmt::format("{}:{}", file.path, number);
        if (line.empty() || line.front() == ';' || line.front() == '#')
            continue;
        if (line.front() == '[') {
            if (line.back() != ']')
                throw Error(fmt::format("{}: '{}' opens a section but does not close it: write [SECTION]", where,
                                        line));
            section = std::string(trim(line.substr(1, line.size() - 2)));
            if (std::find(options_file_sections.begin(), options_file_sections.end(), section) ==
                options_file_sections.end())
                throw Error(fmt::format("{}: {}", where, unknown_section(section)));
            continue;
        }
        const auto equals = line.find('=');
        if (equals == std::string_view::npos || trim(line.substr(0, equals)).empty())
            throw Error(fmt::format("{}: '{}' is not KEY = VALUE, [SECTION] or a comment (; or # first on the line)",
                                    where, line));
        const std::string key = canonical_key(trim(line.substr(0, equals)));
        if (section.empty())
            throw Error(fmt::format("{}: '{}' is outside any section: put it under the section of the binary it is "
                                    "for, e.g. [{}]",
                                    where, line, options_file_sections.front()));
        auto values = split_values(trim(line.substr(equals + 1)), where);
        if (std::any_of(values.begin(), values.end(), [](const std::string& v) { return v.empty(); }))
            throw Error(fmt::format("{}: '{}' has an empty value: leave the line out for the default", where, key));
        file.settings.push_back({section, key, std::move(values), number});
    }
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
