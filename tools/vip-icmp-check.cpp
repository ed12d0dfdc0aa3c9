// vip-icmp-check: does this realserver answer ICMP echo for the VIP? See vip-icmp-check(8).
#include "vipcheck/icmp_echo.hpp"
#include "vipcheck/tool.hpp"

int main(int argc, char** argv)
{
    const vipcheck::ToolSpec spec{"vip-icmp-check",
                                  "Prove from the director that one realserver answers ICMP echo for the VIP.",
                                  vipcheck::PortUse::None};
    return vipcheck::vip_probe_main(argc, argv, spec, vipcheck::EchoProbe{});
}
