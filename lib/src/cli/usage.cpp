#include "vipcheck/usage.hpp"

#include <fmt/format.h>

namespace vipcheck {

int usage_error(std::string_view tool, std::string message, bool nagios)
{
    while (!message.empty() && message.back() == '\n')
        message.pop_back();
    if (nagios)
        fmt::print("VIPCHECK UNKNOWN - {}\n", message);
    fmt::print(stderr, "{}: {} (see --help)\n", tool, message);
    return nagios ? 3 : 1;
}

std::optional<int> parse_arguments(CLI::App& app, std::string_view tool, int argc, const char* const* argv, bool nagios)
{
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return usage_error(tool, e.what(), nagios);
    }
    return std::nullopt;
}

} // namespace vipcheck
