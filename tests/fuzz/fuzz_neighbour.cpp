// libFuzzer target: any bytes as a received frame, against the neighbour-answer test
// (ARP, plain and anonymous, and ND). Whatever it accepts must name a usable unicast MAC.
#include <cstdint>
#include <cstdlib>

#include "vipcheck/neighbour.hpp"

using namespace vipcheck;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const CapturedFrame frame{Bytes(data, size), 7};
    const MacAddress local = *MacAddress::parse("02:00:00:00:00:02");
    for (const auto& [source, target] : {std::pair{"192.0.2.2", "192.0.2.11"}, std::pair{"2001:db8::2", "2001:db8::11"}}) {
        for (bool anonymous : {false, true}) { // anonymous: the ARP-leak test's ARP probe
            const NeighbourQuery q{7, local, *IpAddress::parse(source), *IpAddress::parse(target), anonymous};
            if (auto m = neighbour_answer(frame, q))
                if (m->is_multicast() || m->is_zero() || *m == local)
                    std::abort();
        }
    }
    if (auto eth = parse_ethernet(frame.bytes))
        (void)parse_arp(eth->payload);
    return 0;
}
