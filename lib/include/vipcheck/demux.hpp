// Many runs on one capture: which run a received frame can belong to. A pure function
// of the frame, so that the daemon offers each frame to one session (by its nonce key)
// instead of to all of them; that session's classify() then decides as it always does.
#pragma once

#include <optional>
#include <vector>

#include "vipcheck/packet.hpp"
#include "vipcheck/probe.hpp"

namespace vipcheck {

// The nonce key a frame names: an echo reply's id, the id of the echo request an ICMP
// error quotes, a TCP segment's destination port, or the source port of the segment an
// ICMP error quotes. nullopt for anything else (ARP and neighbour discovery included).
std::optional<NonceKey> reply_key(Bytes frame);

// The addresses an ARP or neighbour discovery frame speaks for: the ARP sender
// address; an ND message's source and an advertisement's target. The sessions that
// watch those addresses as their VIP (the ARP-leak watch, arp_leak.hpp) get the frame.
std::vector<IpAddress> leak_subjects(Bytes frame);

// The kernel filter for every reply vipcheckd's kinds and its neighbour resolution can
// use on an interface whose MAC is `local_mac` (pcap syntax). Wider than one run's:
// the captures stay open across rounds, whose nonces differ.
std::string shared_capture_filter(const MacAddress& local_mac);

} // namespace vipcheck
