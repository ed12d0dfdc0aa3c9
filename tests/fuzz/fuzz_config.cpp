// libFuzzer target: any bytes as vipcheckd's configuration file. The YAML is read by
// libyaml, a C library, into our tree, and every value is checked by our own rules:
// whatever the text, the answer is a configuration or a ConfigError (an Error) naming
// the line, never another exception, a crash or a leak.
#include <cstdint>
#include <string>

#include "daemon/daemon.hpp"
#include "daemon/daemon_config.hpp"
#include "vipcheck/error.hpp"

using namespace vipcheck;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const DaemonConfig config = parse_daemon_config(text, "fuzz.yaml");
        (void)describe_config(config);
    } catch (const Error&) {
    }
    return 0;
}
