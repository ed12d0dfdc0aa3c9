// keepalived's view of vipcheckd: two files per target in the state directory, so that
// no absence of proof reads as up (vipcheck(7), KEEPALIVED; vipcheckd(8), STATE FILES).
//
//   DIR/NAME         0 while the target is proven up, 1 otherwise: keepalived's
//                    track_file `weight 0` form, with `init_file 1` so that a file
//                    that does not exist yet (keepalived started first, vipcheckd never
//                    started, an empty /run after a reboot) keeps the realserver out.
//   DIR/NAME.proven  1 while proven up, 0 otherwise: the `weight 0 reverse` form, which
//                    keepalived reads as down once the file is deleted (a tmpfiles
//                    clean-up, rm -r /run/vipcheckd/*).
//
// Each form alone is open one way, measured with keepalived 2.2.7: the first reads a
// file deleted while keepalived runs as 0, up; the second is judged backwards when
// keepalived starts (a 1 as down, a 0 as up) and rightly only from its next change on.
// So the second file's track_file has `init_file 0 overwrite` (keepalived sets it to 0
// when it starts, the first file alone decides then) and vipcheckd's next result writes
// 1 again for a target that is up: the change from which keepalived judges it right.
// A realserver behind one FILE_CHECK of each is pooled only while both say up
// (examples/keepalived/vipcheckd-keepalived.conf, vipcheckd(8) STATE FILES).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vipcheck {

// The suffix of the second file; no target name may end with it (daemon_config.cpp).
inline constexpr std::string_view proven_suffix = ".proven";

class StateFiles {
public:
    explicit StateFiles(std::string dir) : dir_(std::move(dir)) {}

    // At start: keeps what both files of a target agree on (a restart, planned or not,
    // must not empty the pool: each target's first result corrects them), and writes
    // down where they are missing, garbled or disagree. A directory that cannot be
    // written is a start-up error (throws Error naming the file): keepalived would
    // otherwise go on reading whatever the files held before.
    void start(const std::vector<std::string>& names);

    // After a reload: a new or changed target says down until it is proven; a removed
    // one says down for good, since keepalived keeps a file's last value for as long
    // as it reads the file.
    void adopt(const std::vector<std::string>& started, const std::vector<std::string>& removed);

    // A result. Both files are read with every result and written when either does not
    // say `up`: deleted, or overwritten (keepalived's `init_file 0 overwrite` sets
    // NAME.proven to 0 at its start), a file is right again with its target's next
    // result. A write that fails is reported on stderr and tried again with the next
    // result; keepalived meanwhile reads the previous values.
    void set(const std::string& name, bool up);

private:
    bool says(const std::string& name, bool up) const;
    // Both files, each replaced atomically (a temporary file, then rename), so that
    // keepalived never reads half a value. Throws Error naming the file.
    void write(const std::string& name, bool up);
    void write_or_report(const std::string& name, bool up);

    std::string dir_;
};

} // namespace vipcheck
