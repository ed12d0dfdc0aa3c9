// The nftables transactions that keep a backup director's kernel out of the VIP-HTTP
// connections: vip-http-check's one element, vipcheckd's many of one loop turn.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "vip_http/kernel_bypass.hpp"

using namespace vipcheck;
using fixtures::ip;
using namespace std::chrono_literals;

namespace {

// The element commands of a transaction: its lines that name an element.
std::vector<std::string> element_lines(const std::string& commands)
{
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end; (end = commands.find('\n', start)) != std::string::npos; start = end + 1) {
        const std::string line = commands.substr(start, end - start);
        if (line.find(" element ") != std::string::npos)
            lines.push_back(line);
    }
    REQUIRE(start == commands.size()); // every command ends its line
    return lines;
}

FourTuple v4(std::uint16_t local_port)
{
    return {ip("198.51.100.10"), 80, ip("192.0.2.2"), local_port};
}

FourTuple v6(std::uint16_t local_port)
{
    return {ip("2001:db8::10"), 443, ip("2001:db8::2"), local_port};
}

} // namespace

TEST_CASE("bypass: one element after the table, made again in the same transaction")
{
    const std::string commands = bypass_add_commands({{v4(40000), 3000ms}});
    // Idempotent: add, never create, and the chain rebuilt to exactly its two rules.
    CHECK(commands.rfind("add table inet vipcheck\n", 0) == 0);
    CHECK(commands.find("create ") == std::string::npos);
    CHECK(commands.find("flush chain inet vipcheck prerouting\n") != std::string::npos);
    CHECK(commands.find("@http4 drop\n") != std::string::npos);
    CHECK(commands.find("@http6 drop\n") != std::string::npos);
    CHECK(element_lines(commands) ==
          std::vector<std::string>{
              "add element inet vipcheck http4 { 198.51.100.10 . 80 . 192.0.2.2 . 40000 timeout 3000ms }"});
}

TEST_CASE("bypass: a turn's elements in one command per family, each with its own timeout")
{
    const std::string commands =
        bypass_add_commands({{v4(40000), 2500ms}, {v6(40001), 3001ms}, {v4(40002), 200ms}, {v6(40003), 1000ms}});
    CHECK(element_lines(commands) ==
          std::vector<std::string>{"add element inet vipcheck http4 { 198.51.100.10 . 80 . 192.0.2.2 . 40000 timeout "
                                   "2500ms, 198.51.100.10 . 80 . 192.0.2.2 . 40002 timeout 1000ms }",
                                   "add element inet vipcheck http6 { 2001:db8::10 . 443 . 2001:db8::2 . 40001 timeout "
                                   "3001ms, 2001:db8::10 . 443 . 2001:db8::2 . 40003 timeout 1000ms }"});
}

TEST_CASE("bypass: the table alone when no element is due")
{
    const std::string commands = bypass_add_commands({});
    CHECK(commands.rfind("add table inet vipcheck\n", 0) == 0);
    CHECK(element_lines(commands).empty());
}

TEST_CASE("bypass: the ended connections' elements deleted in one transaction, the table left alone")
{
    CHECK(bypass_delete_commands({v6(40001), v4(40000), v4(40002)}) ==
          "delete element inet vipcheck http4 { 198.51.100.10 . 80 . 192.0.2.2 . 40000, "
          "198.51.100.10 . 80 . 192.0.2.2 . 40002 }\n"
          "delete element inet vipcheck http6 { 2001:db8::10 . 443 . 2001:db8::2 . 40001 }\n");
    CHECK(bypass_delete_commands({}).empty());
}

TEST_CASE("bypass: a director without CAP_NET_ADMIN is told the VIP and the fix")
{
    const std::string text = bypass_not_permitted(ip("198.51.100.10"), "run it as root");
    CHECK(text.find("does not hold the VIP 198.51.100.10") != std::string::npos);
    CHECK(text.find("CAP_NET_ADMIN: run it as root") != std::string::npos);
}
