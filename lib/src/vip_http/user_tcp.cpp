#include "vip_http/user_tcp.hpp"

#include <lwip/init.h>
#include <lwip/ip.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

constexpr std::uint8_t tcp_protocol = 6;

} // namespace

bool settle_tcp_checksum(const IpPacket& ip, std::uint8_t* segment, std::size_t length, bool& was_partial)
{
    was_partial = false;
    if (length < 20)
        return false;
    const std::uint32_t pseudo = pseudo_header_sum(ip, length);
    if (checksum_fold(checksum_add(Bytes(segment, length), pseudo)) == 0)
        return true;
    // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, not complemented,
    // for the hardware (or GRO's resegmentation) to finish.
    if (load16(segment + 16) != static_cast<std::uint16_t>(~checksum_fold(pseudo)))
        return false;
    segment[16] = segment[17] = 0;
    const std::uint16_t sum = checksum_fold(checksum_add(Bytes(segment, length), pseudo));
    segment[16] = static_cast<std::uint8_t>(sum >> 8);
    segment[17] = static_cast<std::uint8_t>(sum);
    was_partial = true;
    return true;
}

bool in_receive_space(std::uint32_t rcv_nxt, std::uint32_t seq)
{
    const std::uint32_t behind = rcv_nxt - seq;
    const std::uint32_t ahead = seq - rcv_nxt;
    return behind < 0xffff || ahead < (1u << 30);
}

// lwIP's C callbacks; `arg` is the UserTcp.
struct UserTcp::Callbacks {
    static err_t connected(void* arg, tcp_pcb*, err_t)
    {
        auto* tcp = static_cast<UserTcp*>(arg);
        tcp->established_ = tcp->ever_established_ = true;
        return ERR_OK;
    }

    static err_t received(void* arg, tcp_pcb* pcb, pbuf* p, err_t)
    {
        auto* tcp = static_cast<UserTcp*>(arg);
        if (!p) {
            tcp->peer_finished_ = true;
            return ERR_OK;
        }
        const std::size_t at = tcp->received_.size();
        tcp->received_.resize(at + p->tot_len);
        pbuf_copy_partial(p, tcp->received_.data() + at, p->tot_len, 0);
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    }

    // lwIP has freed the pcb.
    static void failed(void* arg, err_t err)
    {
        auto* tcp = static_cast<UserTcp*>(arg);
        tcp->pcb_ = nullptr;
        tcp->established_ = false;
        switch (err) {
        case ERR_RST:
            tcp->end_ = tcp->ever_established_ ? TcpEnd::Reset : TcpEnd::Refused;
            break;
        case ERR_CLSD:
            tcp->end_ = TcpEnd::Closed;
            break;
        default:
            tcp->end_ = tcp->aborting_ ? TcpEnd::Aborted : TcpEnd::GaveUp;
            break;
        }
    }
};

UserTcp::UserTcp(LwipStack& stack, const TcpFlow& flow) : stack_(stack), flow_(flow)
{
    netif_ = stack_.attach(flow.local, flow.local_port, flow.remote, flow.remote_port, flow.mtu, *this);
    pcb_ = tcp_new_ip_type(flow.local.is_v4() ? IPADDR_TYPE_V4 : IPADDR_TYPE_V6);
    if (!pcb_) {
        release();
        throw Error("lwIP could not allocate a TCP connection");
    }
    pcb_->ttl = flow.ttl;
    tcp_arg(pcb_, this);
    tcp_recv(pcb_, &Callbacks::received);
    tcp_err(pcb_, &Callbacks::failed);
    tcp_bind_netif(pcb_, netif_);
    ip_addr_t local{};
    if (flow.local.is_v4()) {
        IP_SET_TYPE_VAL(local, IPADDR_TYPE_V4);
        ip_2_ip4(&local)->addr = flow.local.v4_network_order();
    } else {
        IP_SET_TYPE_VAL(local, IPADDR_TYPE_V6);
        std::memcpy(ip_2_ip6(&local)->addr, flow.local.data(), 16);
        ip6_addr_clear_zone(ip_2_ip6(&local));
    }
    err_t err = tcp_bind(pcb_, &local, flow.local_port);
    if (err == ERR_OK)
        err = static_cast<err_t>(stack_.connect_with_isn(pcb_, flow.remote, flow.remote_port, flow.isn, &Callbacks::connected));
    if (err != ERR_OK) {
        release();
        throw Error(fmt::format("lwIP could not open the connection to {} port {} (error {})", flow.remote.str(),
                                flow.remote_port, static_cast<int>(err)));
    }
    const std::uint32_t isn = pcb_->lastack; // the SYN's sequence number
    if (isn != flow.isn) {
        // Never sent: the SYN with a guessable ISN stays here.
        release();
        throw Error(fmt::format("liblwip chose ISN {} instead of this run's random one: this build of lwIP does not "
                                "compute its ISN as 2.1.3 does",
                                isn));
    }
}

UserTcp::~UserTcp()
{
    release();
}

void UserTcp::release()
{
    if (pcb_) {
        tcp_arg(pcb_, nullptr);
        tcp_recv(pcb_, nullptr);
        tcp_err(pcb_, nullptr);
        tcp_abort(pcb_);
        pcb_ = nullptr;
    }
    if (netif_) {
        stack_.detach(flow_.local, flow_.local_port, flow_.remote, flow_.remote_port);
        netif_ = nullptr;
    }
    out_.clear();
}

bool UserTcp::mine(const IpPacket& ip, Bytes tcp) const
{
    return ip.protocol == tcp_protocol && tcp.size() >= 20 && ip.source == flow_.remote &&
           ip.destination == flow_.local && load16(&tcp[0]) == flow_.remote_port &&
           load16(&tcp[2]) == flow_.local_port;
}

bool UserTcp::on_frame(Bytes frame)
{
    const auto eth = parse_ethernet(frame);
    if (!eth || !(eth->source == flow_.remote_mac) || !(eth->destination == flow_.local_mac))
        return false;
    std::optional<IpPacket> ip;
    if (eth->type == ethertype_ipv4 && flow_.local.is_v4())
        ip = parse_ipv4(eth->payload);
    else if (eth->type == ethertype_ipv6 && !flow_.local.is_v4())
        ip = parse_ipv6(eth->payload);
    if (!ip || !mine(*ip, ip->payload))
        return false;
    if (!pcb_)
        return true; // ours, but nothing is left to take it
    const std::size_t header = ip->header.size();
    const std::size_t length = header + ip->payload.size();
    if (length > 0xffff)
        return true;
    pbuf* p = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(length), PBUF_RAM);
    if (!p)
        throw Error("out of memory for a received segment");
    auto* bytes = static_cast<std::uint8_t*>(p->payload);
    std::memcpy(bytes, ip->header.data(), length);
    bool partial = false;
    if (!settle_tcp_checksum(*ip, bytes + header, length - header, partial)) {
        pbuf_free(p);
        return true;
    }
    // Before the SYN-ACK, rcv_nxt means nothing and lwIP takes only a SYN-ACK that
    // acknowledges our SYN.
    if (pcb_->state > SYN_SENT && !in_receive_space(pcb_->rcv_nxt, load32(bytes + header + 4))) {
        pbuf_free(p);
        ++out_of_window_;
        return true;
    }
    partial_checksums_ += partial ? 1 : 0;
    ++frames_in_;
    // ip_input frees the pbuf whatever becomes of it.
    netif_->input(p, netif_);
    return true;
}

void UserTcp::output(Bytes packet)
{
    const std::optional<IpPacket> ip = flow_.local.is_v4() ? parse_ipv4(packet) : parse_ipv6(packet);
    if (!ip || !(ip->source == flow_.local) || !(ip->destination == flow_.remote) || ip->protocol != tcp_protocol ||
        ip->payload.size() < 20 || load16(&ip->payload[0]) != flow_.local_port ||
        load16(&ip->payload[2]) != flow_.remote_port) {
        ++withheld_;
        return;
    }
    Frame frame(14);
    std::memcpy(frame.data(), flow_.remote_mac.data(), 6);
    std::memcpy(frame.data() + 6, flow_.local_mac.data(), 6);
    const std::uint16_t type = flow_.local.is_v4() ? ethertype_ipv4 : ethertype_ipv6;
    frame[12] = static_cast<std::uint8_t>(type >> 8);
    frame[13] = static_cast<std::uint8_t>(type);
    frame.insert(frame.end(), packet.begin(), packet.end());
    if (frame.size() < min_frame_size)
        frame.resize(min_frame_size, 0);
    out_.push_back(std::move(frame));
    ++frames_out_;
}

std::vector<Frame> UserTcp::take_frames()
{
    return std::exchange(out_, {});
}

std::size_t UserTcp::send(Bytes data)
{
    if (!pcb_ || !established_ || fin_queued_ || data.empty())
        return 0;
    const std::size_t n = std::min<std::size_t>(data.size(), tcp_sndbuf(pcb_));
    if (n == 0 || tcp_write(pcb_, data.data(), static_cast<u16_t>(std::min<std::size_t>(n, 0xffff)),
                            TCP_WRITE_FLAG_COPY) != ERR_OK)
        return 0;
    tcp_output(pcb_);
    return std::min<std::size_t>(n, 0xffff);
}

std::string UserTcp::take_received()
{
    return std::exchange(received_, {});
}

void UserTcp::finish_sending()
{
    if (!pcb_ || fin_queued_)
        return;
    if (!ever_established_) {
        abort();
        return;
    }
    fin_queued_ = true;
    if (tcp_shutdown(pcb_, 0, 1) == ERR_OK && pcb_)
        tcp_output(pcb_);
}

void UserTcp::abort()
{
    if (!pcb_)
        return;
    const bool time_wait = pcb_->state == TIME_WAIT;
    aborting_ = true;
    tcp_pcb* pcb = pcb_;
    // An RST unless the connection already is in TIME-WAIT; lwIP frees the pcb.
    tcp_abort(pcb);
    pcb_ = nullptr;
    established_ = false;
    if (time_wait || end_ == TcpEnd::Open)
        end_ = time_wait ? TcpEnd::Closed : TcpEnd::Aborted;
}

bool UserTcp::closed() const
{
    if (!pcb_)
        return true;
    return pcb_->state == TIME_WAIT;
}

} // namespace vipcheck
