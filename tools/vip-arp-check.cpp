// vip-arp-check: does this realserver answer ARP for the VIP, or announce the VIP as
// its ARP sender address? See vip-arp-check(8).
#include "vipcheck/arp_leak.hpp"
#include "vipcheck/tool.hpp"

int main(int argc, char** argv)
{
    const vipcheck::ToolSpec spec{"vip-arp-check",
                                  "Prove from the director that one realserver neither answers ARP / neighbour "
                                  "solicitations for the VIP nor announces the VIP as its sender address.",
                                  vipcheck::PortUse::None, vipcheck::arp_check_options};
    return vipcheck::vip_probe_main(argc, argv, spec, vipcheck::ArpLeakProbe{});
}
