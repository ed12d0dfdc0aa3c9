// The ICMP (and ICMPv6) echo probe: an echo request to the VIP at the realserver's
// MAC; an echo reply from the VIP carrying our id, sequence and cookie proves `up`.
#pragma once

#include "vipcheck/probe.hpp"

namespace vipcheck {

class EchoProbe final : public ProbeKind {
public:
    std::string_view expected_reply() const override { return "echo reply"; }
    std::string capture_filter(const ProbeContext& c) const override;
    Frame build(FrameBuilder& b, const ProbeContext& c, int attempt) const override;
    std::optional<Evidence> classify(const CapturedFrame& f, const ProbeContext& c) const override;
    std::optional<NonceKey> nonce_key(const ProbeContext& c) const override { return NonceKey{1, c.nonce.id}; }

    // The echo payload: the cookie, then zeros up to the Ethernet minimum.
    static std::vector<std::uint8_t> payload(const ProbeContext& c);
};

} // namespace vipcheck
