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

namespace vipcheck {

// The suffix of the second file; no target name may end with it (daemon_config.cpp).
inline constexpr std::string_view proven_suffix = ".proven";

class StateFiles {
public:
    explicit StateFiles(std::string dir) : dir_(std::move(dir)) {}

    // Makes both files of `name` say `up`. Both are read with every result and written
    // when either does not say so: deleted, or overwritten (keepalived's `init_file 0
    // overwrite` sets NAME.proven to 0 at its start; see above), it is right again with
    // its target's next result. Each file is replaced atomically (a temporary file, then
    // rename), so keepalived never reads half a value. Throws Error naming the file; the
    // next result tries again.
    void record(const std::string& name, bool up);

    // At start: keeps what both files of `name` say when they agree (a restart, planned
    // or not, must not empty the pool: the first result corrects them within one
    // interval), and writes down otherwise (missing, garbled, or disagreeing).
    void adopt(const std::string& name);

    // A target a reload removed: both files say down (keepalived keeps a file's last
    // value for as long as it reads it), and they are no longer watched.
    void retire(const std::string& name);

    const std::string& dir() const { return dir_; }

private:
    bool says(const std::string& name, bool up) const;
    void write(const std::string& name, bool up);

    std::string dir_;
};

} // namespace vipcheck
