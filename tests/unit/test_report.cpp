#include <catch2/catch.hpp>

#include "vipcheck/report.hpp"
#include "vipcheck/verdict.hpp"

using namespace vipcheck;

TEST_CASE("exit status: 0 only for up, never 2..255 in the default mode")
{
    for (auto v : {Verdict::PortClosed, Verdict::Filtered, Verdict::VipMissing, Verdict::NoReply,
                   Verdict::RsUnreachable, Verdict::MacConflict, Verdict::ArpLeak, Verdict::HttpStatus, Verdict::BodyMismatch,
                   Verdict::DigestMismatch, Verdict::Refused, Verdict::TlsError, Verdict::Error}) {
        CHECK(exit_status(v, ExitMode::Default) == 1);
        CHECK(exit_status(v, ExitMode::Nagios) == (v == Verdict::Error ? 3 : 2));
    }
    CHECK(exit_status(Verdict::Up, ExitMode::Default) == 0);
    CHECK(exit_status(Verdict::Up, ExitMode::Nagios) == 0);
}

TEST_CASE("verdict tokens are the stable ones of vipcheck(7) VERDICTS")
{
    CHECK(token(Verdict::Up) == "up");
    CHECK(token(Verdict::PortClosed) == "port-closed");
    CHECK(token(Verdict::Filtered) == "filtered");
    CHECK(token(Verdict::VipMissing) == "vip-missing");
    CHECK(token(Verdict::NoReply) == "no-reply");
    CHECK(token(Verdict::RsUnreachable) == "rs-unreachable");
    CHECK(token(Verdict::MacConflict) == "mac-conflict");
    CHECK(token(Verdict::ArpLeak) == "arp-leak");
    CHECK(token(Verdict::Error) == "error");
}

namespace {

Outcome sample()
{
    Outcome o;
    o.verdict = Verdict::Up;
    o.subject = "198.51.100.10 on 192.0.2.11 [02:00:00:00:00:11] via eth1 src 192.0.2.2";
    o.detail = "echo reply in 0.21 ms";
    o.rtt_ms = 0.2149;
    o.elapsed_ms = 1.5;
    o.fields = {{"vip", std::string("198.51.100.10")}, {"mac", nullptr}, {"attempts", std::int64_t{1}},
                {"ok", true}};
    return o;
}

} // namespace

TEST_CASE("the default line starts with the token")
{
    CHECK(format_line(sample()) ==
          "up 198.51.100.10 on 192.0.2.11 [02:00:00:00:00:11] via eth1 src 192.0.2.2: echo reply in 0.21 ms");
}

TEST_CASE("JSON is one object with escaped strings")
{
    auto o = sample();
    o.detail = "a \"quoted\"\nline\x01";
    CHECK(format_json(o) ==
          "{\"verdict\":\"up\",\"vip\":\"198.51.100.10\",\"mac\":null,\"attempts\":1,\"ok\":true,"
          "\"rtt_ms\":0.215,\"elapsed_ms\":1.500,\"detail\":\"a \\\"quoted\\\"\\nline\\u0001\"}");
}

TEST_CASE("Nagios line with perfdata")
{
    auto o = sample();
    CHECK(format_nagios(o) == "VIPCHECK OK - " + format_line(o) + " | rtt=0.215ms;;;0 time=1.500ms;;;0");
    o.verdict = Verdict::NoReply;
    o.rtt_ms.reset();
    o.detail = "a|b";
    CHECK(format_nagios(o).rfind("VIPCHECK CRITICAL - no-reply", 0) == 0);
    CHECK(format_nagios(o).find("a/b | time=1.500ms;;;0") != std::string::npos);
    o.verdict = Verdict::Error;
    CHECK(format_nagios(o).rfind("VIPCHECK UNKNOWN", 0) == 0);
}
