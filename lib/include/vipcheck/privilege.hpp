// The VIP probes need one privilege, CAP_NET_RAW, and only to open their packet
// socket. They get it from a file capability (setcap cap_net_raw+ep), never setuid,
// and give it up as soon as the socket is open, so that a bug in the code that parses
// frames from the wire runs with no privilege at all.
#pragma once

#include <string>

namespace vipcheck {

// What drop_capabilities() leaves: nothing, or CAP_NET_ADMIN alone, for vipcheckd's
// --once round on a backup director, which adds an nftables element as each kind http
// connection starts, after the drop (vip_http/kernel_bypass.hpp).
enum class KeptCapability { None, NetAdmin };

// Clears every capability set of the process (effective, permitted, inheritable,
// ambient) but `kept` in effective and permitted, and sets no_new_privs, so neither
// this process nor anything it could exec regains one. Works the same for root and for
// a capable unprivileged user. Throws Error: a probe that cannot drop what it holds
// must not go on.
void drop_capabilities(KeptCapability kept = KeptCapability::None);

// What to do about a missing CAP_NET_RAW, as one sentence naming this binary's real
// path (e.g. "... or once, as root: setcap cap_net_raw+ep /usr/sbin/vip-icmp-check"),
// or, when the file already carries the capability, why the kernel did not grant it.
std::string net_raw_hint();

} // namespace vipcheck
