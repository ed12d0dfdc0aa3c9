// keepalived's view of vipcheckd: one file per target, DIR/NAME, holding 0 when the
// target is up and 1 otherwise, as a FILE_CHECK / track_file of weight 0 reads it.
#pragma once

#include <string>

namespace vipcheck {

// Replaces DIR/NAME atomically (a temporary file in DIR, then rename), so a reader
// never sees a half-written value. Throws Error naming the file.
void write_state_file(const std::string& dir, const std::string& name, bool up);

} // namespace vipcheck
