// Fuzz target: the transport's HTTP/2 protocol part (H2Protocol, nghttp2's client
// session and our streams) fed a server's bytes through its socketless seam. The first
// bytes of an input are a plan (how many requests, which carry a body, which are
// cancelled, PINGs), the rest is what the server sends, cut at sizes derived from it.
// Besides crashes and sanitizer reports, a finding is a broken promise of h2_protocol.h:
// a stream reported closed twice or never, an event after the session closed, a
// cancelled stream that ends otherwise than cancelled, a stream left open at the end.
// The corpus: transport/fuzz/make_h2_corpus.py.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "detail/engine.h"
#include "detail/h2_protocol.h"
#include "support/fakes.h"

namespace {

using namespace faultline::transport;
using detail::Exchange;
using detail::Outcome;
using detail::SessionId;

constexpr SessionId kSession = 1;
constexpr std::size_t kPlanBytes = 4;
constexpr std::size_t kMaxRequests = 8;
constexpr std::size_t kMaxPieceBytes = 61;
constexpr std::size_t kMaxOutputBytes = 1 << 20;  ///< what the client writes, in all
constexpr int kMaxDeferredRounds = 64;

/** FAULTLINE_FUZZ_LOG set (to anything): every event the pool hears goes to stderr. */
void trace(const std::string& what) {
  static const bool on = std::getenv("FAULTLINE_FUZZ_LOG") != nullptr;
  if (on) {
    std::fprintf(stderr, "fuzz_h2_protocol: %s\n", what.c_str());
  }
}

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_h2_protocol: %s\n", what.c_str());
  std::abort();
}

/** The connection's side, without a socket. */
class Host final : public detail::H2ProtocolHost {
 public:
  void signal_write() override {}
  void defer(std::function<void()> fn) override { deferred.push_back(std::move(fn)); }
  void on_settled() override {}
  void on_ended() override { ++ended; }

  std::deque<std::function<void()>> deferred;
  int ended = 0;
};

/** The pool's side: checks every event against the protocol's contract. */
class Pool final : public detail::SessionEvents {
 public:
  void on_session_ready(SessionId, std::uint32_t max) override {
    trace("ready, max_concurrent_streams " + std::to_string(max));
    expect_open("ready");
    if (ready) {
      finding("on_session_ready twice");
    }
    ready = true;
  }
  void on_session_settings(SessionId, std::uint32_t max) override {
    trace("settings, max_concurrent_streams " + std::to_string(max));
    expect_open("settings");
    if (!ready) {
      finding("on_session_settings before on_session_ready");
    }
  }
  void on_session_goaway(SessionId, std::int32_t last, std::uint32_t) override {
    trace("goaway, last_stream_id " + std::to_string(last));
    expect_open("goaway");
  }
  void on_stream_closed(SessionId, std::shared_ptr<Exchange> exchange, std::uint32_t,
                        Outcome outcome) override {
    trace("exchange " + std::to_string(exchange->id) + " closed, kind " +
          std::to_string(static_cast<int>(outcome.kind)) + " (" + outcome.detail + "), status " +
          std::to_string(exchange->response.status) + ", " +
          std::to_string(exchange->response.body.size()) + " body bytes");
    expect_open("stream closed");
    if (open.erase(exchange->id) == 0) {
      finding("stream of exchange " + std::to_string(exchange->id) +
              " reported closed twice or never submitted");
    }
    if (cancelled.count(exchange->id) != 0 && outcome.kind != Outcome::Kind::cancelled) {
      finding("cancelled exchange " + std::to_string(exchange->id) + " ended as kind " +
              std::to_string(static_cast<int>(outcome.kind)) + ": " + outcome.detail);
    }
  }
  void on_session_closed(SessionId, CloseReason reason, std::error_code,
                         std::string detail) override {
    trace(std::string("session closed: ") + to_string(reason) + ": " + detail);
    expect_open("session closed");
    if (!open.empty()) {
      finding(std::to_string(open.size()) + " stream(s) still open at on_session_closed");
    }
    closed = true;
  }

  bool ready = false;
  bool closed = false;
  std::set<std::uint64_t> open;       ///< submitted, not yet reported closed
  std::set<std::uint64_t> cancelled;  ///< cancel() was called for these

 private:
  void expect_open(const char* event) const {
    if (closed) {
      finding(std::string(event) + " after on_session_closed");
    }
  }
};

/** What the first bytes of an input ask for. */
struct Plan {
  explicit Plan(std::span<const std::uint8_t> bytes)
      : requests((bytes[0] & 0x7f) % (kMaxRequests + 1)),
        after_settings((bytes[0] & 0x80) != 0),
        with_body(bytes[1]),
        pulled(bytes[2]),
        cancel(bytes[3] & 0x3f),
        ping((bytes[3] & 0x40) != 0),
        close_at_end((bytes[3] & 0x80) != 0) {}

  std::size_t requests;  ///< 0 to 8
  /** Submit once the server's SETTINGS arrived, as the pool does; otherwise before any
      input, so that the server's frames can answer streams that are open whatever the
      cuts (the pool's order, when a piece holds SETTINGS and a response, makes the
      response arrive on an idle stream). */
  bool after_settings;
  std::uint8_t with_body;  ///< bit i: request i is a POST with a body
  std::uint8_t pulled;     ///< bit i: that body is a pull source, not bytes
  std::uint8_t cancel;     ///< bit i: request i is cancelled half way
  bool ping;               ///< keep-alive PINGs half way and at the end
  bool close_at_end;       ///< the owner closes the session instead of losing the transport
};

/** A pull source that has nothing on every other call (the protocol defers), then ends. */
PullSource slow_source(std::size_t total) {
  auto state = std::make_shared<std::pair<std::size_t, bool>>(0, false);
  return [state, total](std::span<char> buffer) {
    auto& [sent, idle] = *state;
    idle = !idle;
    if (idle && sent < total) {
      return PullResult{0, false, false};
    }
    const std::size_t n = std::min(buffer.size(), total - sent);
    std::fill_n(buffer.data(), n, 'b');
    sent += n;
    return PullResult{n, sent == total, false};
  };
}

class Run {
 public:
  Run(const Plan& plan)
      : plan_(plan),
        protocol_(config_, *detail::parse_url("https://fuzz.test/"), kSession, pool_, host_) {}

  void start() {
    protocol_.start();
    if (!protocol_.started()) {
      finding("start() failed");
    }
    step();
  }

  void feed(std::span<const std::uint8_t> bytes) {
    std::minstd_rand rng(static_cast<std::uint32_t>(bytes.size()) + 1);
    std::size_t at = 0;
    bool half_done = false;
    while (at < bytes.size() && !protocol_.dead()) {
      const std::size_t n = std::min<std::size_t>(
          std::uniform_int_distribution<std::size_t>(1, kMaxPieceBytes)(rng), bytes.size() - at);
      protocol_.receive(bytes.subspan(at, n));
      at += n;
      step();
      if (!half_done && at >= bytes.size() / 2) {
        half_done = true;
        half_way();
      }
    }
  }

  void finish() {
    if (plan_.ping) {
      protocol_.on_ping_due();
      protocol_.on_ping_due();  // the first is unanswered by now: the session ends
      step();
    }
    if (plan_.close_at_end && !protocol_.dead()) {
      protocol_.close();
      std::vector<std::uint8_t> out;
      protocol_.final_output(out);
      protocol_.release();
      return;  // the owner closed it: nothing is reported
    }
    protocol_.on_transport_lost("fuzz: end of input");
    step();
    if (!pool_.closed) {
      finding("the session never reported on_session_closed");
    }
    if (host_.ended != 1) {
      finding("on_ended() called " + std::to_string(host_.ended) + " times");
    }
    protocol_.release();
  }

 private:
  /** What the connection and the pool do after each input: write, report, run deferred
      work, submit what the plan still holds once the session is ready. */
  void step() {
    for (int round = 0; round < kMaxDeferredRounds; ++round) {
      // As the connection does: write everything, and when nothing is left to write,
      // end the session if nghttp2 wants neither to read nor to write (after a GOAWAY).
      while (protocol_.started() && !protocol_.dead() && output_bytes_ < kMaxOutputBytes) {
        out_.clear();
        protocol_.produce_output(out_, 64 * 1024);
        output_bytes_ += out_.size();
        if (out_.empty()) {
          protocol_.finish_if_done();
          break;
        }
      }
      protocol_.flush_events();
      if (!protocol_.dead() && (pool_.ready || !plan_.after_settings)) {
        submit_all();
      }
      if (!protocol_.dead() && protocol_.open_streams() != pool_.open.size()) {
        finding("the protocol holds " + std::to_string(protocol_.open_streams()) +
                " streams, the pool " + std::to_string(pool_.open.size()));
      }
      if (host_.deferred.empty() || output_bytes_ > kMaxOutputBytes) {
        return;
      }
      auto deferred = std::move(host_.deferred);
      host_.deferred.clear();
      for (auto& fn : deferred) {
        fn();
      }
    }
  }

  void submit_all() {
    while (exchanges_.size() < plan_.requests) {
      const std::size_t i = exchanges_.size();
      Request request;
      request.url = "https://fuzz.test/r/" + std::to_string(i);
      if ((plan_.with_body >> i & 1U) != 0) {
        request.method = "POST";
        request.body = (plan_.pulled >> i & 1U) != 0
                           ? Body::pull(slow_source(300 + i * 7000))
                           : Body::bytes(std::string(300 + i * 7000, 'a'));
      }
      auto exchange =
          std::make_shared<Exchange>(engine_, i + 1, std::move(request),
                                     *detail::parse_url("https://fuzz.test/r/"), Handlers{});
      exchange->attempt = 1;
      exchanges_.push_back(exchange);
      if (protocol_.submit(exchange)) {
        pool_.open.insert(exchange->id);
      }
    }
  }

  void half_way() {
    for (std::size_t i = 0; i < exchanges_.size(); ++i) {
      if ((plan_.cancel >> i & 1U) != 0 && pool_.open.count(exchanges_[i]->id) != 0) {
        pool_.cancelled.insert(exchanges_[i]->id);
        protocol_.cancel(*exchanges_[i]);
      }
    }
    if (plan_.ping) {
      protocol_.on_ping_due();
    }
    step();
  }

  const Plan& plan_;
  testing_support::ManualScheduler scheduler_;
  detail::Engine engine_{Options{}, scheduler_,
                         [](const detail::Url&, SessionId, detail::SessionEvents&) {
                           return std::unique_ptr<detail::Session>();
                         }};
  detail::H2SessionConfig config_;
  Host host_;
  Pool pool_;
  std::vector<std::shared_ptr<Exchange>> exchanges_;
  std::vector<std::uint8_t> out_;
  std::size_t output_bytes_ = 0;
  detail::H2Protocol protocol_;  // last: destroyed first
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kPlanBytes) {
    return 0;
  }
  const Plan plan({data, kPlanBytes});
  Run run(plan);
  run.start();
  run.feed({data + kPlanBytes, size - kPlanBytes});
  run.finish();
  return 0;
}
