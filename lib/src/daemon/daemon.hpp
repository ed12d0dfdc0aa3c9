// vipcheckd: many VIP probes from one resident process (or one round with --once),
// reported as lines or NDJSON, keepalived state files and Prometheus metrics.
#pragma once

namespace vipcheck {

int vipcheckd_main(int argc, const char* const* argv);

} // namespace vipcheck
