// vip-http-check: does this realserver serve HTTP(S) correctly on the VIP? See vip-http-check(8).
#include "vip_http/vip_http.hpp"

int main(int argc, char** argv)
{
    return vipcheck::vip_http_main(argc, argv);
}
