// vipcheckd: many VIP probes from one resident process. See vipcheckd(8).
#include "daemon/daemon.hpp"

int main(int argc, char** argv)
{
    return vipcheck::vipcheckd_main(argc, argv);
}
