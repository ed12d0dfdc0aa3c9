// What is wrong with a realserver, from its planes' verdicts of one round together: a
// list of stable codes and one sentence that names the planes and what they said.
// Pure; the codes and their rules are written out in judge.hpp and below.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/judge.hpp"
#include "vipcheck/address.hpp"

namespace vipcheck {

// In the order a diagnosis lists them: the realserver's reachability first, then the
// VIP on it, its port, its application, then what only informs, then the catch-alls.
enum class Code {
    Healthy,          // every listed plane is up; never with another code
    RsUnreachable,    // a plane got rs-unreachable: no ARP or neighbour reply (mgmt-http's
                      // no-reply then follows from it)
    MacConflict,      // a plane got mac-conflict: two MACs answer for the realserver
    VipNotConfigured, // a vip-* plane got vip-missing: the realserver forwards VIP traffic
                      // (the other vip-* planes' no-reply then follows from it)
    VipSilent,        // reachable at layer 2, and every vip-* plane with a result got no-reply
    ServiceDownOnVip, // the VIP is there, its port does not accept
    AppBrokenOnVip,   // the port accepts, vip-http fails, mgmt-http is up
    AppBroken,        // the port accepts, vip-http and mgmt-http both fail
    MgmtDown,         // every vip-* plane up, mgmt-http fails
    ArpLeak,          // a plane got arp-leak
    PlaneDown,        // a plane fails and no code above explains it
    ProbeError,       // a plane got error: vipcheckd could not probe (a local problem)
    NoResult,         // a listed plane has no result yet
};

std::string_view token(Code c);

struct Diagnosis {
    std::vector<Code> codes; // never empty
    std::string sentence;
};

// Who the sentence is about.
struct Subject {
    IpAddress vip;
    std::uint16_t port = 0;
    IpAddress rip;
};

// Only the planes the rules list are read. Every failing plane is named under one code
// at least (plane-down when no other explains it), so `healthy` means every listed
// plane is up.
Diagnosis diagnose(const PlaneResults& results, const JudgeRules& rules, const Subject& subject);

// The codes comma-separated: "vip-silent,arp-leak".
std::string codes_text(const Diagnosis& d);

} // namespace vipcheck
