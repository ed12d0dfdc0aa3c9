// Keeps the director's own kernel out of user-space TCP connections. On a director
// that does not hold the VIP (a backup director), the realserver's SYN-ACK from the
// VIP reaches a kernel that knows no such connection, and it answers with an RST that
// kills the check. An nftables rule drops the realserver's segments of exactly such a
// connection in prerouting, before the stack sees them; the capture (a packet socket)
// still does. Each connection is an element of a set with a timeout, so a check killed
// with SIGKILL leaves nothing behind for long: the element expires by itself.
// Through libnftables; needs CAP_NET_ADMIN, at every transaction: the kernel asks the
// sender of each netlink message, not only the opener of the socket, so a context
// opened with the capability is refused once the process has dropped it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vipcheck/address.hpp"

struct nft_ctx;

namespace vipcheck {

struct FourTuple {
    IpAddress remote; // the VIP
    std::uint16_t remote_port = 0;
    IpAddress local;  // our source
    std::uint16_t local_port = 0;
};

struct BypassElement {
    FourTuple tuple;
    std::chrono::milliseconds lifetime; // its timeout in the set (at least a second)
};

// One transaction (pure, for the tests): the table made again, idempotently, then every
// element of `adds`, one command per address family.
std::string bypass_add_commands(const std::vector<BypassElement>& adds);
// One transaction deleting every element of `removals`, one command per family.
std::string bypass_delete_commands(const std::vector<FourTuple>& removals);

// What a director without CAP_NET_ADMIN is told about `vip`, ending with `fix`.
std::string bypass_not_permitted(const IpAddress& vip, const std::string& fix);

// One libnftables context for any number of transactions: vip-http-check's one
// element, or vipcheckd's elements of all the connections that start in one turn of
// its loop (a new context per element rereads the whole set, 12 ms per element with
// 1,000 in it; one context takes 1,000 in one transaction in about 10 ms).
class KernelBypass {
public:
    // Opens the context and makes the table now, so that a process without the
    // privilege hears it here, while it still holds what it has. Throws Error: the text
    // `not_permitted` when refused for want of CAP_NET_ADMIN (it should name the fix).
    explicit KernelBypass(std::string not_permitted);

    // Adds the elements in one transaction. Throws Error.
    void add(const std::vector<BypassElement>& adds);
    // Deletes the elements in one transaction. One that has expired already fails the
    // whole transaction, so then each is deleted alone and what is gone is let be;
    // never throws (what cannot be deleted expires). Returns how many were deleted.
    std::size_t remove(const std::vector<FourTuple>& removals) noexcept;

private:
    void run(const std::string& commands, const char* what);

    struct Deleter {
        void operator()(nft_ctx* c) const;
    };
    std::string not_permitted_;
    std::unique_ptr<nft_ctx, Deleter> ctx_;
};

} // namespace vipcheck
