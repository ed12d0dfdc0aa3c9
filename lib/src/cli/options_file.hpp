// The options file (/etc/vipcheck.conf, or --config FILE): INI, one section per binary,
// for runs that cannot pass options (ldirectord's checkcommand). Read as strictly as
// vipcheckd's YAML: a line that is not understood is an error naming the file, the line
// and the fix, never skipped (vip-icmp-check(8), FILES).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vipcheck {

// One file serves every binary that reads it, each its own section.
inline constexpr std::array<std::string_view, 5> options_file_sections{
    "vip-icmp-check", "vip-syn-check", "vip-arp-check", "vip-http-check", "mgmt-http-check"};

struct OptionsFileSetting {
    std::string section;
    std::string key; // canonical_key: the long option's name
    std::vector<std::string> values; // one a line; consecutive lines of one key are one setting
    int line = 0;
};

struct OptionsFile {
    std::string path;
    std::vector<OptionsFileSetting> settings;
};

// `arp_leak` and `arp-leak` name one setting: the command line's spelling and the
// YAML's are both accepted.
std::string canonical_key(std::string_view key);

// Parses the text of an options file with CLI11's INI reader: `[SECTION]`, `KEY = VALUE`
// (the value whole to the end of the line, surrounding quotes taken off), a bare `KEY`
// for `KEY = true`, comments on lines of their own (`;` or `#`) and blank lines.
// Throws Error "PATH:LINE: ..." for any other line, a section no vipcheck binary reads,
// a setting outside any section, an empty value, or several quoted values on a line.
OptionsFile parse_options_file(std::string_view text, std::string path);

// Reads and parses PATH. Throws Error naming PATH when it cannot be read.
OptionsFile read_options_file(const std::string& path);

// The choice within two edits of `word` (a typo's likely meaning), if any.
std::optional<std::string> nearest_choice(std::string_view word, const std::vector<std::string>& choices);

} // namespace vipcheck
