// vipcheckd's status page: the judgement of every service's realservers for a person
// (/, HTML) and for a script (/status.json), from the service board's views
// (vipcheckd(8), STATUS PAGE). Pure formatting: the endpoint passes the views and the
// time, so the page can be tested without a daemon, a socket or a clock.
//
// A director is often cut off from the Internet, and its operator reads this page in
// an outage: the HTML is one self-contained document (inline CSS, no script, no asset
// from another host) that refreshes itself, and every state is a word as well as a
// colour.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/service_board.hpp"

namespace vipcheck {

struct StatusMeta {
    std::string version;   // vipcheckd's
    double generated = 0;  // Unix time of the page: "since" is shown relative to it
};

// Text made safe as HTML element content and as a double- or single-quoted attribute
// value: & < > " ' escaped.
std::string html_escape(std::string_view text);

// How often the HTML page reloads itself: about a round at the default interval, and
// no more than a person reading it needs.
inline constexpr int status_refresh_seconds = 5;

std::string format_status_json(const std::vector<ServiceView>& services, const StatusMeta& meta);
std::string format_status_html(const std::vector<ServiceView>& services, const StatusMeta& meta);

} // namespace vipcheck
