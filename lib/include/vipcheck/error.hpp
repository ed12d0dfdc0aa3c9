// Local problems (bad input, no route, no privilege) travel as one exception type,
// caught once in each main and turned into verdict `error` with exit status 1.
#pragma once

#include <stdexcept>
#include <string>

namespace vipcheck {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A system call failed: the message names what we tried and errno's text.
class SystemError : public Error {
public:
    SystemError(const std::string& what, int errnum);
    int errnum() const { return errnum_; }

private:
    int errnum_;
};

[[noreturn]] void throw_system_error(const std::string& what, int errnum);

} // namespace vipcheck
