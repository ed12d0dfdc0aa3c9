// The one rule for what a probe target may be, whichever entry point read it: a
// one-shot tool's command line, vip-http-check's URL, a vipcheckd target. It holds
// every check that needs no kernel, on typed values; the two that need the kernel's
// view (a VIP the kernel routes as a subnet broadcast, a kernel choosing the VIP as
// source) are the engine's, at probe time (engine.hpp).
#pragma once

#include <string>
#include <utility>

#include "vipcheck/error.hpp"
#include "vipcheck/options.hpp"
#include "vipcheck/probe.hpp"

namespace vipcheck {

// What the rule needs to know of the probe that will run.
struct TargetKind {
    std::string name;             // for messages: "vip-arp-check", "kind arp"
    PortUse ports = PortUse::None;
    bool arp_leak_test = false;   // the ARP-leak test itself (arp_leak.hpp)
    bool tunnels = true;          // can reach an LVS-TUN realserver (encap)
};

// A ProbeKind's: the ARP-leak test asks a realserver on this link, so it is never
// tunnelled; every other kind may be.
TargetKind target_kind(std::string name, PortUse ports, const ProbeKind& kind);

// How messages spell the settings: as the tools' options and positional words
// (--encap-port, VIP), or as vipcheckd's YAML fields (encap_port, vip).
enum class Spelling { CommandLine, Config };

// A refused target. The message names the bad value and the fix; field() is the
// setting at fault as vipcheckd's YAML names it ("encap_port"), so that a config error
// can point at its line.
class TargetError : public Error {
public:
    TargetError(std::string field, const std::string& message) : Error(message), field_(std::move(field)) {}
    const std::string& field() const { return field_; }

private:
    std::string field_;
};

// Throws TargetError at the first rule `o` breaks for a probe of `kind`.
void check_target_rules(const ProbeOptions& o, const TargetKind& kind, Spelling spelling);

} // namespace vipcheck
