// The TCP SYN probe: a SYN to VIP:PORT addressed to the realserver's MAC, shaped like a
// Linux client's. A SYN-ACK that acknowledges our ISN proves `up` (something on that
// realserver accepts connections on the VIP); an RST for it proves `port-closed`.
#pragma once

#include "vipcheck/probe.hpp"

namespace vipcheck {

class SynProbe final : public ProbeKind {
public:
    std::string_view expected_reply() const override { return "SYN-ACK"; }
    std::string capture_filter(const ProbeContext& c) const override;
    Frame build(FrameBuilder& b, const ProbeContext& c, int attempt) const override;
    std::optional<Evidence> classify(const CapturedFrame& f, const ProbeContext& c) const override;
    std::optional<NonceKey> nonce_key(const ProbeContext& c) const override { return NonceKey{6, c.nonce.source_port}; }
    // An RST right after the SYN-ACK: the realserver drops its half-open connection
    // before the application could ever accept it.
    std::vector<Frame> after(FrameBuilder& b, const ProbeContext& c, const Evidence& e) const override;
    // "port" and "tcp_flags" in every JSON object, so its shape does not depend on the
    // verdict.
    std::vector<Field> report_fields(const ProbeContext& c, const Evidence* e) const override;

    // The headers build() and after() send, exposed for the unit tests.
    static TcpHeader syn(const ProbeContext& c, int attempt);
    static TcpHeader reset(const ProbeContext& c);
    // TSval of attempt k: the only per-attempt field a SYN-ACK echoes back.
    static std::uint32_t timestamp(const ProbeContext& c, int attempt);
};

} // namespace vipcheck
