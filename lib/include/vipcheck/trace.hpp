// The -v step-by-step trace on stderr, each step stamped with the time since start.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace vipcheck {

class Trace {
public:
    Trace(std::string tool, bool enabled)
        : tool_(std::move(tool)), enabled_(enabled), start_(std::chrono::steady_clock::now())
    {
    }
    bool enabled() const { return enabled_; }

    template <typename... Args>
    void step(std::string_view stage, fmt::format_string<Args...> format, Args&&... args) const
    {
        if (enabled_)
            write(stage, fmt::format(format, std::forward<Args>(args)...));
    }

private:
    void write(std::string_view stage, const std::string& text) const;

    std::string tool_;
    bool enabled_;
    std::chrono::steady_clock::time_point start_;
};

} // namespace vipcheck
