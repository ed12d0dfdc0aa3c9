// Uses a little of the public API, so a broken header set, a missing symbol or a
// wrong library fails to build, link or run; prints what the test compares.
#include <vipcheck/options.hpp>
#include <vipcheck/verdict.hpp>
#include <vipcheck/version.hpp>

#include <cstdio>
#include <string>

int main()
{
    const auto d = vipcheck::parse_duration("300ms");
    if (!d)
        return 1;
    std::printf("vipcheck %s %s %s\n", vipcheck::version_string, vipcheck::format_duration(*d).c_str(),
                std::string(vipcheck::token(vipcheck::Verdict::VipMissing)).c_str());
    return 0;
}
