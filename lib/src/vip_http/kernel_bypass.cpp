#include "vip_http/kernel_bypass.hpp"

#include <nftables/libnftables.h>
#include <sys/capability.h>

#include <fmt/format.h>

#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

// One table shared by every run and by vipcheckd, rebuilt in the same transaction that
// adds elements, so that concurrent users always leave exactly these two rules, and a
// table someone deleted comes back. priority raw (-300): before conntrack, which would
// otherwise remember the dropped segments.
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

// `verb element inet vipcheck SET { a, b }` for each family that has elements.
template <typename Item, typename Tuple, typename Text>
std::string element_commands(const char* verb, const std::vector<Item>& items, Tuple tuple, Text text)
{
    std::string out;
    for (const bool v4 : {true, false}) {
        std::string list;
        for (const Item& item : items)
            if (tuple(item).remote.is_v4() == v4)
                list += (list.empty() ? "" : ", ") + text(item);
        if (!list.empty())
            out += fmt::format("{} element inet vipcheck {} {{ {} }}\n", verb, v4 ? "http4" : "http6", list);
    }
    return out;
}

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

} // namespace

std::string bypass_add_commands(const std::vector<BypassElement>& adds)
{
    return table_commands + element_commands(
                                "add", adds, [](const BypassElement& e) -> const FourTuple& { return e.tuple; },
                                [](const BypassElement& e) {
                                    return fmt::format("{} timeout {}ms", element(e.tuple),
                                                       std::max<long long>(1000, e.lifetime.count()));
                                });
}

std::string bypass_delete_commands(const std::vector<FourTuple>& removals)
{
    return element_commands(
        "delete", removals, [](const FourTuple& t) -> const FourTuple& { return t; }, element);
}

std::string bypass_not_permitted(const IpAddress& vip, const std::string& fix)
{
    return fmt::format("this director does not hold the VIP {}: its kernel would reset the realserver's answer, and "
                       "keeping it out (an nftables rule) needs CAP_NET_ADMIN: {}",
                       vip.str(), fix);
}

void KernelBypass::Deleter::operator()(nft_ctx* c) const
{
    nft_ctx_free(c);
}

KernelBypass::KernelBypass(std::string not_permitted) : not_permitted_(std::move(not_permitted))
{
    // Asked first: libnftables would also print its own complaint on stderr.
    if (!effective_net_admin())
        throw Error(not_permitted_);
    ctx_.reset(nft_ctx_new(NFT_CTX_DEFAULT));
    if (!ctx_)
        throw Error("libnftables could not start");
    nft_ctx_buffer_output(ctx_.get());
    nft_ctx_buffer_error(ctx_.get());
    run(table_commands, "the rule that keeps this director's kernel out of the connection");
}

void KernelBypass::run(const std::string& commands, const char* what)
{
    if (nft_run_cmd_from_buffer(ctx_.get(), commands.c_str()) == 0)
        return;
    const std::string why = nft_ctx_get_error_buffer(ctx_.get());
    if (why.find("Operation not permitted") != std::string::npos)
        throw Error(not_permitted_);
    throw Error(fmt::format("nftables refused {}: {}", what, why.substr(0, why.find('\n'))));
}

void KernelBypass::add(const std::vector<BypassElement>& adds)
{
    run(bypass_add_commands(adds), "the elements that keep this director's kernel out of the connections");
}

std::size_t KernelBypass::remove(const std::vector<FourTuple>& removals) noexcept
{
    if (removals.empty())
        return 0;
    try {
        run(bypass_delete_commands(removals), "the deletion");
        return removals.size();
    } catch (const std::exception&) {
    }
    std::size_t deleted = 0;
    for (const FourTuple& t : removals) {
        try {
            run(bypass_delete_commands({t}), "the deletion");
            ++deleted;
        } catch (const std::exception&) {
        }
    }
    return deleted;
}

} // namespace vipcheck
