// vip-syn-check: does this realserver accept TCP connections on VIP:PORT? See vip-syn-check(8).
#include "vipcheck/tcp_syn.hpp"
#include "vipcheck/tool.hpp"

int main(int argc, char** argv)
{
    const vipcheck::ToolSpec spec{"vip-syn-check",
                                  "Prove from the director that one realserver accepts TCP connections on VIP:PORT.",
                                  vipcheck::PortUse::Required};
    return vipcheck::vip_probe_main(argc, argv, spec, vipcheck::SynProbe{});
}
