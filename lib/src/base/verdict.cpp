#include "vipcheck/verdict.hpp"

namespace vipcheck {

std::string_view token(Verdict v)
{
    switch (v) {
    case Verdict::Up: return "up";
    case Verdict::PortClosed: return "port-closed";
    case Verdict::Filtered: return "filtered";
    case Verdict::VipMissing: return "vip-missing";
    case Verdict::NoReply: return "no-reply";
    case Verdict::RsUnreachable: return "rs-unreachable";
    case Verdict::MacConflict: return "mac-conflict";
    case Verdict::ArpLeak: return "arp-leak";
    case Verdict::HttpStatus: return "http-status";
    case Verdict::BodyMismatch: return "body-mismatch";
    case Verdict::DigestMismatch: return "digest-mismatch";
    case Verdict::Refused: return "refused";
    case Verdict::TlsError: return "tls-error";
    case Verdict::Error: return "error";
    }
    return "error";
}

int exit_status(Verdict v, ExitMode mode)
{
    if (mode == ExitMode::Nagios) {
        if (v == Verdict::Up)
            return 0;
        return v == Verdict::Error ? 3 : 2;
    }
    return v == Verdict::Up ? 0 : 1;
}

} // namespace vipcheck
