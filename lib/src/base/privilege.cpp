#include "vipcheck/privilege.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <filesystem>
#include <fmt/format.h>
#include <memory>

#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

struct CapFree {
    void operator()(void* p) const { cap_free(p); }
};
using Caps = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

// A path pasted into a shell must stay one word.
std::string shell_quote(const std::string& s)
{
    if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@") ==
                          std::string::npos)
        return s;
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

bool file_has_net_raw(const std::string& path)
{
    Caps caps(cap_get_file(path.c_str()));
    if (!caps)
        return false;
    cap_flag_value_t permitted = CAP_CLEAR;
    cap_get_flag(caps.get(), CAP_NET_RAW, CAP_PERMITTED, &permitted);
    return permitted == CAP_SET;
}

} // namespace

void drop_capabilities(KeptCapability kept)
{
    // First, so that even a failure below leaves nothing able to gain privilege by exec.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        throw_system_error("cannot set no_new_privs", errno);
    // Empty permitted and inheritable sets also empty the ambient set: the kernel keeps
    // ambient within both (lab-capabilities starts a probe with an ambient CAP_NET_RAW).
    // No cap_reset_ambient(): it asks the kernel about each of ~41 capabilities first,
    // 0.1 ms of every check on a VM, where system calls are dear.
    Caps left(cap_init());
    if (!left)
        throw_system_error("cap_init", errno);
    if (kept == KeptCapability::NetAdmin) {
        const cap_value_t net_admin[] = {CAP_NET_ADMIN};
        if (cap_set_flag(left.get(), CAP_EFFECTIVE, 1, net_admin, CAP_SET) < 0 ||
            cap_set_flag(left.get(), CAP_PERMITTED, 1, net_admin, CAP_SET) < 0)
            throw_system_error("cap_set_flag", errno);
    }
    // Lowering one's own sets needs no privilege, so this fails only on a broken kernel
    // (or, keeping CAP_NET_ADMIN, on a process that never had it: the caller asks first).
    if (cap_set_proc(left.get()) < 0)
        throw_system_error("cannot drop capabilities", errno);
}

std::string net_raw_hint()
{
    std::error_code ec;
    const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    if (ec || self.empty())
        return "raw frames need CAP_NET_RAW: run as root, or give this binary the capability once, as root: "
               "setcap cap_net_raw+ep PATH-OF-THIS-BINARY";
    if (file_has_net_raw(self)) {
        // The file is right; something between it and the process took the grant away.
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
            return fmt::format("{} carries cap_net_raw+ep, but its parent set no_new_privs (e.g. systemd "
                               "NoNewPrivileges=yes), which ignores file capabilities: run it without that "
                               "setting, or as root",
                               self);
        if (CAP_IS_SUPPORTED(CAP_NET_RAW) && cap_get_bound(CAP_NET_RAW) == 0)
            return fmt::format("{} carries cap_net_raw+ep, but CAP_NET_RAW is not in this process's bounding set "
                               "(e.g. systemd CapabilityBoundingSet=): allow CAP_NET_RAW there",
                               self);
        struct statvfs fs {};
        if (statvfs(self.c_str(), &fs) == 0 && (fs.f_flag & ST_NOSUID))
            return fmt::format("{} carries cap_net_raw+ep, but its filesystem is mounted nosuid, which ignores "
                               "file capabilities: install it on a filesystem without nosuid",
                               self);
        return fmt::format("{} carries cap_net_raw+ep, but the kernel did not grant it (a user namespace?): run "
                           "as root",
                           self);
    }
    return fmt::format("raw frames need CAP_NET_RAW: run as root, or give this binary the capability once, as "
                       "root: setcap cap_net_raw+ep {}",
                       shell_quote(self));
}

} // namespace vipcheck
