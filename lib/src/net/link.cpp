#include "vipcheck/link.hpp"

#include <pcap/pcap.h>

#include <algorithm>

#include <fmt/format.h>

#include "vipcheck/error.hpp"
#include "vipcheck/privilege.hpp"

namespace vipcheck {

void Link::Closer::operator()(pcap* p) const
{
    pcap_close(p);
}

Link::Link(const InterfaceInfo& interface, const std::string& filter, LinkBuffers buffers)
    : ifname_(interface.name), ifindex_(interface.index)
{
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_.reset(pcap_create(ifname_.c_str(), errbuf));
    if (!pcap_)
        throw Error(fmt::format("cannot capture on {}: {}", ifname_, errbuf));
    pcap_t* p = pcap_.get();
    pcap_set_snaplen(p, buffers.snapshot);
    pcap_set_promisc(p, 0);
    if (buffers.batch.count() == 0)
        pcap_set_immediate_mode(p, 1);
    else
        pcap_set_timeout(p, static_cast<int>(buffers.batch.count()));
    pcap_set_buffer_size(p, buffers.ring);
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
    const int rc = pcap_activate(p);
    if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED)
        throw Error(fmt::format("no permission to capture on {}: {}", ifname_, net_raw_hint()));
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
        throw Error(fmt::format("no interface '{}' to capture on", ifname_));
    if (rc == PCAP_ERROR_IFACE_NOT_UP)
        throw Error(fmt::format("interface {} is down (ip link set {} up)", ifname_, ifname_));
    if (rc < 0)
        throw Error(fmt::format("cannot capture on {}: {}", ifname_, pcap_geterr(p)));
    if (pcap_datalink(p) != DLT_EN10MB)
        throw Error(fmt::format("interface {} is not Ethernet", ifname_));
    if (pcap_setdirection(p, PCAP_D_IN) < 0)
        throw Error(fmt::format("cannot capture inbound only on {}: {}", ifname_, pcap_geterr(p)));
    set_filter(filter);
    if (pcap_setnonblock(p, 1, errbuf) < 0)
        throw Error(fmt::format("cannot make the capture non-blocking: {}", errbuf));
    fd_ = pcap_get_selectable_fd(p);
    if (fd_ < 0)
        throw Error(fmt::format("capture on {} has no pollable descriptor", ifname_));
}

void Link::set_filter(const std::string& filter)
{
    pcap_t* p = pcap_.get();
    bpf_program program{};
    if (pcap_compile(p, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) < 0)
        throw Error(fmt::format("bad capture filter '{}': {}", filter, pcap_geterr(p)));
    const int set = pcap_setfilter(p, &program);
    pcap_freecode(&program);
    if (set < 0)
        throw Error(fmt::format("cannot install capture filter on {}: {}", ifname_, pcap_geterr(p)));
}

void Link::send(const Frame& frame)
{
    if (pcap_inject(pcap_.get(), frame.data(), frame.size()) < 0) {
        const std::string why = pcap_geterr(pcap_.get());
        if (why.find("Operation not permitted") != std::string::npos)
            throw Error(fmt::format("no permission to send on {}: {}", ifname_, net_raw_hint()));
        throw Error(fmt::format("cannot send on {}: {}", ifname_, why));
    }
}

void Link::drain(const std::function<void(Bytes, TimePoint)>& on_frame)
{
    // The kernel stamps a frame with the wall clock; the loops keep steady time. One pair
    // of readings per drain maps one onto the other.
    struct Sink {
        const std::function<void(Bytes, TimePoint)>* on_frame;
        TimePoint steady;
        std::chrono::system_clock::time_point wall;
    } sink{&on_frame, Clock::now(), std::chrono::system_clock::now()};
    auto callback = [](u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
        const auto& s = *reinterpret_cast<Sink*>(user);
        // With nanosecond precision, tv_usec holds nanoseconds.
        const auto stamped = std::chrono::system_clock::time_point(std::chrono::duration_cast<
            std::chrono::system_clock::duration>(std::chrono::seconds(h->ts.tv_sec) + std::chrono::nanoseconds(h->ts.tv_usec)));
        const TimePoint arrival = s.steady - std::chrono::duration_cast<Clock::duration>(s.wall - stamped);
        // A frame that came during the drain is later than its first reading: only a
        // wall clock stepped since would put it past now.
        (*s.on_frame)(Bytes(bytes, h->caplen), arrival <= s.steady ? arrival : std::min(arrival, Clock::now()));
    };
    if (pcap_dispatch(pcap_.get(), -1, callback, reinterpret_cast<u_char*>(&sink)) == PCAP_ERROR)
        throw Error(fmt::format("capture on {} failed: {}", ifname_, pcap_geterr(pcap_.get())));
}

} // namespace vipcheck
