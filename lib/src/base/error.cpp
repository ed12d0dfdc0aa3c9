#include "vipcheck/error.hpp"

#include <cstring>

namespace vipcheck {

SystemError::SystemError(const std::string& what, int errnum)
    : Error(what + ": " + std::strerror(errnum)), errnum_(errnum)
{
}

void throw_system_error(const std::string& what, int errnum)
{
    throw SystemError(what, errnum);
}

} // namespace vipcheck
