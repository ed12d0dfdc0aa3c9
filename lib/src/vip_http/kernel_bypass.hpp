// Keeps the director's own kernel out of one user-space TCP connection. On a director
// that does not hold the VIP (a backup director), the realserver's SYN-ACK from the
// VIP reaches a kernel that knows no such connection, and it answers with an RST that
// kills the check. An nftables rule drops the realserver's segments of exactly this
// connection in prerouting, before the stack sees them; the capture (a packet socket)
// still does. The connection is an element of a set with a timeout, so a check killed
// with SIGKILL leaves nothing behind for long: the element expires by itself.
// Through libnftables; needs CAP_NET_ADMIN.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "vipcheck/address.hpp"

struct nft_ctx;

namespace vipcheck {

struct FourTuple {
    IpAddress remote; // the VIP
    std::uint16_t remote_port = 0;
    IpAddress local;  // our source
    std::uint16_t local_port = 0;
};

// The nftables commands, one transaction each (pure, for the tests).
std::string bypass_add_commands(const FourTuple& t, std::chrono::milliseconds lifetime);

class KernelBypass {
public:
    // Installs the element for `lifetime`. Throws Error naming CAP_NET_ADMIN when not
    // permitted.
    KernelBypass(const FourTuple& t, std::chrono::milliseconds lifetime);

private:
    struct Deleter {
        void operator()(nft_ctx* c) const;
    };
    std::unique_ptr<nft_ctx, Deleter> ctx_;
};

} // namespace vipcheck
