#include <chrono>
#include <filesystem>

#include "checks_groups.h"
#include "faultline/harness/bundled_drivers.h"
#include "faultline/harness/curl_driver.h"
#include "faultline/harness/external_driver.h"
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

/** A driver over another language's client (docs/drivers.md) and how the matrix runs it. */
struct LanguageDriver {
  const char* name;
  std::vector<std::string> args;
  bool idle_timer;          ///< started with --idle-timeout kLanguageDriverIdle
  const char* no_idle_why;  ///< the skip reason otherwise
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
  if (!force_http1) {
    spec.idle_timeout = kTransportIdle;
  }
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

  DriverSpec curl;
  curl.name = "curl";
  curl.make = [](const std::filesystem::path& ca) {
    harness::CurlDriverOptions o;
    o.ca_file = ca;
    return std::unique_ptr<harness::Driver>(std::make_unique<harness::CurlDriver>(o));
  };
  out.push_back(curl);

  DriverSpec undici;
  undici.name = "undici";
  undici.make = [](const std::filesystem::path& ca) {
    harness::NodeDriverConfig c;
    c.ca_file = ca;
    return std::unique_ptr<harness::Driver>(
        std::make_unique<harness::ExternalDriver>(harness::node_driver_options(c)));
  };
  const auto probe = harness::node_driver_options({});
  if (!probe.args.empty()) {
    auto script = std::filesystem::path(probe.args.front());
    if (!std::filesystem::exists(script.parent_path() / "node_modules")) {
      undici.unavailable = "no node_modules in " + script.parent_path().string() + " (npm ci)";
    }
  }
  out.push_back(undici);

  // Node's built-in http2 module: one session per origin, h2 only, no redirects.
  DriverSpec node_http2;
  node_http2.name = "node-http2";
  node_http2.make = [](const std::filesystem::path& ca) {
    harness::NodeHttp2DriverConfig c;
    c.ca_file = ca;
    return std::unique_ptr<harness::Driver>(
        std::make_unique<harness::ExternalDriver>(harness::node_http2_driver_options(c)));
  };
  const auto probe_http2 = harness::node_http2_driver_options({});
  if (!probe_http2.args.empty() && std::filesystem::exists(probe_http2.args.front())) {
    out.push_back(node_http2);
  }

  // The drivers over other languages' clients (harness/drivers/bin), none gating.
  const std::string idle_ms = std::to_string(kLanguageDriverIdle.count());
  const std::vector<LanguageDriver> language_drivers = {
      {"go", {"--connections", "4", "--idle-timeout", idle_ms}, true, ""},
      // One connection: httpcore's h2 shape (it keeps one per origin), so that its h1
      // pool has the same size as the max_sessions its hello declares.
      {"python-httpx",
       {"--max-connections", "1"},
       false,
       "httpcore applies keepalive_expiry when the pool is next used, not by a timer"},
      {"java", {}, false, "JDK 17's HttpClient has no idle timeout for HTTP/2 connections"},
      {"okhttp", {"--idle-timeout", idle_ms}, true, ""},
      {"node-fetch",
       {"--connections", "4"},
       false,
       "undici 6 closes no idle HTTP/2 session by a timer"},
  };
  for (const auto& language : language_drivers) {
    DriverSpec spec;
    spec.name = language.name;
    if (language.idle_timer) {
      spec.idle_timeout = kLanguageDriverIdle;
    } else {
      spec.no_idle_timer = language.no_idle_why;
    }
    spec.make = [name = std::string(language.name),
                 args = language.args](const std::filesystem::path& ca) {
      return std::unique_ptr<harness::Driver>(std::make_unique<harness::ExternalDriver>(
          harness::bundled_driver_options(name, {ca, args})));
    };
    spec.unavailable = harness::bundled_driver_unavailable(language.name);
    out.push_back(spec);
  }
  return out;
}

const std::vector<CheckInfo>& catalogue() {
  using namespace detail;
  static const std::vector<CheckInfo> kChecks = {
      {"POOL-REUSE", "pool",
       "1000 GETs: <= pool-limit connections, <= cap streams each, each served once", pool_reuse},
      {"POOL-COLD-BURST", "pool", "burst on a cold pool: no connection storm", pool_cold_burst},
      {"POOL-SERVER-LIMIT", "pool",
       "SETTINGS_MAX_CONCURRENT_STREAMS=10 never exceeded; no REFUSED_STREAM", pool_server_limit},
      {"POOL-LIMIT-LOWERED", "pool",
       "limit lowered 100 -> 5 while busy: in-flight finish, new respect 5", pool_limit_lowered},
      {"POOL-LIMIT-ZERO", "pool",
       "limit 0: requests wait or settle by their deadline; no busy loop", pool_limit_zero},
      {"POOL-IDLE-REAP", "pool", "idle session closed; next request opens a new one",
       pool_idle_reap},
      {"ABORT-QUEUED", "abort", "aborted queued request rejects promptly; server never sees it",
       abort_queued},
      {"ABORT-QUEUED-TIMEOUT", "abort", "queued request's deadline rejects it as timeout in time",
       abort_queued_timeout},
      {"ABORT-INFLIGHT", "abort", "abort of an open stream: RST_STREAM(CANCEL); sibling unaffected",
       abort_inflight},
      {"ABORT-MANY", "abort", "hundreds of queued aborts all reject; the pool still serves",
       abort_many},
      {"DRAIN-GOAWAY-GRACEFUL", "drain",
       "streams <= last complete; new requests go to a new connection", drain_goaway_graceful},
      {"DRAIN-GOAWAY-ABOVE-LAST", "drain",
       "streams above last-stream-id retried on a new connection, POST too, each served once",
       drain_goaway_above_last},
      {"DRAIN-SESSION-LOSS", "drain",
       "every session reset: queued served by new sessions, in-flight fail typed, nothing hangs",
       drain_session_loss},
      {"DRAIN-GOAWAY-STORM", "drain",
       "GOAWAY(0) on every connection: bounded reconnects, requests fail by their deadline",
       drain_goaway_storm},
      {"DRAIN-REFUSED-RETRY", "drain",
       "REFUSED_STREAM retried transparently and bounded; other codes not retried",
       drain_refused_retry},
      {"ALPN-H1-ONLY", "alpn", "server selects http/1.1: h1, no h2 retry per request",
       alpn_h1_only},
      {"ALPN-H1-STRICT", "alpn", "server rejects h2-only offers: h1, remembered", alpn_h1_strict},
      {"ALPN-NONE", "alpn", "no ALPN: h1", alpn_none},
      {"REDIRECT-PARITY", "redirect", "Fetch redirect results, the same on h2 and h1",
       redirect_parity},
      {"LATE-DATA-AFTER-RST", "late",
       "DATA after the client's RST ignored, credit returned, connection usable",
       late_data_after_rst},
      {"LATE-DATA-AFTER-END", "late", "DATA after END_STREAM: completed response intact, no crash",
       late_data_after_end},
      {"LATE-TRAILERS", "late", "trailers then late DATA under multiplexing: each completes once",
       late_trailers},
      {"LATE-OUT-OF-ORDER", "late",
       "responses finishing in random order each complete once with their body", late_out_of_order},
      {"RT-SSE", "roundtrip", "SSE delivered incrementally and parsed right", rt_sse},
      {"RT-MULTIPART", "roundtrip", "multipart parts' sizes and SHA-256 match", rt_multipart},
      {"RT-BINARY", "roundtrip", "0 B .. 16 MiB up/down, SHA-256 match", rt_binary},
      {"RT-ERROR-BODY", "roundtrip", "4xx/5xx bodies intact", rt_error_body},
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

Verdict run_check(const CheckInfo& check, const DriverSpec& driver) {
  const auto started = std::chrono::steady_clock::now();
  Verdict v;
  try {
    v = check.run(driver);
  } catch (const detail::CheckSkipped& s) {
    v.outcome = Outcome::skip;
    v.summary = s.why;
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
