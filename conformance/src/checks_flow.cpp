// FLOW-*: HTTP/2 flow control (RFC 9113 section 5.2, 6.9). The server shrinks, zeroes
// and raises the windows a client sends under, and reads back what each stream's flow
// control did (the connection's "flow" counters: DATA bytes each way, the credit the
// client granted, the client's window left after each DATA frame the server sent).
// Bodies are checked byte for byte: uploads through the echo route's SHA-256, downloads
// against the random_bytes stream of their seed.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

#include "checks_groups.h"
#include "faultline/common/sha256.h"
#include "flow_support.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

namespace {

using common::sha256_hex;

constexpr std::uint64_t kDownloadSeed = 21;
constexpr std::size_t kDownloadBytes = 1024 * 1024;
/** More than the default window of 65535: part of the upload must wait for credit. */
constexpr std::size_t kUploadBytes = 256 * 1024;
/** What the server's connection and stream windows allow before any credit. */
constexpr std::size_t kDefaultWindow = 65535;
/** Frames' worth of body the tiny-window uploads send. */
constexpr std::size_t kTinyWindowFrames = 256;
constexpr std::uint64_t kPausedSeed = 31;
constexpr std::uint64_t kSiblingSeed = 32;
constexpr std::size_t kSiblingBytes = 1024 * 1024;
/** A paused body must exceed what the client's window and the sockets' buffers (h1) take. */
constexpr std::size_t kMinPausedBytes = 16 * 1024 * 1024;
/** What a transport may hold for a paused stream beyond the window it declares (frames
    and chunks under way when the pause took effect). */
constexpr std::int64_t kHeldSlack = 256 * 1024;

nlohmann::json route(const std::string& path, nlohmann::json respond) {
  return {{"match", {{"path", path}}}, {"respond", std::move(respond)}};
}

nlohmann::json random_route(const std::string& path, std::size_t bytes, std::uint64_t seed) {
  return route(path, {{"status", 200}, {"body", {{"random_bytes", bytes}, {"seed", seed}}}});
}

/** The flow checks' scenario: /echo answers a description of the request, /download
    kDownloadBytes of seed kDownloadSeed; `settings` and `faults` as given. */
nlohmann::json flow_scenario(const std::string& name, nlohmann::json settings,
                             nlohmann::json faults = nlohmann::json::array(),
                             nlohmann::json routes = nlohmann::json::array()) {
  routes.push_back(route("/echo", {{"status", 200}, {"body", {{"echo", true}}}}));
  routes.push_back(random_route("/download", kDownloadBytes, kDownloadSeed));
  nlohmann::json s = {{"name", name},
                      {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
                      {"routes", std::move(routes)},
                      {"faults", std::move(faults)}};
  if (!settings.is_null()) {
    s["settings"] = std::move(settings);
  }
  return s;
}

harness::Request upload(CheckRun& run, const std::string& tag, const std::string& body) {
  auto r = run.request("/echo", tag);
  r.method = "POST";
  r.headers.emplace_back("content-type", "application/octet-stream");
  r.body = body;
  return r;
}

/** DATA frames on `conn` in direction `dir` ("in": the client's, "out": the server's) no
    longer than `window` (and not empty); the longest of them all goes to `largest`. */
long small_data_frames(CheckRun& run, long conn, const char* dir, std::uint32_t window,
                       long& largest) {
  long n = 0;
  largest = 0;
  for (const auto& e : timeline_events(run, conn)) {
    if (e.value("dir", "") != dir || e.value("type", "") != "DATA") {
      continue;
    }
    const long length = e.value("length", 0L);
    largest = std::max(largest, length);
    n += length > 0 && length <= static_cast<long>(window) ? 1 : 0;
  }
  return n;
}

// RFC 9113 section 6.9.1: a sender never exceeds the window; with windows of 1 and 10
// bytes an upload is cut into frames that small, each waiting for its WINDOW_UPDATE.
Part tiny_window_part(std::uint32_t window) {
  const std::string name = "window " + std::to_string(window);
  return {name,
          flow_scenario("flow-window-" + std::to_string(window), {{"initial_window_size", window}}),
          [window](CheckRun& run) {
            // 1. A first request: the connection is up and our SETTINGS acknowledged (a
            //    client may send up to 65535 bytes before it knows them).
            auto warm = run.send(run.request("/download", "warm"));
            require(warm->wait_done(kWait).ok, "first request: " + warm->snapshot().describe());
            // 2. The upload goes through a window of `window` bytes, frame by frame.
            const std::size_t size = kTinyWindowFrames * window;
            const auto body = random_stream(size, window);
            auto x = run.send(upload(run, "tiny-" + std::to_string(window), body));
            require_echoed(x->wait_done(kWait), body, "upload");
            long largest = 0;
            long small = 0;
            for (const long conn : open_connections(run)) {
              long l = 0;
              small += small_data_frames(run, conn, "in", window, l);
              largest = std::max(largest, l);
            }
            if (small == 0) {
              fault_did_not_fire("no DATA frame of at most " + std::to_string(window) +
                                 " bytes arrived (largest " + std::to_string(largest) + ")");
            }
            return std::to_string(size) + " B byte-exact in " + std::to_string(small) +
                   "+ frames of <= " + std::to_string(window) + " B";
          }};
}

// RFC 9113 section 6.9.2: SETTINGS_INITIAL_WINDOW_SIZE changes every stream's window by
// the difference, so a window lowered to 0 mid-upload and raised again by SETTINGS
// alone - no WINDOW_UPDATE - must let the upload finish.
std::string settings_raise_steps(CheckRun& run) {
  const auto body = random_stream(kUploadBytes, 5);
  // 1. The upload starts; its request headers make the server lower the window to 0.
  auto x = run.send(upload(run, "zero", body));
  wait_fired(run, "window-zero", "SETTINGS_INITIAL_WINDOW_SIZE 0 on the upload");
  // 2. The client acknowledged the zero (two ACKs: our first SETTINGS, then the zero):
  //    from then on it may send nothing more on the stream.
  long conn = 0;
  std::string stream;
  std::string seen;
  const auto stalled = [&](std::string& now) {
    const auto acks = settings_acks(run);
    const auto flow = find_flow(run.stats(), "data_in", conn, stream);
    const long in = flow.is_null() ? 0 : flow.value("data_in", 0L);
    const long acked = acks.count(conn) != 0 ? acks.at(conn) : 0;
    now = std::to_string(in) + " B received, " + std::to_string(acked) + " SETTINGS ACKs" +
          (x->done() ? ", request done: " + x->snapshot().describe() : "");
    return acked >= 2 || x->done();
  };
  if (!poll_until(stalled, kWait, seen)) {
    fail("the client never acknowledged SETTINGS_INITIAL_WINDOW_SIZE 0 (" + seen + ")");
  }
  require(!x->done(), "the upload ended before the window was raised: " + seen);
  run.note("stalled_at", seen);
  // 3. SETTINGS raises the window again; no WINDOW_UPDATE is sent for the stream.
  fire(run, "window-raise", "SETTINGS_INITIAL_WINDOW_SIZE raise");
  const auto r = x->wait_done(kWait);
  if (!r.ok && !r.response.done()) {
    const auto flow = find_flow(run.stats(), "data_in", conn, stream);
    fail("the upload stalled after the SETTINGS raise: the server received " +
         std::to_string(flow.is_null() ? 0 : flow.value("data_in", 0L)) + " of " +
         std::to_string(body.size()) + " B (" + r.description + ")");
  }
  require_echoed(r, body, "upload");
  // 4. A download on the same server arrives byte-exact.
  auto d = run.send(run.request("/download", "download"));
  require_body(d->wait_done(kWait), random_stream(kDownloadBytes, kDownloadSeed), "download");
  return "stalled at window 0 (" + seen + "), finished after the SETTINGS raise; " +
         std::to_string(kDownloadBytes) + " B download byte-exact";
}

Part settings_raise_part() {
  nlohmann::json faults = nlohmann::json::array();
  faults.push_back({{"name", "window-zero"},
                    {"on", {{"path", "/echo"}, {"method", "POST"}}},
                    {"do", {{"settings", {{"initial_window_size", 0}}}}}});
  faults.push_back({{"name", "window-raise"},
                    {"on", {{"admin", "window-raise"}}},
                    {"do", {{"settings", {{"initial_window_size", kDefaultWindow}}}}}});
  return {"window 0 then SETTINGS raise",
          flow_scenario("flow-window-raise", nlohmann::json(), faults), settings_raise_steps};
}

/** Frames of the tiny-frame downloads: more bytes than the RFC's default window of 65535,
    so a client that keeps that window finishes only by crediting tiny frames. */
constexpr std::size_t kTinyFrameDownloadFrames = 70000;
constexpr std::uint64_t kTinyFrameSeed = 41;

// RFC 9113 section 6.9: a receiver reassembles and accounts for DATA however small the
// frames. A download cut into DATA frames of 1 and 10 bytes arrives byte-exact; it holds
// more than the default window of 65535 bytes, so a client that keeps that window must
// credit tiny frames to finish (the credit it granted is evidence, not judged: the
// client's window is its own to size).
Part tiny_frame_download_part(std::uint32_t frame) {
  const std::size_t size = kTinyFrameDownloadFrames * frame;
  nlohmann::json routes = nlohmann::json::array();
  routes.push_back(route("/tiny", {{"status", 200},
                                   {"chunk_bytes", frame},
                                   {"body", {{"random_bytes", size}, {"seed", kTinyFrameSeed}}}}));
  return {"download in " + std::to_string(frame) + " B frames",
          flow_scenario("flow-download-" + std::to_string(frame), nlohmann::json(),
                        nlohmann::json::array(), routes),
          [frame, size](CheckRun& run) {
            // 1. The download arrives byte-exact.
            auto x = run.send(run.request("/tiny", "tiny-" + std::to_string(frame)));
            const auto r = x->wait_done(kWait + kWait);
            require_body(r, random_stream(size, kTinyFrameSeed), "download");
            if (r.response.protocol != "h2") {
              return std::to_string(size) + " B byte-exact in writes of " + std::to_string(frame) +
                     " B (" + r.response.protocol + ")";
            }
            // 2. h2: it came in frames that small, and the client credited them.
            long small = 0;
            for (const long conn : open_connections(run)) {
              long largest = 0;
              small += small_data_frames(run, conn, "out", frame, largest);
            }
            if (small == 0) {
              fault_did_not_fire("the server's timeline shows no DATA frame of at most " +
                                 std::to_string(frame) + " B");
            }
            long conn = 0;
            std::string stream;
            const auto flow = find_flow(run.stats(), "data_out", conn, stream);
            const long credit = flow.is_null() ? 0 : flow.value("credit_in", 0L);
            return std::to_string(size) +
                   " B byte-exact in DATA frames of <= " + std::to_string(frame) + " B (" +
                   std::to_string(small) + " in the timeline's tail), " + std::to_string(credit) +
                   " B of stream credit granted";
          }};
}

/** The fairness part's downloads: 40 of 20 MiB on one connection when the driver allows. */
constexpr int kFairDownloads = 40;
constexpr std::size_t kFairBytes = 20 * 1024 * 1024;
constexpr std::uint64_t kFairSeed = 43;
/** The slowest concurrent download may take at most this many times the fastest's time:
    streams of equal weight share the connection (RFC 9113 section 5.3.5), so they finish
    close together; a client that serves them one after another is ~40x apart. */
constexpr double kFairnessBound = 3.0;

// RFC 9113 sections 5.2 and 5.3.5: concurrent streams of equal weight share a
// connection's window: 40 downloads of 20 MiB started together all finish, byte-exact,
// within a stated ratio of each other (slowest / fastest done time).
std::string fairness_steps(CheckRun& run) {
  // As many as the driver's pool runs at once, at most 40: queued ones would finish late
  // by design.
  const auto& info = run.info();
  const int n = std::min(kFairDownloads, std::max(1, info.max_streams * info.max_sessions));
  // 1. The downloads start together, each with the deadline the harness waits for it
  //    (a driver's own default, the transport's 60 s, is no part of the check).
  constexpr auto kDownloadWait = kWait * 12;
  std::vector<std::shared_ptr<harness::Exchange>> xs;
  for (int i = 0; i < n; ++i) {
    auto r = run.request("/bulk", "bulk-" + std::to_string(i));
    r.timeout_ms = static_cast<std::uint32_t>(std::chrono::milliseconds(kDownloadWait).count());
    xs.push_back(run.send(std::move(r)));
  }
  // 2. Each arrives byte-exact.
  const auto expected = random_stream(kFairBytes, kFairSeed);
  double fastest = 0;
  double slowest = 0;
  std::string protocol;
  for (int i = 0; i < n; ++i) {
    // 800 MiB through a driver's JSON lines (base64) takes 30-40 s of a quiet 2-core
    // machine for the Node drivers: the deadline leaves room for a loaded one.
    const auto r = xs[static_cast<std::size_t>(i)]->wait_done(kDownloadWait + kPrompt);
    require_body(r, expected, "download " + std::to_string(i + 1) + " of " + std::to_string(n));
    protocol = r.response.protocol;
    fastest = i == 0 ? r.response.done_ms : std::min(fastest, r.response.done_ms);
    slowest = std::max(slowest, r.response.done_ms);
  }
  const auto conns = connections_of(run.stats()).size();
  const std::string what = std::to_string(n) + " x " + std::to_string(kFairBytes >> 20) +
                           " MiB byte-exact on " + std::to_string(conns) + " connection(s), " +
                           "done between " + std::to_string(static_cast<long>(fastest)) + " and " +
                           std::to_string(static_cast<long>(slowest)) + " ms";
  // 3. h2: they shared the connection fairly. HTTP/1.1 carries one request per
  //    connection at a time, so queued downloads finish later by design: not judged.
  if (protocol != "h2") {
    return what + " (" + protocol + ": fairness not judged)";
  }
  if (n < 2) {
    // A pool that runs one stream at a time has no concurrent streams to compare.
    return what + " (the driver runs one stream at a time: fairness not judged)";
  }
  const double ratio = slowest / std::max(fastest, 1.0);
  std::array<char, 64> line{};
  std::snprintf(line.data(), line.size(), "slowest / fastest %.2f (bound %.1f)", ratio,
                kFairnessBound);
  require(ratio <= kFairnessBound, "unfair sharing: " + what + ", " + line.data());
  return what + ", " + line.data();
}

Part fairness_part() {
  nlohmann::json routes = nlohmann::json::array();
  routes.push_back(random_route("/bulk", kFairBytes, kFairSeed));
  return {"concurrent downloads",
          flow_scenario("flow-fairness", nlohmann::json(), nlohmann::json::array(), routes),
          fairness_steps};
}

/** What the paused stream's flow counters say, in one line. */
std::string describe_flow(const nlohmann::json& f) {
  if (!f.is_object()) {
    return "no flow counters for the stream";
  }
  return "server sent " + std::to_string(f.value("data_out", 0L)) + " B, credit " +
         std::to_string(f.value("credit_in", 0L)) + " B, window left " +
         std::to_string(f.value("window", -1L));
}

std::size_t paused_size(const harness::DriverInfo& info) {
  const auto window = info.capabilities.stream_window.value_or(0);
  return std::max<std::size_t>(kMinPausedBytes, 2 * static_cast<std::size_t>(window));
}

// The paused stream's server-side counters (h2): judged while its consumer is away.
struct PausedFlow {
  long conn = 0;
  std::string stream;
  nlohmann::json flow;
};

/** h2: waits until the server finds the paused stream's window used up with more to
    send; fails when the server could send the whole body instead. */
PausedFlow wait_window_exhausted(CheckRun& run, const std::shared_ptr<harness::Exchange>& paused,
                                 std::size_t size) {
  PausedFlow p;
  std::string seen;
  bool all_sent = false;
  // Settled: window 0 with more to send, seen twice with nothing sent or delivered in
  // between (a credit granted just before the pause took effect is used up by then).
  long last_sent = -1;
  long previous_sent = -1;  ///< at the poll before, whatever the window
  bool sending = false;     ///< the server sent more since the poll before
  std::size_t last_delivered = 0;
  const auto exhausted = [&](std::string& now) {
    p.flow = find_flow(run.stats(), "data_out", p.conn, p.stream);
    if (p.flow.is_null()) {
      now = "no DATA sent yet";
      return false;
    }
    now = describe_flow(p.flow);
    const long sent = p.flow.value("data_out", 0L);
    sending = sent != previous_sent;
    previous_sent = sent;
    const std::size_t delivered = paused->snapshot().body.size();
    all_sent = sent >= static_cast<long>(size);
    const bool stalled =
        p.flow.value("window", -1L) == 0 && p.flow.value("stalled_since_ms", -1.0) >= 0;
    const bool settled = stalled && sent == last_sent && delivered == last_delivered;
    last_sent = stalled ? sent : -1;
    last_delivered = delivered;
    return all_sent || settled;
  };
  if (!poll_until(exhausted, kWait, seen) || all_sent) {
    // Stopped although the stream's window is open: what holds the server back is the
    // connection (its window, or TCP), not this stream.
    if (!all_sent && !sending && p.flow.is_object() && p.flow.value("window", -1L) > 0) {
      fail("the paused stream stopped with its stream window open (" + seen + " of " +
           std::to_string(size) +
           " B): the client held back the whole connection (TCP or connection window), not "
           "the stream");
    }
    fail("the paused stream kept being credited: " + seen + " of " + std::to_string(size) +
         " B while its consumer was paused");
  }
  return p;
}

// Receive backpressure: a consumer that stops reading one response slows that stream
// only (RFC 9113 section 5.2: flow control is per stream and per connection), and the
// transport holds no more than the window it granted.
std::string backpressure_steps(CheckRun& run) {
  const std::size_t size = paused_size(run.info());
  // 1. The large response starts; its consumer pauses as soon as the head is in.
  auto paused = run.send(run.request("/paused/" + std::to_string(size), "paused"));
  const auto head = paused->wait_headers(kWait);
  require(head.ok, "paused request: " + head.description);
  run.driver().pause(paused->id());
  const bool h2 = head.response.protocol == "h2";
  // 2. h2: the server finds the stream's window used up, with more to send.
  PausedFlow before;
  if (h2) {
    before = wait_window_exhausted(run, paused, size);
  }
  // 3. A sibling runs to completion meanwhile (on the same connection when pooled).
  auto sibling = run.send(run.request("/sibling", "sibling"));
  require_body(sibling->wait_done(kWait), random_stream(kSiblingBytes, kSiblingSeed),
               "sibling of the paused stream");
  // 4. The paused stream got no credit while its sibling ran, and the transport holds
  //    at most its window for it.
  const auto stats = run.stats();
  long sent_max = 0;
  for (const auto& c : connections_of(stats)) {
    sent_max = std::max(sent_max, c.value("bytes_out", 0L));
  }
  require(sent_max < static_cast<long>(size),
          "the server sent the whole paused body (" + std::to_string(sent_max) +
              " B on one connection, body " + std::to_string(size) + " B) while it was paused");
  std::string held_line;
  if (h2) {
    PausedFlow after;
    after.flow = find_flow(stats, "data_out", after.conn, after.stream);
    nlohmann::json now;
    for (const auto& c : connections_of(stats)) {
      if (c.value("id", 0L) == before.conn) {
        const auto flow = c.value("flow", nlohmann::json::object());
        if (flow.contains(before.stream)) {
          now = flow.at(before.stream);
        }
      }
    }
    require(!now.is_null() && now.value("data_out", 0L) == before.flow.value("data_out", 0L) &&
                now.value("window", -1L) == 0,
            "the paused stream was credited while its sibling ran: before " +
                describe_flow(before.flow) + ", after " + describe_flow(now));
    const long delivered = static_cast<long>(paused->snapshot().body.size());
    const long held = now.value("data_out", 0L) - delivered;
    run.note("paused_flow", now);
    run.note("paused_delivered", delivered);
    if (const auto window = run.info().capabilities.stream_window) {
      require(held <= *window + kHeldSlack,
              "the transport holds " + std::to_string(held) + " B of the paused stream, above " +
                  "the stream window it declares (" + std::to_string(*window) + " B)");
    }
    held_line = ", server stopped at " + std::to_string(now.value("data_out", 0L)) +
                " B (window 0), transport holds " + std::to_string(held) + " B";
  }
  // 5. Resumed, the paused stream completes byte-exact.
  run.driver().resume(paused->id());
  require_body(paused->wait_done(kWait + kWait), random_stream(size, kPausedSeed),
               "paused stream after resume");
  return std::to_string(size) + " B paused (" + head.response.protocol + ")" + held_line +
         "; sibling " + std::to_string(kSiblingBytes) + " B done meanwhile; resumed byte-exact";
}

}  // namespace

Verdict flow_window(const DriverSpec& d) {
  return judge_parts(d,
                     {tiny_window_part(1), tiny_window_part(10), settings_raise_part(),
                      tiny_frame_download_part(1), tiny_frame_download_part(10), fairness_part()});
}

Verdict flow_backpressure(const DriverSpec& d) {
  nlohmann::json routes = nlohmann::json::array();
  // The paused body's size depends on the window the driver declares (known at hello).
  routes.push_back(
      route("/paused/{n}",
            {{"status", 200}, {"body", {{"random_bytes", "{n}"}, {"seed", kPausedSeed}}}}));
  routes.push_back(random_route("/sibling", kSiblingBytes, kSiblingSeed));
  return judge_on(
      d, flow_scenario("flow-backpressure", nlohmann::json(), nlohmann::json::array(), routes),
      backpressure_steps);
}

}  // namespace faultline::conformance::detail
