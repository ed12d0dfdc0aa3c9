// A realserver's diagnosis from its planes' verdicts together: the codes and the
// sentence, as judge.hpp writes them out.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "daemon/diagnosis.hpp"
#include "daemon/judge.hpp"

using namespace vipcheck;

namespace {

const PlaneSet every_plane{Plane::VipIcmp, Plane::VipSyn, Plane::VipHttp, Plane::Arp, Plane::MgmtHttp};

Subject subject()
{
    return Subject{*IpAddress::parse("198.51.100.10"), 80, *IpAddress::parse("192.0.2.14")};
}

PlaneResults all_up()
{
    PlaneResults r;
    for (const auto p : all_planes)
        r.set(p, Verdict::Up, "fine");
    return r;
}

std::vector<std::string> codes(const PlaneResults& r, const JudgeRules& rules = default_rules(every_plane))
{
    std::vector<std::string> out;
    for (const auto c : diagnose(r, rules, subject()).codes)
        out.emplace_back(token(c));
    return out;
}

using Codes = std::vector<std::string>;

} // namespace

TEST_CASE("healthy: every listed plane up, and nothing else", "[diagnosis]")
{
    const auto d = diagnose(all_up(), default_rules(every_plane), subject());
    CHECK(d.codes == std::vector<Code>{Code::Healthy});
    CHECK(d.sentence == "192.0.2.14 serves VIP 198.51.100.10: vip-icmp, vip-syn, vip-http, arp and mgmt-http up.");
}

TEST_CASE("the sentence names the planes and what they said", "[diagnosis]")
{
    auto r = all_up();
    r.set(Plane::VipIcmp, Verdict::VipMissing, "time exceeded from 192.0.2.14");
    const auto d = diagnose(r, default_rules(every_plane), subject());
    CHECK(d.sentence == "VIP 198.51.100.10 is not configured on 192.0.2.14: vip-icmp got vip-missing "
                        "(time exceeded from 192.0.2.14).");

    r.set(Plane::Arp, Verdict::ArpLeak, "ARP reply for 198.51.100.10 from 02:00:00:00:00:14");
    r.set(Plane::MgmtHttp, Verdict::Refused);
    const auto e = diagnose(r, default_rules(every_plane), subject());
    CHECK(e.sentence == "VIP 198.51.100.10 is not configured on 192.0.2.14: vip-icmp got vip-missing (time exceeded "
                        "from 192.0.2.14); 192.0.2.14 answers ARP for VIP 198.51.100.10, which only the director "
                        "may: arp got arp-leak (ARP reply for 198.51.100.10 from 02:00:00:00:00:14); 192.0.2.14 "
                        "fails mgmt-http: mgmt-http got refused.");
}

TEST_CASE("every code from plane verdicts", "[diagnosis]")
{
    struct Row {
        std::vector<std::pair<Plane, Verdict>> changes; // to all_up()
        Codes expected;
    };
    using P = Plane;
    using V = Verdict;
    const auto row = GENERATE(values<Row>({
        // layer 2
        {{{P::VipIcmp, V::RsUnreachable}, {P::VipSyn, V::RsUnreachable}, {P::VipHttp, V::RsUnreachable},
          {P::Arp, V::RsUnreachable}, {P::MgmtHttp, V::NoReply}},
         {"rs-unreachable"}},
        {{{P::VipSyn, V::RsUnreachable}}, {"rs-unreachable"}},
        // ARP lost for one probe, another plane silent: the silence is not explained
        {{{P::VipIcmp, V::RsUnreachable}, {P::VipSyn, V::NoReply}, {P::VipHttp, V::NoReply}},
         {"rs-unreachable", "plane-down"}},
        {{{P::VipIcmp, V::MacConflict}, {P::VipSyn, V::MacConflict}}, {"mac-conflict"}},
        // silence means nothing without an answer at layer 2
        {{{P::VipIcmp, V::NoReply}, {P::VipSyn, V::NoReply}, {P::VipHttp, V::NoReply}, {P::Arp, V::RsUnreachable}},
         {"rs-unreachable", "plane-down"}},
        {{{P::VipIcmp, V::NoReply}, {P::VipSyn, V::NoReply}, {P::VipHttp, V::NoReply}, {P::Arp, V::MacConflict}},
         {"mac-conflict", "plane-down"}},
        // the VIP on the realserver
        {{{P::VipIcmp, V::VipMissing}, {P::VipSyn, V::VipMissing}, {P::VipHttp, V::NoReply}},
         {"vip-not-configured"}},
        {{{P::VipSyn, V::VipMissing}}, {"vip-not-configured"}},
        {{{P::VipIcmp, V::NoReply}, {P::VipSyn, V::NoReply}, {P::VipHttp, V::NoReply}}, {"vip-silent"}},
        // its port
        {{{P::VipSyn, V::PortClosed}, {P::VipHttp, V::PortClosed}}, {"service-down-on-vip"}},
        {{{P::VipSyn, V::NoReply}, {P::VipHttp, V::NoReply}}, {"service-down-on-vip"}},
        {{{P::VipIcmp, V::NoReply}, {P::VipSyn, V::PortClosed}}, {"service-down-on-vip", "plane-down"}},
        // its application
        {{{P::VipHttp, V::HttpStatus}}, {"app-broken-on-vip"}},
        {{{P::VipHttp, V::NoReply}}, {"app-broken-on-vip"}},
        {{{P::VipHttp, V::TlsError}}, {"app-broken-on-vip"}},
        {{{P::VipHttp, V::BodyMismatch}, {P::MgmtHttp, V::HttpStatus}}, {"app-broken"}},
        {{{P::VipHttp, V::DigestMismatch}, {P::MgmtHttp, V::Refused}}, {"app-broken"}},
        // what only informs
        {{{P::MgmtHttp, V::Refused}}, {"mgmt-down"}},
        {{{P::MgmtHttp, V::NoReply}}, {"mgmt-down"}},
        {{{P::Arp, V::ArpLeak}}, {"arp-leak"}},
        {{{P::VipIcmp, V::ArpLeak}, {P::Arp, V::ArpLeak}}, {"arp-leak"}},
        {{{P::Arp, V::ArpLeak}, {P::MgmtHttp, V::HttpStatus}}, {"mgmt-down", "arp-leak"}},
        // the catch-alls
        {{{P::VipIcmp, V::NoReply}}, {"plane-down"}},
        {{{P::VipSyn, V::Filtered}}, {"plane-down"}},
        {{{P::VipHttp, V::Error}}, {"probe-error"}},
        {{{P::MgmtHttp, V::Error}}, {"probe-error"}},
        // combined
        {{{P::VipIcmp, V::NoReply}, {P::VipSyn, V::NoReply}, {P::VipHttp, V::NoReply}, {P::Arp, V::ArpLeak},
          {P::MgmtHttp, V::Refused}},
         {"vip-silent", "arp-leak", "plane-down"}},
        {{{P::VipHttp, V::HttpStatus}, {P::Arp, V::ArpLeak}}, {"app-broken-on-vip", "arp-leak"}},
    }));
    auto r = all_up();
    std::string changes;
    for (const auto& [p, v] : row.changes) {
        r.set(p, v);
        changes += std::string(token(p)) + "=" + std::string(token(v)) + " ";
    }
    CAPTURE(changes);
    CHECK(codes(r) == row.expected);
}

TEST_CASE("without vip-syn, only an HTTP answer proves that the port accepts", "[diagnosis]")
{
    const auto rules = default_rules(PlaneSet{Plane::VipIcmp, Plane::VipHttp, Plane::MgmtHttp});
    PlaneResults r;
    r.set(Plane::VipIcmp, Verdict::Up).set(Plane::MgmtHttp, Verdict::Up);
    CHECK(codes(r.set(Plane::VipHttp, Verdict::HttpStatus), rules) == Codes{"app-broken-on-vip"});
    CHECK(codes(r.set(Plane::VipHttp, Verdict::NoReply), rules) == Codes{"plane-down"});
    CHECK(codes(r.set(Plane::VipHttp, Verdict::PortClosed), rules) == Codes{"service-down-on-vip"});
    // A RST from the VIP proves the VIP is there without vip-icmp.
    const auto syn_only = default_rules(PlaneSet{Plane::VipSyn});
    CHECK(codes(PlaneResults{}.set(Plane::VipSyn, Verdict::PortClosed), syn_only) == Codes{"service-down-on-vip"});
    CHECK(codes(PlaneResults{}.set(Plane::VipSyn, Verdict::NoReply), syn_only) == Codes{"vip-silent"});
}

TEST_CASE("mgmt-down needs every vip-* plane up, whatever depool_on says", "[diagnosis]")
{
    auto r = all_up();
    r.set(Plane::MgmtHttp, Verdict::Refused);
    auto rules = default_rules(every_plane);
    rules.depool_on.insert(Plane::MgmtHttp);
    CHECK(codes(r, rules) == Codes{"mgmt-down"});
    rules.depool_on = PlaneSet{Plane::VipIcmp};
    r.set(Plane::VipSyn, Verdict::Filtered);
    CHECK(codes(r, rules) == Codes{"plane-down"});
}

TEST_CASE("a plane without a result yet is no-result, never healthy", "[diagnosis]")
{
    const auto rules = default_rules(every_plane);
    PlaneResults r;
    r.set(Plane::VipIcmp, Verdict::Up).set(Plane::VipSyn, Verdict::Up).set(Plane::VipHttp, Verdict::Up);
    const auto d = diagnose(r, rules, subject());
    CHECK(d.codes == std::vector<Code>{Code::NoResult});
    CHECK(d.sentence == "192.0.2.14 has no result yet from arp and mgmt-http.");
    CHECK(codes(PlaneResults{}, rules) == Codes{"no-result"});
}

TEST_CASE("planes the service does not list are not read", "[diagnosis]")
{
    const auto rules = default_rules(PlaneSet{Plane::VipIcmp, Plane::VipSyn});
    auto r = all_up();
    r.set(Plane::Arp, Verdict::ArpLeak).set(Plane::MgmtHttp, Verdict::Refused).set(Plane::VipHttp, Verdict::Error);
    const auto d = diagnose(r, rules, subject());
    CHECK(d.codes == std::vector<Code>{Code::Healthy});
    CHECK(d.sentence == "192.0.2.14 serves VIP 198.51.100.10: vip-icmp and vip-syn up.");
}

TEST_CASE("IPv6: neighbour solicitations, not ARP", "[diagnosis]")
{
    const Subject six{*IpAddress::parse("2001:db8::10"), 443, *IpAddress::parse("2001:db8::14")};
    auto r = all_up();
    r.set(Plane::VipIcmp, Verdict::RsUnreachable).set(Plane::Arp, Verdict::ArpLeak);
    const auto d = diagnose(r, default_rules(every_plane), six);
    CHECK(d.sentence == "2001:db8::14 does not answer neighbour solicitations: vip-icmp got rs-unreachable; "
                        "2001:db8::14 answers neighbour solicitations for VIP 2001:db8::10, which only the director "
                        "may: arp got arp-leak.");
}

TEST_CASE("every code has its own token", "[diagnosis]")
{
    std::vector<std::string> tokens;
    for (auto c = Code::Healthy; c <= Code::NoResult; c = static_cast<Code>(static_cast<int>(c) + 1))
        tokens.emplace_back(token(c));
    CHECK(tokens == Codes{"healthy", "rs-unreachable", "mac-conflict", "vip-not-configured", "vip-silent",
                          "service-down-on-vip", "app-broken-on-vip", "app-broken", "mgmt-down", "arp-leak",
                          "plane-down", "probe-error", "no-result"});
}
