#include <catch2/catch.hpp>

#include "vipcheck/address.hpp"
#include "vipcheck/route.hpp"

using vipcheck::IpAddress;
using vipcheck::MacAddress;
using vipcheck::RoutePrefix;

TEST_CASE("IPv4 and IPv6 addresses parse strictly")
{
    REQUIRE(IpAddress::parse("192.0.2.1")->is_v4());
    CHECK(IpAddress::parse("192.0.2.1")->str() == "192.0.2.1");
    for (const char* text : {"0.0.0.0", "10.0.9.99", "100.64.100.255", "255.255.255.255", "198.18.0.250"})
        CHECK(IpAddress::parse(text)->str() == text);
    CHECK(IpAddress::v4(0x0a00090a).str() == "10.0.9.10");
    CHECK(IpAddress::parse("2001:db8::1")->str() == "2001:db8::1");
    CHECK(IpAddress::parse("[2001:db8::20]")->str() == "2001:db8::20"); // ldirectord's brackets
    CHECK(IpAddress::parse("fe80::1%eth0")->scope_name() == "eth0");
    for (const char* bad : {"", "192.0.2", "192.0.2.256", "192.0.2.1 ", " 192.0.2.1", "1.2.3.4.5", "[192.0.2.1",
                            "::ffff:192.0.2.1", "192.0.2.1%eth0", "fe80::1%", "example.org", "0x7f.1", "[]"})
        CHECK_FALSE(IpAddress::parse(bad));
}

TEST_CASE("address classes")
{
    CHECK(IpAddress::parse("224.0.0.1")->is_multicast());
    CHECK(IpAddress::parse("ff02::1")->is_multicast());
    CHECK(IpAddress::parse("255.255.255.255")->is_broadcast());
    CHECK(IpAddress::parse("0.0.0.0")->is_unspecified());
    CHECK(IpAddress::parse("::")->is_unspecified());
    CHECK(IpAddress::parse("127.0.0.5")->is_loopback());
    CHECK(IpAddress::parse("::1")->is_loopback());
    CHECK(IpAddress::parse("fe80::2")->is_link_local());
    CHECK_FALSE(IpAddress::parse("192.0.2.1")->is_multicast());
    CHECK(IpAddress::v4(0xc0000201) == *IpAddress::parse("192.0.2.1"));
}

TEST_CASE("MAC addresses")
{
    CHECK(MacAddress::parse("02:00:5E:10:00:0a")->str() == "02:00:5e:10:00:0a");
    CHECK(MacAddress::parse("02-00-5e-10-00-0a")->str() == "02:00:5e:10:00:0a");
    CHECK(MacAddress::parse("FF:a0:09:9A:00:F1")->str() == "ff:a0:09:9a:00:f1");
    CHECK(MacAddress::parse("01:00:5e:00:00:01")->is_multicast());
    CHECK(MacAddress::parse("00:00:00:00:00:00")->is_zero());
    for (const char* bad : {"", "02:00:5e:10:00", "02:00:5e:10:00:0g", "02:00:5e:10:00:0a:", "0200.5e10.000a",
                            "02:00:5e:10:00;0a"})
        CHECK_FALSE(MacAddress::parse(bad));
}

TEST_CASE("a route's prefix holds the addresses of its first bits")
{
    const auto a = [](const char* text) { return *IpAddress::parse(text); };
    CHECK(RoutePrefix{a("192.0.2.255"), 32}.contains(a("192.0.2.255")));
    CHECK_FALSE(RoutePrefix{a("192.0.2.255"), 32}.contains(a("192.0.2.254")));
    CHECK(RoutePrefix{a("198.18.0.0"), 15}.contains(a("198.19.255.1")));
    CHECK_FALSE(RoutePrefix{a("198.18.0.0"), 15}.contains(a("198.20.0.1")));
    CHECK(RoutePrefix{a("0.0.0.0"), 0}.contains(a("203.0.113.9")));
    CHECK_FALSE(RoutePrefix{a("192.0.2.0"), 24}.contains(a("2001:db8::1")));
    CHECK_FALSE(RoutePrefix{a("192.0.2.0"), 33}.contains(a("192.0.2.0")));
}
