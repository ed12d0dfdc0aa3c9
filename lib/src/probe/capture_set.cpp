#include "probe/capture_set.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

// The largest segment the kernel's GRO builds by default (gro_max_size 65536), and room
// for the headers before it.
constexpr int stream_snapshot = 65536 + 1024;

} // namespace

CaptureSet::CaptureSet(const Trace& trace) : trace_(trace) {}

CaptureSet::Reader::Reader(CaptureSet& set, OnFrame on_frame, OnFailure on_failure)
    : set_(set), on_frame_(std::move(on_frame)), on_failure_(std::move(on_failure))
{
    set_.readers_.push_back(this);
}

CaptureSet::Reader::~Reader()
{
    std::erase(set_.readers_, this);
}

std::string CaptureSet::combined(const std::map<std::string, std::string>& filters)
{
    if (filters.size() == 1)
        return filters.begin()->second;
    std::string all;
    for (const auto& [use, filter] : filters)
        all += (all.empty() ? "(" : " or (") + filter + ")";
    return all;
}

Link& CaptureSet::open(const InterfaceInfo& interface, const std::string& use, const std::string& filter, int ring)
{
    const auto it = captures_.find(interface.index);
    if (it == captures_.end()) {
        Capture c{std::make_unique<Link>(interface, filter, LinkBuffers{stream_snapshot, ring, block_timeout}),
                  {{use, filter}}, ring};
        trace_.step("capture", "opened on {} for {}, {} KiB ring", interface.name, use, ring / 1024);
        return *captures_.emplace(interface.index, std::move(c)).first->second.link;
    }
    Capture& c = it->second;
    const auto had = c.filters.find(use);
    if (had != c.filters.end() && had->second == filter && c.ring >= ring)
        return *c.link;
    auto filters = c.filters;
    filters[use] = filter;
    if (c.ring >= ring) {
        c.link->set_filter(combined(filters));
        trace_.step("capture", "on {} now also for {}", interface.name, use);
    } else {
        // The new capture is filtering before the old one is drained and closed: a frame
        // comes to one or both (a reader meets a duplicate as any other frame it already
        // had), none is lost between them.
        auto grown = std::make_unique<Link>(interface, combined(filters),
                                            LinkBuffers{stream_snapshot, ring, block_timeout});
        drain(interface.index, *c.link);
        c.link = std::move(grown);
        c.ring = ring;
        trace_.step("capture", "on {} opened anew for {} too, {} KiB ring", interface.name, use, ring / 1024);
    }
    c.filters = std::move(filters);
    return *c.link;
}

void CaptureSet::drain(int ifindex, Link& link)
{
    link.drain([&](Bytes bytes, TimePoint arrival) {
        const CapturedFrame frame{bytes, ifindex};
        for (Reader* r : readers_)
            r->on_frame_(frame, arrival);
    });
}

Link* CaptureSet::find(int ifindex)
{
    const auto it = captures_.find(ifindex);
    return it == captures_.end() ? nullptr : it->second.link.get();
}

Link& CaptureSet::sending(int ifindex, const std::string& ifname)
{
    Link* link = find(ifindex);
    if (!link)
        throw Error(gone(ifname));
    return *link;
}

std::string CaptureSet::gone(const std::string& ifname)
{
    return fmt::format("the capture on {} is gone", ifname);
}

void CaptureSet::poll_fds(std::vector<pollfd>& fds) const
{
    for (const auto& [ifindex, c] : captures_)
        fds.push_back({c.link->fd(), POLLIN, 0});
}

void CaptureSet::run()
{
    std::vector<std::pair<int, std::string>> failed;
    for (auto& [ifindex, c] : captures_) {
        try {
            drain(ifindex, *c.link);
        } catch (const Error& e) {
            trace_.step("capture", "{}", e.what());
            failed.emplace_back(ifindex, "capture failed: the interface went away or down");
        }
    }
    for (const auto& [ifindex, why] : failed) {
        captures_.erase(ifindex);
        for (Reader* r : readers_)
            r->on_failure_(ifindex, why);
    }
}

} // namespace vipcheck
