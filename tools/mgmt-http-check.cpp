// mgmt-http-check: is the application at the realserver's management address healthy?
// See mgmt-http-check(8).
#include "http/http_check.hpp"

int main(int argc, char** argv)
{
    return vipcheck::mgmt_http_main(argc, argv);
}
