// libFuzzer target: vip-http-check's user-space TCP fed with whatever segments, sends and
// clock steps the bytes say. The segments carry this connection's addresses, ports and a
// correct checksum, so they get past the glue's filter and into lwIP, whose assertions
// abort: a crash, a sanitizer report, or a frame that is not this connection's leaving
// is a finding.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "vipcheck/packet.hpp"
#include "vip_http/user_tcp.hpp"

using namespace vipcheck;

namespace {

TcpFlow flow()
{
    TcpFlow f;
    f.local_mac = *MacAddress::parse("02:00:00:00:00:02");
    f.remote_mac = *MacAddress::parse("02:00:00:00:00:11");
    f.local = *IpAddress::parse("192.0.2.2");
    f.remote = *IpAddress::parse("198.51.100.10");
    f.local_port = 40000;
    f.remote_port = 80;
    f.isn = 0x01020304;
    f.ttl = 1;
    return f;
}

// An Ethernet/IPv4 frame from the realserver to us around `tcp` (header and data as the
// fuzzer wrote them, ports forced to this connection's, checksum made right).
std::vector<std::uint8_t> segment(const TcpFlow& f, std::vector<std::uint8_t> tcp)
{
    if (tcp.size() < 20)
        tcp.resize(20, 0);
    tcp[0] = static_cast<std::uint8_t>(f.remote_port >> 8);
    tcp[1] = static_cast<std::uint8_t>(f.remote_port);
    tcp[2] = static_cast<std::uint8_t>(f.local_port >> 8);
    tcp[3] = static_cast<std::uint8_t>(f.local_port);
    std::vector<std::uint8_t> frame(f.local_mac.data(), f.local_mac.data() + 6);
    frame.insert(frame.end(), f.remote_mac.data(), f.remote_mac.data() + 6);
    frame.push_back(0x08);
    frame.push_back(0x00);
    const std::size_t total = 20 + tcp.size();
    std::uint8_t ip[20] = {0x45, 0, static_cast<std::uint8_t>(total >> 8), static_cast<std::uint8_t>(total), 0, 1, 0x40,
                           0, 64, 6, 0, 0};
    std::memcpy(ip + 12, f.remote.data(), 4);
    std::memcpy(ip + 16, f.local.data(), 4);
    const std::uint16_t ip_sum = checksum_fold(checksum_add(Bytes(ip, 20)));
    ip[10] = static_cast<std::uint8_t>(ip_sum >> 8);
    ip[11] = static_cast<std::uint8_t>(ip_sum);
    IpPacket pseudo;
    pseudo.source = f.remote;
    pseudo.destination = f.local;
    pseudo.protocol = 6;
    tcp[16] = tcp[17] = 0;
    const std::uint16_t sum = checksum_fold(checksum_add(Bytes(tcp), pseudo_header_sum(pseudo, tcp.size())));
    tcp[16] = static_cast<std::uint8_t>(sum >> 8);
    tcp[17] = static_cast<std::uint8_t>(sum);
    frame.insert(frame.end(), ip, ip + 20);
    frame.insert(frame.end(), tcp.begin(), tcp.end());
    return frame;
}

void check_output(const TcpFlow& f, UserTcp& tcp)
{
    for (const auto& frame : tcp.take_frames()) {
        const auto eth = parse_ethernet(frame);
        const auto ip = eth ? parse_ipv4(eth->payload) : std::nullopt;
        if (!ip || !(eth->destination == f.remote_mac) || !(ip->destination == f.remote) || ip->ttl != f.ttl ||
            ip->protocol != 6 || load16(&ip->payload[0]) != f.local_port)
            std::abort(); // something else than this connection's segment left
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const TcpFlow f = flow();
    UserTcp::TimePoint now{};
    LwipStack stack(now); // one per input: the next input starts from a clean lwIP
    UserTcp tcp(stack, f);
    check_output(f, tcp);
    // Each step: an operation byte, a length byte, then that many bytes.
    while (size >= 2) {
        const std::uint8_t op = data[0];
        const std::size_t length = std::min<std::size_t>(data[1] * 4u, size - 2);
        const std::vector<std::uint8_t> chunk(data + 2, data + 2 + length);
        data += 2 + length;
        size -= 2 + length;
        switch (op % 5) {
        case 0:
        case 1:
            tcp.on_frame(Bytes(segment(f, chunk)));
            break;
        case 2:
            now += std::chrono::milliseconds(op);
            tcp.on_timer(now);
            break;
        case 3:
            tcp.send(Bytes(chunk));
            tcp.take_received();
            break;
        default:
            if (op & 0x80)
                tcp.abort();
            else
                tcp.finish_sending();
            break;
        }
        check_output(f, tcp);
    }
    return 0;
}
