#include "vipcheck/link.hpp"

#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <vector>

#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

// Enough for an ICMP error quoting a full probe or a SYN-ACK with every option: the
// filter's accept value, so the kernel copies no more than this per frame.
constexpr int snapshot_length = 512;

std::string permission_hint()
{
    return "capturing and sending raw frames needs CAP_NET_RAW: run as root, or once: "
           "setcap cap_net_raw+ep $(command -v vip-icmp-check) $(command -v vip-syn-check)";
}

// libpcap compiles the filter (its syntax is the capture_filter() contract), but the
// socket is ours. A capture handle would set up a TPACKET ring, and every ring setup
// and teardown waits for an RCU grace period (synchronize_net() in af_packet): about
// a millisecond each on an idle host, tens of them on a loaded one. A plain socket
// waits for one, when it closes; a probe's handful of frames needs no ring.
std::vector<sock_filter> compile(const std::string& filter)
{
    std::unique_ptr<pcap_t, void (*)(pcap_t*)> dead(pcap_open_dead(DLT_EN10MB, snapshot_length), pcap_close);
    if (!dead)
        throw Error("cannot set up the capture filter compiler");
    bpf_program program{};
    if (pcap_compile(dead.get(), &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) < 0)
        throw Error(fmt::format("bad capture filter '{}': {}", filter, pcap_geterr(dead.get())));
    std::vector<sock_filter> code(program.bf_len);
    static_assert(sizeof(bpf_insn) == sizeof(sock_filter));
    std::memcpy(code.data(), program.bf_insns, code.size() * sizeof(sock_filter));
    pcap_freecode(&program);
    return code;
}

} // namespace

Link::Link(const InterfaceInfo& interface, const std::string& filter)
    : ifname_(interface.name), ifindex_(interface.index)
{
    if (interface.type != ARPHRD_ETHER)
        throw Error(fmt::format("interface {} is not Ethernet", ifname_));
    if (!interface.up())
        throw Error(fmt::format("interface {} is down (ip link set {} up)", ifname_, ifname_));
    std::vector<sock_filter> code = compile(filter);

    // Protocol 0: the socket sees no frame until bind(), which comes after the
    // filter, so nothing unfiltered can queue up in between.
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) {
        if (errno == EPERM || errno == EACCES)
            throw Error(fmt::format("no permission to capture on {}: {}", ifname_, permission_hint()));
        throw_system_error(fmt::format("cannot capture on {}", ifname_), errno);
    }
    try {
        setup(code);
    } catch (...) {
        close(fd_);
        throw;
    }
}

void Link::setup(std::vector<sock_filter>& code)
{
    const sock_fprog fprog{static_cast<unsigned short>(code.size()), code.data()};
    if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0)
        throw_system_error(fmt::format("cannot install capture filter on {}", ifname_), errno);
    // Inbound only: our own probes must not come back to us as captured frames.
    const int one = 1;
    if (setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0)
        throw_system_error(fmt::format("cannot capture inbound only on {}", ifname_), errno);
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ETH_P_ALL);
    address.sll_ifindex = ifindex_;
    if (bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
        if (errno == ENODEV)
            throw Error(fmt::format("no interface '{}' to capture on", ifname_));
        throw_system_error(fmt::format("cannot capture on {}", ifname_), errno);
    }
}

Link::~Link()
{
    if (fd_ >= 0)
        close(fd_);
}

void Link::send(const Frame& frame)
{
    if (::send(fd_, frame.data(), frame.size(), 0) < 0) {
        if (errno == EPERM || errno == EACCES)
            throw Error(fmt::format("no permission to send on {}: {}", ifname_, permission_hint()));
        throw_system_error(fmt::format("cannot send on {}", ifname_), errno);
    }
}

void Link::drain(const std::function<void(Bytes)>& on_frame)
{
    std::uint8_t buffer[snapshot_length];
    // Bounded, so that a flood of matching frames cannot starve the deadline and the
    // signal check: whatever is left wakes the next poll at once.
    for (int i = 0; i < 64; ++i) {
        const ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            throw_system_error(fmt::format("capture on {} failed", ifname_), errno);
        }
        on_frame(Bytes(buffer, static_cast<std::size_t>(n)));
    }
}

} // namespace vipcheck
