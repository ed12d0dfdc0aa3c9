// The verdict tokens of vipcheck(7), VERDICTS, and the exit status each one maps to
// (EXIT STATUS).
#pragma once

#include <string_view>

namespace vipcheck {

enum class Verdict {
    Up,
    PortClosed,
    Filtered,
    VipMissing,
    NoReply,
    RsUnreachable,
    MacConflict,
    ArpLeak,
    // mgmt-http-check
    HttpStatus,
    BodyMismatch,
    DigestMismatch,
    Refused,
    TlsError,
    Error,
};

enum class ExitMode { Default, Nagios };

// Stable token: first word of the default line and "verdict" in JSON.
std::string_view token(Verdict v);

// Default mode: 0 only for Up, 1 for everything else. Never 2..255: keepalived's
// misc_dynamic reads those as success with a weight, so a failure must stay 1.
// Nagios mode: 0 OK, 2 CRITICAL (the realserver is wrong), 3 UNKNOWN (local problem).
int exit_status(Verdict v, ExitMode mode);

} // namespace vipcheck
