// keepalived's view of vipcheckd: one file per target, DIR/NAME, holding 0 when the
// target is up and 1 otherwise, as a FILE_CHECK / track_file of weight 0 reads it.
// See vipcheckd(8), --state-dir.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace vipcheck {

// Replaces DIR/NAME atomically (a temporary file in DIR, then rename), so a reader
// never sees a half-written value. Throws Error naming the file.
void write_state_file(const std::string& dir, const std::string& name, bool up);

// The files of one state directory and what each holds, so that a file is written
// only when its value changes.
class StateFiles {
public:
    explicit StateFiles(std::string dir) : dir_(std::move(dir)) {}

    // At start, every target's file says 1 (not proven) before anything reads it. A
    // directory that cannot be written is a start-up error (throws Error): keepalived
    // would otherwise go on reading whatever the files held before.
    void start(const std::vector<std::string>& names);
    // After a reload: a new or changed target is not proven yet (1); a removed one is
    // 1 for good, since keepalived keeps a file's last value for as long as it reads it.
    void adopt(const std::vector<std::string>& started, const std::vector<std::string>& removed);
    // A result. A write that fails is reported on stderr and tried again with the next
    // result; keepalived meanwhile reads the previous value.
    void set(const std::string& name, bool up);

private:
    void write(const std::string& name, bool up);

    std::string dir_;
    std::map<std::string, bool> holds_; // name -> up, as the file says now
};

} // namespace vipcheck
