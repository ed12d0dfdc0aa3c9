// What a bad vipcheckd configuration file throws: one message naming the file, the line
// and what is wrong. Apart, so that the YAML reader (yaml_tree) and the configuration
// (daemon_config) both use it without including each other.
#pragma once

#include "vipcheck/error.hpp"

namespace vipcheck {

class ConfigError : public Error {
public:
    using Error::Error;
};

} // namespace vipcheck
