#include "vipcheck/trace.hpp"

namespace vipcheck {

void Trace::write(std::string_view stage, const std::string& text) const
{
    const std::chrono::duration<double, std::milli> since = std::chrono::steady_clock::now() - start_;
    fmt::print(stderr, "{}: [{:8.3f} ms] {:<8} {}\n", tool_, since.count(), stage, text);
}

} // namespace vipcheck
