// Command-line handling shared by the binaries: the common options, the options file
// (options_file.hpp: INI, one section per binary, strict) and the rule that a
// usage error exits 1 (or 3 with --nagios), never CLI11's own codes.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "vipcheck/options.hpp"

namespace vipcheck {

struct OptionsFile; // options_file.hpp

// Read when it exists and no --config names another.
inline constexpr const char* default_config_file = "/etc/vipcheck.conf";

// The options beyond those every binary shares (interface, source, timeout, output,
// config): each binary registers only what it acts on, so --help lists exactly what it
// accepts and anything else is a usage error, on the command line or in the file.
struct OptionSet {
    bool frames = false;     // --mac, --ttl: the binary builds its own frames to the realserver
    bool fwmark_vip = false; // --vip: the VIP behind an ldirectord fwmark service
    bool attempts = false;   // -a/--attempts
    bool encap = false;      // --encap, --encap-port: LVS-TUN realservers
    bool arp_leak = false;   // --arp-leak: the ARP-leak test rides along (arp_leak.hpp)
};

inline constexpr OptionSet vip_probe_options{
    .frames = true, .fwmark_vip = true, .attempts = true, .encap = true, .arp_leak = true};
// vip-arp-check: the leak test itself (no --arp-leak), on this link only (no --encap).
inline constexpr OptionSet arp_check_options{.frames = true, .fwmark_vip = true, .attempts = true};

// What a binary is called with, for the usage lines of --help.
struct CommandSpec {
    std::string tool;
    std::string description;
    // Each accepted form of the positional words, e.g. "VIP RIP" and "VIP VPORT RIP RPORT".
    std::vector<std::string> synopsis;
    OptionSet options;
};

class CommandLine {
public:
    explicit CommandLine(const CommandSpec& spec);

    CLI::App& app() { return app_; }
    CommonOptions& common() { return common_; }
    const std::string& tool() const { return tool_; }
    // Positional words (addresses, ports, a URL) in the order given.
    std::vector<std::string>& positionals() { return positionals_; }

    // Parses argv, then the config file. Returns the exit status when the run ends here
    // (help, version, usage error: the message already printed), nullopt to go on.
    std::optional<int> parse(int argc, const char* const* argv);

    // After the command line: takes this binary's section of the file, unless the
    // command line gave the same option. Throws Error "FILE:LINE: ..." for a setting this
    // binary does not have, one set twice, a bad value, or options that exclude each
    // other.
    void apply_options_file(const OptionsFile& file);
    // The settings an options file may give this binary: its long options' names.
    std::vector<std::string> file_settings() const;

private:
    std::string tool_;
    std::string config_file_; // --config
    CLI::App app_;
    CommonOptions common_;
    std::vector<std::string> positionals_;
};

} // namespace vipcheck
