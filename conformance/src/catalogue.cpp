#include <algorithm>
#include <chrono>
#include <filesystem>

#include "checks_groups.h"
#include "faultline/harness/bundled_drivers.h"
#include "transport_driver.h"

namespace faultline::conformance {
namespace {

using namespace std::chrono_literals;

/** Pool shape of the transport drivers: small, so saturating it stays cheap. */
constexpr std::size_t kTransportSessions = 2;
constexpr std::uint32_t kTransportStreams = 16;
/** Idle timeout of the transport drivers, short enough for POOL-IDLE-REAP. */
constexpr auto kTransportIdle = 500ms;
/** Idle timeout the language drivers that have one are started with (POOL-IDLE-REAP). */
constexpr auto kLanguageDriverIdle = 1000ms;

/** How the matrix runs a driver of harness::driver_registry() beyond its defaults. */
struct Column {
  const char* name;
  std::vector<std::string> args;
  std::optional<bool> h2;  ///< as DriverSpec::h2
  /** As DriverSpec::idle_timeout: kLanguageDriverIdle for a driver started with
      --idle-timeout, 0 for one known to have no timer, nullopt = as its hello says. */
  std::optional<std::chrono::milliseconds> idle_timeout;
  const char* no_idle_why;  ///< why it has no idle timer ("" = not known)
};

/** Evidence in a failure message is cut here. */
constexpr std::size_t kMessageEvidenceLimit = 12000;

}  // namespace

std::string_view to_string(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::pass:
      return "pass";
    case Outcome::fail:
      return "FAIL";
    case Outcome::skip:
      return "skip";
  }
  return "?";
}

std::string_view to_string(Capability capability) noexcept {
  switch (capability) {
    case Capability::installed:
      return "installed";
    case Capability::h2:
      return "h2";
    case Capability::idle_timer:
      return "idle_timer";
    case Capability::trailers:
      return "trailers";
    case Capability::receive_backpressure:
      return "receive_backpressure";
  }
  return "?";
}

std::optional<std::string> declared_missing(Capability capability, const DriverSpec& driver,
                                            const harness::DriverInfo* hello) {
  switch (capability) {
    case Capability::installed:
      if (driver.unavailable) {
        return "driver unavailable: " + *driver.unavailable;
      }
      return std::nullopt;
    case Capability::h2:
      if (driver.h2 == false || (!driver.h2 && hello != nullptr && !hello->h2)) {
        return std::string("driver declares it never offers h2");
      }
      return std::nullopt;
    case Capability::idle_timer: {
      std::optional<std::int64_t> ms;
      if (driver.idle_timeout) {
        ms = driver.idle_timeout->count();
      } else if (hello != nullptr) {
        ms = hello->capabilities.idle_timeout_ms;
      }
      if (ms == 0) {
        return "driver declares no idle timer (idle_timeout_ms 0)" +
               (driver.no_idle_timer.empty() ? std::string() : ": " + driver.no_idle_timer);
      }
      return std::nullopt;
    }
    case Capability::trailers:
      if (driver.trailers == false ||
          (!driver.trailers && hello != nullptr && hello->capabilities.trailers == false)) {
        return std::string("driver declares it does not report trailers (trailers false)");
      }
      return std::nullopt;
    case Capability::receive_backpressure:
      if (hello != nullptr && hello->capabilities.receive_backpressure == false) {
        return std::string("driver declares no receive backpressure (receive_backpressure false)");
      }
      return std::nullopt;
  }
  return std::nullopt;
}

std::string Verdict::message() const {
  auto text = evidence.dump(1);
  if (text.size() > kMessageEvidenceLimit) {
    text = text.substr(0, kMessageEvidenceLimit) + "\n... (evidence cut; full in the report)";
  }
  return summary + "\nevidence: " + text;
}

DriverSpec transport_driver_spec(bool force_http1, transport::testing::Defects defects) {
  DriverSpec spec;
  spec.name = force_http1 ? "h1" : "h2";
  spec.gating = true;
  spec.h2 = !force_http1;
  // Over HTTP/1.1, libcurl's connection cache closes idle connections when it is next
  // pruned, not by a timer (transport/README.md, known limits): no idle timeout to check.
  spec.idle_timeout = force_http1 ? 0ms : kTransportIdle;
  if (force_http1) {
    spec.no_idle_timer =
        "libcurl's connection cache closes idle HTTP/1.1 connections lazily, not by a timer "
        "(transport/README.md)";
  }
  spec.make = [force_http1, defects](const std::filesystem::path& ca) {
    TransportDriverOptions o;
    o.ca_file = ca;
    o.max_sessions = kTransportSessions;
    o.max_streams = kTransportStreams;
    o.force_http1 = force_http1;
    o.idle_timeout = kTransportIdle;
    o.defects = defects;
    return std::unique_ptr<harness::Driver>(std::make_unique<TransportDriver>(o));
  };
  return spec;
}

std::vector<DriverSpec> bundled_drivers() {
  std::vector<DriverSpec> out;
  out.push_back(transport_driver_spec(false));
  out.push_back(transport_driver_spec(true));

  // Every other bundled driver, from the harness's registry (none gating).
  const std::string idle_ms = std::to_string(kLanguageDriverIdle.count());
  const std::vector<Column> columns = {
      {"curl",
       {},
       true,
       0ms,
       "libcurl closes connections older than CURLOPT_MAXAGE_CONN only when it next looks at "
       "its cache, not by a timer"},
      {"go",
       {"--connections", "4", "--idle-timeout", idle_ms},
       std::nullopt,
       kLanguageDriverIdle,
       ""},
      // One connection: httpcore's h2 shape (it keeps one per origin), so that its h1
      // pool has the same size as the max_sessions its hello declares.
      {"python-httpx",
       {"--max-connections", "1"},
       std::nullopt,
       std::nullopt,
       "httpcore applies keepalive_expiry when the pool is next used, not by a timer"},
      {"java",
       {},
       std::nullopt,
       std::nullopt,
       "JDK 17's HttpClient has no idle timeout for HTTP/2 connections"},
      {"okhttp", {"--idle-timeout", idle_ms}, std::nullopt, kLanguageDriverIdle, ""},
      {"node-fetch",
       {"--connections", "4"},
       std::nullopt,
       std::nullopt,
       "undici 6 closes no idle HTTP/2 session by a timer"},
  };
  for (const auto& driver : harness::driver_registry()) {
    const auto column = std::find_if(columns.begin(), columns.end(),
                                     [&](const Column& c) { return driver.name == c.name; });
    DriverSpec spec;
    spec.name = driver.name;
    std::vector<std::string> args;
    if (column != columns.end()) {
      args = column->args;
      spec.h2 = column->h2;
      spec.idle_timeout = column->idle_timeout;
      spec.no_idle_timer = column->no_idle_why;
    }
    spec.make = [&driver, args](const std::filesystem::path& ca) { return driver.make(ca, args); };
    spec.unavailable = driver.unavailable();
    out.push_back(spec);
  }
  return out;
}

const std::vector<CheckInfo>& catalogue() {
  using namespace detail;
  const std::vector<Capability> h2 = {Capability::h2};
  static const std::vector<CheckInfo> kChecks = {
      {"POOL-REUSE",
       "pool",
       "1000 GETs: <= pool-limit connections, <= cap streams each, each served once",
       pool_reuse,
       {}},
      {"POOL-COLD-BURST", "pool", "burst on a cold pool: no connection storm", pool_cold_burst, {}},
      {"POOL-SERVER-LIMIT", "pool",
       "warm connection, SETTINGS_MAX_CONCURRENT_STREAMS=10 acknowledged: never exceeded",
       pool_server_limit, h2},
      {"POOL-PRE-SETTINGS-BURST", "pool",
       "streams before the first SETTINGS refused beyond 10: retried, none reaches the caller",
       pool_pre_settings_burst, h2},
      {"POOL-LIMIT-LOWERED", "pool",
       "limit lowered 100 -> 5 while busy: in-flight finish, new respect 5", pool_limit_lowered,
       h2},
      {"POOL-LIMIT-ZERO", "pool",
       "limit 0 acknowledged on a warm connection: requests wait, settle by their deadline",
       pool_limit_zero, h2},
      {"POOL-IDLE-REAP",
       "pool",
       "idle session closed; next request opens a new one",
       pool_idle_reap,
       {Capability::idle_timer}},
      {"ABORT-QUEUED",
       "abort",
       "aborted queued request rejects promptly; server never sees it",
       abort_queued,
       {}},
      {"ABORT-QUEUED-TIMEOUT",
       "abort",
       "queued request's deadline rejects it as timeout in time",
       abort_queued_timeout,
       {}},
      {"ABORT-INFLIGHT",
       "abort",
       "abort of an open stream: prompt RST_STREAM (any code); sibling unaffected",
       abort_inflight,
       {}},
      {"ABORT-MANY",
       "abort",
       "hundreds of queued aborts all reject; the pool still serves",
       abort_many,
       {}},
      {"DRAIN-GOAWAY-GRACEFUL", "drain",
       "graceful GOAWAY on every connection while held: held complete, new go elsewhere",
       drain_goaway_graceful, h2},
      {"DRAIN-GOAWAY-ABOVE-LAST", "drain",
       "GOAWAY(previous) on every connection while held: streams above it retried, POST too",
       drain_goaway_above_last, h2},
      {"DRAIN-SESSION-LOSS",
       "drain",
       "every session reset: queued served by new sessions, in-flight typed or served once",
       drain_session_loss,
       {}},
      {"DRAIN-GOAWAY-STORM", "drain",
       "GOAWAY(0) on every connection: bounded reconnects, requests fail by their deadline",
       drain_goaway_storm, h2},
      {"DRAIN-REFUSED-RETRY", "drain",
       "REFUSED_STREAM retried transparently and bounded; other codes not retried",
       drain_refused_retry, h2},
      {"ALPN-H1-ONLY", "alpn", "server selects http/1.1: h1, no h2 retry per request", alpn_h1_only,
       h2},
      {"ALPN-H1-STRICT", "alpn", "server rejects h2-only offers: h1, remembered", alpn_h1_strict,
       h2},
      {"ALPN-NONE", "alpn", "no ALPN: h1", alpn_none, h2},
      {"REDIRECT-PARITY",
       "redirect",
       "Fetch redirect results, the same on h2 and h1",
       redirect_parity,
       {}},
      {"LATE-DATA-AFTER-RST", "late",
       "DATA after the client's RST ignored, credit returned, connection usable",
       late_data_after_rst, h2},
      {"LATE-DATA-AFTER-END", "late", "DATA after END_STREAM: completed response intact, no crash",
       late_data_after_end, h2},
      {"LATE-TRAILERS", "late", "trailers then late DATA under multiplexing: each completes once",
       late_trailers, h2},
      {"LATE-OUT-OF-ORDER",
       "late",
       "responses finishing in random order each complete once with their body",
       late_out_of_order,
       {}},
      {"RT-SSE", "roundtrip", "SSE delivered incrementally and parsed right", rt_sse, {}},
      {"RT-MULTIPART", "roundtrip", "multipart parts' sizes and SHA-256 match", rt_multipart, {}},
      {"RT-BINARY", "roundtrip", "0 B .. 16 MiB up/down, SHA-256 match", rt_binary, {}},
      {"RT-ERROR-BODY", "roundtrip", "4xx/5xx bodies intact", rt_error_body, {}},
      {"LIVE-DEAD-CONNECTION",
       "live",
       "black-holed connection: only its requests fail (typed); fresh one within liveness",
       live_dead_connection,
       {}},
      {"LIVE-IDLE-RACE",
       "live",
       "idle close as requests arrive (FIN; GOAWAY+FIN): GETs retried once, POST never replayed",
       live_idle_race,
       {}},
      {"DRAIN-HTTP11-REQUIRED", "drain",
       "RST_STREAM/GOAWAY HTTP_1_1_REQUIRED: served over h1, origin remembered, no h2 loop",
       drain_http11_required, h2},
      {"RETRY-421",
       "retry",
       "421 on the first attempt: one retry on a new connection or delivered, as declared",
       retry_421,
       {}},
      {"RESP-TRAILERS",
       "resp",
       "trailers after 0 B .. 1 MiB bodies and trailers-only, read at once and slowly: all arrive",
       resp_trailers,
       {Capability::trailers}},
      {"RESP-INFORMATIONAL",
       "resp",
       "1xx heads (103 x 1/3/5, 100, expect: 100-continue): final intact, no 1xx field in it",
       resp_informational,
       {}},
      {"PARITY-WIRE",
       "parity",
       "the same request reaches h2 and h1-only listeners with the same fields, none added",
       parity_wire,
       {}},
      {"FLOW-WINDOW", "flow",
       "uploads through windows of 1 and 10 B, and through 0 raised by SETTINGS alone, "
       "complete byte-exact; downloads too",
       flow_window, h2},
      {"FLOW-BACKPRESSURE",
       "flow",
       "a paused stream stops being credited and holds at most its window, its sibling "
       "finishes, after resume it completes byte-exact",
       flow_backpressure,
       {Capability::receive_backpressure}},
      {"DRAIN-GOAWAY-UPLOAD", "drain",
       "GOAWAY below an upload in progress: replayed once when replayable, fails typed when "
       "streamed; streams <= last complete; each served once",
       drain_goaway_upload, h2},
      {"RESP-ERROR-TYPING", "resp",
       "garbage, PUSH_PROMISE with push off, bad HPACK, malformed heads: each a protocol error "
       "with its cause; GOAWAY codes as RFC 9113 says; ENABLE_PUSH=0; the next request served",
       resp_error_typing, h2},
      {"RESP-TRUNCATED",
       "resp",
       "a response cut mid-body (RST_STREAM NO_ERROR/CANCEL, FIN, close_notify) fails typed; "
       "the next request is served",
       resp_truncated,
       {}},
      {"RESP-CONTENT-LENGTH",
       "resp",
       "bodies other than content-length and conflicting Content-Length fail typed, promptly; "
       "a request body never exceeds or falls short of its declared length",
       resp_content_length,
       {}},
      {"RESP-EARLY-RESPONSE",
       "resp",
       "a 200 or 413 answered before a 10 MiB upload was read is delivered with its body, "
       "20 times each; the next request is served",
       resp_early_response,
       {}},
      {"RESP-HEADER-BLOCK",
       "resp",
       "heads of 16/64/128 KiB in 16/4/1 KiB frames after table size updates arrive whole; one "
       "beyond the declared limit fails typed alone; the next request and a sibling are served",
       resp_header_block,
       {}},
  };
  return kChecks;
}

const CheckInfo* find_check(std::string_view id) {
  for (const auto& c : catalogue()) {
    if (c.id == id) {
      return &c;
    }
  }
  return nullptr;
}

namespace {

/** The skip verdict for a capability the driver declares missing. */
Verdict skip_for(Capability capability, const std::string& why) {
  Verdict v;
  v.outcome = Outcome::skip;
  v.summary = "needs " + std::string(to_string(capability)) + "; " + why;
  v.evidence["skipped_for"] = std::string(to_string(capability));
  return v;
}

/** A skip the check may give: a capability it lists (or installed), which the driver
    really declares missing. Anything else is a defect of the suite, not of the driver. */
Verdict judge_skip(const CheckInfo& check, const DriverSpec& driver,
                   const detail::CheckSkipped& s) {
  const bool listed =
      s.capability == Capability::installed ||
      std::find(check.needs.begin(), check.needs.end(), s.capability) != check.needs.end();
  const auto& hello = detail::last_hello();
  const auto declared = declared_missing(s.capability, driver, hello ? &*hello : nullptr);
  if (listed && declared) {
    return skip_for(s.capability, *declared);
  }
  Verdict v;
  v.outcome = Outcome::fail;
  v.summary = "suite defect: the check skipped for " + std::string(to_string(s.capability)) +
              (listed ? ", which the driver does not declare missing"
                      : ", which is not among the capabilities it needs") +
              " (" + s.why + ")";
  return v;
}

/** Runs the check body on this thread with its needs in force. */
struct RunningCheck {
  explicit RunningCheck(const CheckInfo& check) {
    detail::set_running_check(&check);
    detail::last_hello().reset();
  }
  ~RunningCheck() {
    detail::set_running_check(nullptr);
    detail::last_hello().reset();
  }
  RunningCheck(const RunningCheck&) = delete;
  RunningCheck& operator=(const RunningCheck&) = delete;
};

}  // namespace

Verdict run_check(const CheckInfo& check, const DriverSpec& driver) {
  const auto started = std::chrono::steady_clock::now();
  Verdict v;
  std::optional<Capability> gated;
  std::string gated_why;
  for (const auto need : check.needs) {
    if (auto why = declared_missing(need, driver, nullptr); why && !gated) {
      gated = need;
      gated_why = *why;
    }
  }
  if (auto why = declared_missing(Capability::installed, driver, nullptr)) {
    gated = Capability::installed;
    gated_why = *why;
  }
  RunningCheck running(check);
  try {
    if (gated) {
      v = skip_for(*gated, gated_why);
    } else {
      v = check.run(driver);
      if (v.outcome == Outcome::skip) {
        v.outcome = Outcome::fail;
        v.summary = "suite defect: the check body returned a skip (" + v.summary + ")";
      }
    }
  } catch (const detail::CheckSkipped& s) {
    v = judge_skip(check, driver, s);
  } catch (const detail::CheckFailed& f) {
    v.outcome = Outcome::fail;
    v.summary = f.why;
  } catch (const std::exception& e) {
    v.outcome = Outcome::fail;
    v.summary = std::string("could not run: ") + e.what();
  }
  v.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  v.evidence["check"] = check.id;
  v.evidence["driver"] = driver.name;
  return v;
}

void PrintTo(const DriverSpec& driver, std::ostream* out) {
  *out << driver.name;
}

std::string test_name(std::string_view id) {
  std::string out(id);
  for (auto& c : out) {
    if (c == '-') {
      c = '_';
    }
  }
  return out;
}

}  // namespace faultline::conformance
