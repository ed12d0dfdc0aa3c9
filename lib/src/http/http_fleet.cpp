#include "http/http_fleet.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>

#include "http/http_check.hpp"
#include "vipcheck/deadline.hpp"
#include "vipcheck/error.hpp"

namespace vipcheck {

// One check in flight: mgmt-http-check's run_http_check, cut at every point where it
// would wait.
struct HttpFleet::Check {
    std::uint64_t id;
    std::shared_ptr<const HttpOptions> options;
    // Kind http's connection; the transfers use it, so it is declared before them.
    std::unique_ptr<Connection> connection;
    bool judged = false; // the verdict is in; the connection is closing
    TimePoint start;
    TimePoint deadline;
    Clock::duration spacing; // between attempt starts
    // Each Transfer refers to *options: declared after it, so destroyed before.
    std::vector<std::unique_ptr<Transfer>> attempts;
    std::optional<Judgement> verdict;
    const Transfer* decided = nullptr;
    std::optional<std::string> failure; // a local error: the check's verdict is error

    bool over(TimePoint now) const
    {
        if (failure || (verdict && conclusive(verdict->verdict)) || now >= deadline)
            return true;
        return static_cast<int>(attempts.size()) == options->attempts &&
               std::all_of(attempts.begin(), attempts.end(), [](const auto& a) { return a->done(); });
    }
    TimePoint next_attempt() const
    {
        if (static_cast<int>(attempts.size()) >= options->attempts)
            return TimePoint::max();
        return start + spacing * static_cast<int>(attempts.size());
    }
};

namespace {

void check_multi(CURLMcode rc)
{
    if (rc != CURLM_OK)
        throw Error(fmt::format("libcurl: {}", curl_multi_strerror(rc)));
}

} // namespace

HttpFleet::HttpFleet(StartPacer& pacer, const char* tool, const Trace& trace)
    : tool_(tool), trace_(trace), multi_(curl_multi_init()), pacer_(pacer)
{
    if (!multi_)
        throw Error("libcurl could not create a multi handle");
    check_multi(curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &HttpFleet::on_socket));
    check_multi(curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, static_cast<void*>(this)));
    check_multi(curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &HttpFleet::on_timer));
    check_multi(curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, static_cast<void*>(this)));
}

HttpFleet::~HttpFleet() = default;

void HttpFleet::submit(std::uint64_t id, std::shared_ptr<const HttpOptions> options, const IpAddress& realserver,
                       TimePoint, ConnectionFactory connection)
{
    const std::uint64_t ticket = next_ticket_++;
    waiting_.emplace(ticket, Waiting{id, std::move(options), std::move(connection)});
    pacer_.enqueue(PaceLane::Http, RealserverKey(realserver), ticket);
}

int HttpFleet::on_socket(CURL*, curl_socket_t fd, int what, void* user, void*)
{
    auto* self = static_cast<HttpFleet*>(user);
    if (what == CURL_POLL_REMOVE)
        self->sockets_.erase(fd);
    else
        self->sockets_[fd] = what;
    return 0;
}

int HttpFleet::on_timer(CURLM*, long timeout_ms, void* user)
{
    auto* self = static_cast<HttpFleet*>(user);
    if (timeout_ms < 0)
        self->timer_.reset();
    else
        self->timer_ = Clock::now() + std::chrono::milliseconds(timeout_ms);
    return 0;
}

void HttpFleet::poll_fds(std::vector<pollfd>& fds)
{
    polled_from_ = fds.size();
    for (const auto& [fd, what] : sockets_) {
        short events = 0;
        if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
            events |= POLLIN;
        if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
            events |= POLLOUT;
        fds.push_back({fd, events, 0});
    }
    polled_count_ = fds.size() - polled_from_;
    // The connections' own descriptors (the relay to libcurl): their events need no
    // telling, each run() services every connection.
    for (const auto& [ticket, c] : checks_)
        if (c->connection && !c->failure)
            for (const auto& w : c->connection->wait_fds())
                fds.push_back({w.fd,
                               static_cast<short>(((w.events & CURL_WAIT_POLLIN) ? POLLIN : 0) |
                                                  ((w.events & CURL_WAIT_POLLOUT) ? POLLOUT : 0)),
                               0});
}

void HttpFleet::polled(const std::vector<pollfd>& fds)
{
    for (std::size_t i = polled_from_; i < polled_from_ + polled_count_ && i < fds.size(); ++i) {
        const pollfd& p = fds[i];
        int mask = 0;
        // A hang-up or an error is for libcurl to read: it then sees the end or the error.
        if (p.revents & (POLLIN | POLLHUP))
            mask |= CURL_CSELECT_IN;
        if (p.revents & POLLOUT)
            mask |= CURL_CSELECT_OUT;
        if (p.revents & (POLLERR | POLLNVAL))
            mask |= CURL_CSELECT_ERR;
        if (mask)
            events_.emplace_back(p.fd, mask);
    }
    polled_count_ = 0;
}

void HttpFleet::start(Waiting w, TimePoint now)
{
    const HttpOptions& o = *w.options;
    const std::uint64_t ticket = next_ticket_++;
    auto check = std::make_unique<Check>();
    check->id = w.id;
    check->options = std::move(w.options);
    check->start = now;
    check->deadline = now + std::chrono::duration_cast<Clock::duration>(o.timeout);
    check->spacing = std::chrono::duration_cast<Clock::duration>(o.timeout) / o.attempts;
    if (w.connection) {
        try {
            check->connection = w.connection(check->deadline);
        } catch (const std::exception& e) {
            check->failure = e.what();
        }
    }
    trace_.step("target", "#{} {} {}{}, deadline {}, {} attempt{}", w.id, o.method == HttpMethod::Head ? "HEAD" : "GET",
                o.target.url, o.target.connect_to.empty() ? "" : " connecting to " + o.target.connect_to,
                format_duration(o.timeout), o.attempts, o.attempts == 1 ? "" : "s");
    checks_.emplace(ticket, std::move(check));
}

void HttpFleet::start_attempts(Check& c, TimePoint now)
{
    // As in run_http_check: spread over the deadline, overlapping when answers are slow.
    while (!c.failure && now >= c.next_attempt()) {
        const int number = static_cast<int>(c.attempts.size()) + 1;
        trace_.step("attempt", "#{} {} of {}", c.id, number, c.options->attempts);
        try {
            c.attempts.push_back(
                std::make_unique<Transfer>(number, tool_, *c.options, trace_, multi_.get(), c.deadline,
                                           c.connection.get()));
        } catch (const std::exception& e) {
            c.failure = e.what();
            return;
        }
        by_easy_.emplace(c.attempts.back()->easy(), &c);
    }
}

void HttpFleet::read_done()
{
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &queued)) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL* easy = msg->easy_handle;
        const CURLcode code = msg->data.result;
        const auto owner = by_easy_.find(easy);
        if (owner == by_easy_.end())
            continue;
        Check& c = *owner->second;
        by_easy_.erase(owner);
        void* priv = nullptr;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        auto* attempt = static_cast<Transfer*>(priv);
        // `msg` is invalid once the handle leaves the multi handle in finish().
        Judgement j = attempt->finish(code);
        // As in run_http_check: a refused or unanswered connection reaches libcurl only
        // as a socket that closed, and the connection knows better.
        if (c.connection)
            if (auto proven = c.connection->verdict())
                j = std::move(*proven);
        trace_.step("verdict", "#{} attempt {}: {} {}", c.id, attempt->number(), token(j.verdict), j.detail);
        if (c.verdict && conclusive(c.verdict->verdict))
            continue;
        if (decides_over(c.verdict, j)) {
            c.verdict = std::move(j);
            c.decided = attempt;
        }
    }
}

void HttpFleet::finish(Check& c, TimePoint now)
{
    ProbeResult r{c.id, {}};
    if (c.failure) {
        // What mgmt-http-check reports for an exception: the verdict error and its text.
        r.outcome.verdict = Verdict::Error;
        r.outcome.detail = *c.failure;
    } else {
        // Nothing came back from libcurl in time: the connection may know why.
        if (!c.verdict && c.connection)
            c.verdict = c.connection->verdict();
        r.outcome = http_result(*c.options, c.verdict, c.decided, c.attempts.size(), to_ms(now - c.start)).outcome;
        if (c.connection)
            c.connection->describe(r.outcome);
    }
    for (const auto& a : c.attempts)
        by_easy_.erase(a->easy());
    results_.push_back(std::move(r));
}

void HttpFleet::run(TimePoint now)
{
    for (const auto ticket : pacer_.due(PaceLane::Http, now)) {
        auto node = waiting_.extract(ticket);
        if (!node.empty())
            start(std::move(node.mapped()), now);
    }
    for (auto& [ticket, c] : checks_) {
        if (!c->judged)
            start_attempts(*c, now);
        if (c->connection && !c->failure)
            service(*c, now);
    }

    int running = 0;
    const auto events = std::move(events_);
    events_.clear();
    for (const auto& [fd, mask] : events)
        // An earlier action may have closed it, and the number may be another's now.
        if (sockets_.contains(fd))
            check_multi(curl_multi_socket_action(multi_.get(), fd, mask, &running));
    // New transfers set the timer to now: acting on it here starts their connections
    // without another trip through the poll.
    if (timer_ && *timer_ <= Clock::now()) {
        timer_.reset();
        check_multi(curl_multi_socket_action(multi_.get(), CURL_SOCKET_TIMEOUT, 0, &running));
    }
    read_done();

    const TimePoint end = Clock::now();
    for (auto it = checks_.begin(); it != checks_.end();) {
        Check& c = *it->second;
        if (!c.judged && c.over(end))
            c.judged = true;
        // What libcurl wrote in this run goes out now, not after the next poll.
        if (c.connection && !c.failure)
            service(c, end);
        // The connection is closed before the verdict is told, as vip-http-check does,
        // so that a check leaves no connection behind on the realserver.
        if (c.judged && (!c.connection || c.failure || c.connection->close_step(end))) {
            finish(c, end);
            it = checks_.erase(it);
        } else {
            ++it;
        }
    }
}

void HttpFleet::service(Check& c, TimePoint now)
{
    try {
        c.connection->service(now);
    } catch (const std::exception& e) {
        c.failure = e.what();
    }
}

std::vector<ProbeResult> HttpFleet::take_results()
{
    return std::exchange(results_, {});
}

TimePoint HttpFleet::next_wakeup() const
{
    TimePoint next = std::min(pacer_.next_start(), timer_.value_or(TimePoint::max()));
    for (const auto& [ticket, c] : checks_) {
        next = std::min({next, c->deadline, c->judged ? TimePoint::max() : c->next_attempt()});
        if (c->connection && !c->failure)
            next = std::min(next, c->connection->next_wakeup(c->deadline));
    }
    return next;
}

bool HttpFleet::idle() const
{
    return waiting_.empty() && checks_.empty() && results_.empty();
}

} // namespace vipcheck
