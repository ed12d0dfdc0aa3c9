#include "http/http_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <chrono>
#include <memory>
#include <vector>

#include "vipcheck/cli.hpp"
#include "vipcheck/deadline.hpp"
#include "vipcheck/error.hpp"

namespace vipcheck {

namespace {

// A failure that got an answer from the realserver says more than a timeout.
bool answered(Verdict v)
{
    return v != Verdict::NoReply;
}

} // namespace

bool conclusive(Verdict v)
{
    return v == Verdict::Up || v == Verdict::Error;
}

bool decides_over(const std::optional<Judgement>& current, const Judgement& next)
{
    return conclusive(next.verdict) || !current || answered(next.verdict) || !answered(current->verdict);
}

HttpResult http_result(const HttpOptions& o, const std::optional<Judgement>& verdict, const Transfer* decided,
                       std::size_t attempts, double elapsed_ms)
{
    HttpResult result;
    Outcome& out = result.outcome;
    out.elapsed_ms = elapsed_ms;
    out.subject = o.target.display;
    if (!o.target.host_header.empty())
        out.subject += fmt::format(" [Host: {}]", o.target.host_header);
    if (verdict) {
        out.verdict = verdict->verdict;
        out.detail = verdict->detail;
    } else {
        out.verdict = Verdict::NoReply;
        out.detail = fmt::format("no reply within {} ({} attempt{})", format_duration(o.timeout), attempts,
                                 attempts == 1 ? "" : "s");
    }
    Field status{"status", nullptr}, reason{"reason", nullptr}, bytes{"bytes", nullptr}, ttfb{"ttfb_ms", nullptr},
        total{"total_ms", nullptr}, md5{"md5", nullptr}, remote{"remote", nullptr}, host{"host", nullptr};
    if (!o.target.host_header.empty())
        host.value = o.target.host_header;
    if (decided) {
        if (decided->status()) {
            status.value = std::int64_t{*decided->status()};
            reason.value = decided->reason();
            bytes.value = static_cast<std::int64_t>(decided->bytes());
            out.rtt_ms = decided->total_ms();
        }
        if (decided->ttfb_ms())
            ttfb.value = *decided->ttfb_ms();
        total.value = decided->total_ms();
        if (decided->md5()) {
            md5.value = *decided->md5();
            result.md5 = decided->md5();
        }
        if (!decided->remote().empty())
            remote.value = decided->remote();
    }
    out.fields = {
        {"url", o.target.display},
        host,
        remote,
        status,
        reason,
        bytes,
        ttfb,
        total,
        md5,
        {"attempts", static_cast<std::int64_t>(attempts)},
    };
    return result;
}

HttpResult run_http_check(const char* tool, const HttpOptions& o, const SignalWatch& signals, const Trace& trace,
                          Clock::time_point start, Connector* connector)
{
    const Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(o.timeout);
    const auto interval = std::chrono::duration_cast<Clock::duration>(o.timeout) / o.attempts;
    if (auto signo = signals.pending())
        throw_interrupted(*signo);

    MultiHandle multi(curl_multi_init());
    if (!multi)
        throw Error("libcurl could not create a multi handle");
    // Declared after `multi`, so every transfer leaves it before it is cleaned up.
    std::vector<std::unique_ptr<Transfer>> attempts;
    Transfer* decided = nullptr;      // the attempt whose result is reported
    std::optional<Judgement> verdict;

    trace.step("target", "{} {}{}, deadline {}, {} attempt{}", o.method == HttpMethod::Head ? "HEAD" : "GET",
               o.target.url, o.target.connect_to.empty() ? "" : " connecting to " + o.target.connect_to,
               format_duration(o.timeout), o.attempts, o.attempts == 1 ? "" : "s");

    for (;;) {
        Clock::time_point now = Clock::now();
        // Attempts are spread over the deadline but may overlap: a lost SYN is retried
        // well before TCP would, and a slow answer to an early attempt still counts.
        if (static_cast<int>(attempts.size()) < o.attempts &&
            now >= start + interval * static_cast<int>(attempts.size())) {
            const int number = static_cast<int>(attempts.size()) + 1;
            trace.step("attempt", "{} of {}", number, o.attempts);
            attempts.push_back(std::make_unique<Transfer>(number, tool, o, trace, multi.get(), deadline, connector));
        }
        if (connector)
            connector->service(now);
        int running = 0;
        if (const CURLMcode rc = curl_multi_perform(multi.get(), &running); rc != CURLM_OK)
            throw Error(fmt::format("libcurl: {}", curl_multi_strerror(rc)));
        int queued = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            void* priv = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            auto* attempt = static_cast<Transfer*>(priv);
            const CURLcode code = msg->data.result;
            // `msg` is invalid once the handle leaves the multi handle in finish().
            Judgement j = attempt->finish(code);
            // A connection refused or never answered reaches libcurl only as a socket
            // that closed: the connector knows better.
            if (connector)
                if (auto proven = connector->verdict())
                    j = std::move(*proven);
            trace.step("verdict", "attempt {}: {} {}", attempt->number(), token(j.verdict), j.detail);
            if (decides_over(verdict, j)) {
                verdict = std::move(j);
                decided = attempt;
            }
            if (conclusive(verdict->verdict))
                break;
        }
        if (verdict && conclusive(verdict->verdict))
            break;
        now = Clock::now();
        if (now >= deadline)
            break;
        const bool more = static_cast<int>(attempts.size()) < o.attempts;
        if (!more && std::all_of(attempts.begin(), attempts.end(), [](const auto& a) { return a->done(); }))
            break;
        Clock::time_point wake = deadline;
        if (more)
            wake = std::min(wake, start + interval * static_cast<int>(attempts.size()));
        std::vector<curl_waitfd> extra{{signals.fd(), CURL_WAIT_POLLIN, 0}};
        if (connector) {
            for (const auto& fd : connector->wait_fds())
                extra.push_back(fd);
            wake = std::min(wake, connector->next_wakeup(deadline));
        }
        // curl_multi_poll also wakes for libcurl's own timers and sockets.
        if (const CURLMcode rc = curl_multi_poll(multi.get(), extra.data(), static_cast<unsigned>(extra.size()),
                                                 static_cast<int>(ceil_ms(wake - now)), nullptr);
            rc != CURLM_OK)
            throw Error(fmt::format("libcurl: {}", curl_multi_strerror(rc)));
        if (extra[0].revents)
            if (auto signo = signals.pending())
                throw_interrupted(*signo);
    }
    // The connection is closed before the verdict is told, so that a check leaves no
    // connection behind on the realserver.
    if (connector)
        connector->close(signals);

    // Nothing came back from libcurl in time: the connection may know why.
    if (!verdict && connector)
        verdict = connector->verdict();

    HttpResult result = http_result(o, verdict, decided, attempts.size(), to_ms(Clock::now() - start));
    if (connector)
        connector->describe(result.outcome);
    return result;
}

int report_http_result(const Reporter& report, const HttpResult& result, bool print_digest)
{
    if (print_digest) {
        if (result.md5)
            fmt::print("{}\n", *result.md5);
        if (result.outcome.verdict != Verdict::Error)
            fmt::print(stderr, "{}\n", format_line(result.outcome));
    }
    return report.emit(result.outcome);
}

int http_tool_main(int argc, const char* const* argv, const CommandSpec& command, Redirects redirects,
                   const HttpRun& run)
{
    const char* tool = command.tool.c_str();
    const std::unique_ptr<SignalWatch> signals = start_signal_watch(tool);
    if (!signals)
        return 1;
    CommandLine cli(command);
    HttpArgs args;
    add_http_options(cli.app(), args, redirects);
    if (auto status = cli.parse(argc, argv))
        return *status;

    OutputOptions output = cli.common().output;
    // --print-digest owns stdout: the verdict line moves to stderr.
    if (args.print_digest)
        output.quiet = true;
    const Reporter report(tool, output);
    try {
        const CurlGlobal curl;
        return report_http_result(report, run(cli, args, *signals), args.print_digest);
    } catch (const std::exception& e) {
        return report.emit_error(e.what());
    }
}

} // namespace vipcheck
