// Golden frames: the bytes below were checked by hand and against an independent
// encoder (scapy), field by field, checksums included.
#include <catch2/catch.hpp>

#include <string>

#include "fixtures.hpp"
#include "vipcheck/icmp_echo.hpp"
#include "vipcheck/neighbour.hpp"

using namespace vipcheck;
using fixtures::hex;

namespace {


} // namespace

TEST_CASE("ICMP echo request to the VIP at the realserver's MAC, TTL 1, padded to 60 bytes")
{
    FrameBuilder b;
    const auto c = fixtures::context();
    const EchoProbe echo;
    // eth 02:..:11 <- 02:..:02 IPv4 | IPv4 len 46 id 0x1234 DF ttl 1 icmp sum 7b5b
    // 192.0.2.2 -> 198.51.100.10 | echo id 0x1234 seq 0xfffe sum a887 | cookie a0..af, 00 00
    CHECK(hex(echo.build(b, c, 0)) ==
          "02000000001102000000000208004500002e1234400001017b5bc0000202c633640a0800a8871234fffe"
          "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf0000");
    // The third attempt: IP id +2, sequence wrapped to 0.
    CHECK(hex(echo.build(b, c, 2)) ==
          "02000000001102000000000208004500002e1236400001017b59c0000202c633640a0800a88612340000"
          "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf0000");
    CHECK(echo.build(b, c, 1).size() == min_frame_size);
}

TEST_CASE("TTL and MACs come from the context")
{
    FrameBuilder b;
    auto c = fixtures::context();
    c.ttl = 64;
    const auto f = EchoProbe{}.build(b, c, 0);
    CHECK(f[22] == 64);
    CHECK(MacAddress(f.data()) == c.remote_mac);
    CHECK(MacAddress(f.data() + 6) == c.local_mac);
}

TEST_CASE("ARP request for the RIP, never for the VIP, padded to 60 bytes")
{
    FrameBuilder b;
    const auto c = fixtures::context();
    const NeighbourQuery q{c.ifindex, c.local_mac, c.source, c.rip};
    CHECK(hex(neighbour_request(b, q)) ==
          "ffffffffffff02000000000208060001080006040001020000000002c0000202000000000000c000020b"
          "000000000000000000000000000000000000");
}
