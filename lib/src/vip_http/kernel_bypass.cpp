#include "vip_http/kernel_bypass.hpp"

#include <nftables/libnftables.h>
#include <sys/capability.h>

#include <fmt/format.h>

#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

// One table shared by every run, rebuilt in the same transaction that adds a run's
// element, so that concurrent runs always leave exactly these two rules. priority raw
// (-300): before conntrack, which would otherwise remember the dropped segments.
constexpr const char* table_commands = R"(add table inet vipcheck
add set inet vipcheck http4 { type ipv4_addr . inet_service . ipv4_addr . inet_service; flags timeout; }
add set inet vipcheck http6 { type ipv6_addr . inet_service . ipv6_addr . inet_service; flags timeout; }
add chain inet vipcheck prerouting { type filter hook prerouting priority raw; policy accept; }
flush chain inet vipcheck prerouting
add rule inet vipcheck prerouting ip saddr . tcp sport . ip daddr . tcp dport @http4 drop
add rule inet vipcheck prerouting ip6 saddr . tcp sport . ip6 daddr . tcp dport @http6 drop
)";

std::string element(const FourTuple& t)
{
    return fmt::format("{} . {} . {} . {}", t.remote.str(), t.remote_port, t.local.str(), t.local_port);
}

const char* set_name(const FourTuple& t)
{
    return t.remote.is_v4() ? "http4" : "http6";
}

} // namespace

std::string bypass_add_commands(const FourTuple& t, std::chrono::milliseconds lifetime)
{
    return fmt::format("{}add element inet vipcheck {} {{ {} timeout {}ms }}\n", table_commands, set_name(t),
                       element(t), std::max<long long>(1000, lifetime.count()));
}

namespace {

bool effective_net_admin()
{
    cap_t caps = cap_get_proc();
    cap_flag_value_t value = CAP_CLEAR;
    if (caps) {
        cap_get_flag(caps, CAP_NET_ADMIN, CAP_EFFECTIVE, &value);
        cap_free(caps);
    }
    return value == CAP_SET;
}

std::string no_net_admin(const FourTuple& t)
{
    return fmt::format("this director does not hold the VIP {}: its kernel would reset the realserver's answer, and "
                       "keeping it out (an nftables rule) needs CAP_NET_ADMIN: run as root or "
                       "setcap cap_net_raw,cap_net_admin+ep vip-http-check",
                       t.remote.str());
}

} // namespace

void KernelBypass::Deleter::operator()(nft_ctx* c) const
{
    nft_ctx_free(c);
}

KernelBypass::KernelBypass(const FourTuple& t, std::chrono::milliseconds lifetime)
{
    // Asked first: libnftables would also print its own complaint on stderr.
    if (!effective_net_admin())
        throw Error(no_net_admin(t));
    ctx_.reset(nft_ctx_new(NFT_CTX_DEFAULT));
    if (!ctx_)
        throw Error("libnftables could not start");
    nft_ctx_buffer_output(ctx_.get());
    nft_ctx_buffer_error(ctx_.get());
    const std::string commands = bypass_add_commands(t, lifetime);
    if (nft_run_cmd_from_buffer(ctx_.get(), commands.c_str()) != 0) {
        const std::string why = nft_ctx_get_error_buffer(ctx_.get());
        if (why.find("Operation not permitted") != std::string::npos)
            throw Error(no_net_admin(t));
        throw Error(fmt::format("nftables refused the rule that keeps this director's kernel out of the connection: {}",
                                why.substr(0, why.find('\n'))));
    }
}

} // namespace vipcheck
