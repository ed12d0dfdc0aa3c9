// mgmt-http-check's judgement: curl result codes to verdicts, digests, response checks.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "http/http_check.hpp"

using namespace vipcheck;

TEST_CASE("curl result codes map to verdict tokens", "[http][verdict]")
{
    CHECK(classify_transfer(CURLE_OK, 0, false) == Verdict::Up);
    CHECK(classify_transfer(CURLE_COULDNT_CONNECT, ECONNREFUSED, false) == Verdict::Refused);
    CHECK(classify_transfer(CURLE_COULDNT_CONNECT, ECONNREFUSED, true) == Verdict::Refused);
    CHECK(classify_transfer(CURLE_COULDNT_CONNECT, EHOSTUNREACH, false) == Verdict::NoReply);
    CHECK(classify_transfer(CURLE_COULDNT_CONNECT, ETIMEDOUT, false) == Verdict::NoReply);
    CHECK(classify_transfer(CURLE_COULDNT_CONNECT, ENETUNREACH, false) == Verdict::Error);
    CHECK(classify_transfer(CURLE_COULDNT_CONNECT, EADDRNOTAVAIL, false) == Verdict::Error);
    CHECK(classify_transfer(CURLE_OPERATION_TIMEDOUT, 0, false) == Verdict::NoReply);
    CHECK(classify_transfer(CURLE_OPERATION_TIMEDOUT, 0, true) == Verdict::NoReply);
    CHECK(classify_transfer(CURLE_GOT_NOTHING, 0, false) == Verdict::NoReply);
    CHECK(classify_transfer(CURLE_PARTIAL_FILE, 0, false) == Verdict::NoReply);
    CHECK(classify_transfer(CURLE_RECV_ERROR, ECONNRESET, false) == Verdict::NoReply);
    CHECK(classify_transfer(CURLE_RECV_ERROR, ECONNRESET, true) == Verdict::NoReply);
    CHECK(classify_transfer(CURLE_RECV_ERROR, 0, true) == Verdict::TlsError);
    CHECK(classify_transfer(CURLE_RECV_ERROR, 0, false) == Verdict::NoReply);
    CHECK(classify_transfer(CURLE_PEER_FAILED_VERIFICATION, 0, true) == Verdict::TlsError);
    CHECK(classify_transfer(CURLE_SSL_CONNECT_ERROR, 0, true) == Verdict::TlsError);
    CHECK(classify_transfer(CURLE_SSL_ISSUER_ERROR, 0, true) == Verdict::TlsError);
    CHECK(classify_transfer(CURLE_WEIRD_SERVER_REPLY, 0, false) == Verdict::HttpStatus);
    CHECK(classify_transfer(CURLE_TOO_MANY_REDIRECTS, 0, false) == Verdict::HttpStatus);
    CHECK(classify_transfer(CURLE_FILESIZE_EXCEEDED, 0, false) == Verdict::BodyMismatch);
    // Problems on this side are `error`, never a statement about the realserver.
    CHECK(classify_transfer(CURLE_SSL_CACERT_BADFILE, 0, true) == Verdict::Error);
    CHECK(classify_transfer(CURLE_SSL_CERTPROBLEM, 0, true) == Verdict::Error);
    CHECK(classify_transfer(CURLE_COULDNT_RESOLVE_HOST, 0, false) == Verdict::Error);
    CHECK(classify_transfer(CURLE_URL_MALFORMAT, 0, false) == Verdict::Error);
    CHECK(classify_transfer(CURLE_INTERFACE_FAILED, 0, false) == Verdict::Error);
    CHECK(classify_transfer(CURLE_OUT_OF_MEMORY, 0, false) == Verdict::Error);
}

namespace {

// What libcurl 7.88 handed its debug callback as CURLINFO_SSL_DATA_IN, message by
// message, for a TLS 1.3 server that wants a client certificate we do not have.
const std::vector<std::vector<std::uint8_t>> certificate_required_alert = {
    {0x17, 0x03, 0x03, 0x00, 0x13}, // record header: application data, 19 bytes
    {0x15},                         // its inner content type: alert
    {0x02, 0x74},                   // fatal, certificate_required (116)
};

TlsAlertReader read(const std::vector<std::vector<std::uint8_t>>& messages)
{
    TlsAlertReader r;
    for (const auto& m : messages)
        r.feed(m);
    return r;
}

} // namespace

TEST_CASE("the server's TLS alert is read out of libcurl's trace of TLS", "[http][verdict][tls]")
{
    const auto alert = read(certificate_required_alert).error_alert();
    REQUIRE(alert);
    CHECK(alert->level == 2);
    CHECK(alert->description == 116);
    CHECK(alert_name(alert->description) == "certificate_required");

    // TLS 1.2: the alert's own record type, no inner content type.
    const auto tls12 = read({{0x15, 0x03, 0x03, 0x00, 0x02}, {0x02, 0x28}}).error_alert();
    REQUIRE(tls12);
    CHECK(alert_name(tls12->description) == "handshake_failure");

    // close_notify ends a connection; it reports no error.
    CHECK_FALSE(read({{0x17, 0x03, 0x03, 0x00, 0x13}, {0x15}, {0x01, 0x00}}).error_alert());
    // Two bytes of application data, or of a handshake record, are no alert.
    CHECK_FALSE(read({{0x17, 0x03, 0x03, 0x00, 0x13}, {0x17}, {0x02, 0x74}}).error_alert());
    CHECK_FALSE(read({{0x16, 0x03, 0x03, 0x00, 0x02}, {0x02, 0x74}}).error_alert());
    // Plain HTTP where TLS was expected: "HTTP/" is no record header.
    CHECK_FALSE(read({{'H', 'T', 'T', 'P', '/'}, {0x02, 0x74}}).error_alert());
    // The first error alert is the one that counts.
    auto twice = certificate_required_alert;
    twice.insert(twice.end(), {{0x15, 0x03, 0x03, 0x00, 0x02}, {0x02, 0x28}});
    CHECK(read(twice).error_alert()->description == 116);
}

TEST_CASE("a server's error alert decides the verdict, whatever libcurl failed on first", "[http][verdict][tls]")
{
    const auto alert = read(certificate_required_alert).error_alert();
    const std::string said = "the server sent the TLS alert certificate_required (116)";

    // The race seen under load: the server's reset came before our request went out.
    // libcurl's first words were getpeername()'s, its code the failed send's, and the
    // alert was read only when libcurl closed the connection.
    const Judgement raced = judge_failure(CURLE_SEND_ERROR, ECONNRESET, true, alert,
                                          "getpeername() failed with errno 107: Transport endpoint is not connected");
    CHECK(raced.verdict == Verdict::TlsError);
    CHECK(raced.detail == said);
    // The usual order: the request went out, and reading the answer met the alert.
    const Judgement usual = judge_failure(
        CURLE_RECV_ERROR, 0, true, alert,
        "OpenSSL SSL_read: OpenSSL/3.0.19: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0");
    CHECK(usual.verdict == Verdict::TlsError);
    CHECK(usual.detail == said);

    // Without an alert, a reset is a server that cut the connection: no-reply, in libcurl's words.
    const Judgement reset = judge_failure(CURLE_SEND_ERROR, ECONNRESET, true, std::nullopt,
                                          "OpenSSL SSL_write: Connection reset by peer, errno 104");
    CHECK(reset.verdict == Verdict::NoReply);
    CHECK(reset.detail == "OpenSSL SSL_write: Connection reset by peer, errno 104");
    CHECK(judge_failure(CURLE_GOT_NOTHING, 0, true, TlsAlert{1, 0}, "Empty reply from server").verdict ==
          Verdict::NoReply);
}

TEST_CASE("the HTTP verdicts have their tokens and exit codes", "[http][verdict]")
{
    CHECK(token(Verdict::HttpStatus) == "http-status");
    CHECK(token(Verdict::BodyMismatch) == "body-mismatch");
    CHECK(token(Verdict::DigestMismatch) == "digest-mismatch");
    CHECK(token(Verdict::Refused) == "refused");
    CHECK(token(Verdict::TlsError) == "tls-error");
    for (auto v : {Verdict::HttpStatus, Verdict::BodyMismatch, Verdict::DigestMismatch, Verdict::Refused,
                   Verdict::TlsError, Verdict::NoReply}) {
        CHECK(exit_status(v, ExitMode::Default) == 1);
        CHECK(exit_status(v, ExitMode::Nagios) == 2);
    }
    CHECK(exit_status(Verdict::Error, ExitMode::Nagios) == 3);
}

TEST_CASE("MD5 of known strings, as md5sum and genhash print it", "[http][digest]")
{
    CHECK(Md5::of("") == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(Md5::of("abc") == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(Md5::of("The quick brown fox jumps over the lazy dog") == "9e107d9d372bb6826bd81d3542a419d6");
    Md5 pieces;
    pieces.update("The quick brown ");
    pieces.update("fox jumps over the lazy dog");
    CHECK(pieces.hex() == "9e107d9d372bb6826bd81d3542a419d6");
    using namespace std::string_view_literals;
    CHECK(Md5::of("a\0b"sv) != Md5::of("a"));
}

namespace {

HttpOptions options_with(HttpArgs a)
{
    return make_http_options(CommonOptions{}, a, {"http://192.0.2.11/"});
}

HttpResponse response(long status, std::string_view body)
{
    HttpResponse r;
    r.status = status;
    r.reason = status == 200 ? "OK" : "Internal Server Error";
    r.body = body;
    r.bytes = body.size();
    r.md5 = Md5::of(body);
    r.total_ms = 1.5;
    return r;
}

} // namespace

TEST_CASE("responses are judged: status, then body, then digest", "[http][verdict]")
{
    const auto plain = options_with({});
    auto j = judge_response(plain, response(200, "hello"));
    CHECK(j.verdict == Verdict::Up);
    CHECK(j.detail == "200 OK, 5 bytes in 1.50 ms");

    j = judge_response(plain, response(500, "oops"));
    CHECK(j.verdict == Verdict::HttpStatus);
    CHECK(j.detail == "500 Internal Server Error in 1.50 ms, expected status 200");

    HttpArgs a;
    a.expect_status = "200,500-599";
    CHECK(judge_response(options_with(a), response(500, "oops")).verdict == Verdict::Up);

    a = {};
    a.expect_body = "^ready$";
    const auto body = options_with(a);
    CHECK(judge_response(body, response(200, "state\nready\n")).verdict == Verdict::Up);
    j = judge_response(body, response(200, "starting"));
    CHECK(j.verdict == Verdict::BodyMismatch);
    CHECK_THAT(j.detail, Catch::Contains("/^ready$/"));

    a = {};
    a.digest = Md5::of("hello");
    const auto digest = options_with(a);
    CHECK(judge_response(digest, response(200, "hello")).verdict == Verdict::Up);
    j = judge_response(digest, response(200, "hellO"));
    CHECK(j.verdict == Verdict::DigestMismatch);
    CHECK_THAT(j.detail, Catch::Contains(Md5::of("hellO")) && Catch::Contains(Md5::of("hello")));
    // A wrong status is reported as such even when the digest differs too.
    CHECK(judge_response(digest, response(500, "oops")).verdict == Verdict::HttpStatus);

    HttpResponse no_reason = response(200, "x");
    no_reason.reason.clear();
    CHECK(judge_response(plain, no_reason).detail == "200, 1 byte in 1.50 ms");
}
