// Drives one ProtocolSession (H1Session, H2Session) with fuzz bytes the way a
// connection does, without sockets: a fresh server state per input, the input cut at
// sizes derived from it, output drained, timers run on a virtual clock (bounded), the
// scenario's gates released as the admin API would, then the peer's EOF and the close.
// Afterwards no stream may still be parked at a gate.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "detail/server_context.h"
#include "detail/session.h"
#include "faultline/scenarios/loader.h"
#include "fuzz_logging.h"
#include "session_harness.h"

namespace faultline::fake_server::fuzz {

/** Bounds that keep one input fast: timer rounds per phase, output bytes in all
    (a /bytes/{n} response with a large n is cut there, as a slow reader would). */
inline constexpr int kMaxPumpRounds = 64;
inline constexpr std::size_t kMaxOutputBytes = 2 << 20;
inline constexpr std::size_t kOutputChunkBytes = 64 * 1024;
inline constexpr std::size_t kMaxPieceBytes = 97;

/** The built-in scenario the sessions serve, loaded once. */
inline const scenarios::Scenario& default_scenario() {
  static const scenarios::Scenario scenario = scenarios::load_builtin_scenario("default");
  return scenario;
}

/** One input's run of a Session (constructible from a detail::SessionEnv). */
template <class Session>
class SessionFuzzer {
 public:
  SessionFuzzer(std::string listener, bool tls)
      : context_(default_scenario()),
        stats_(context_.stats.open_connection(listener, tls)),
        session_(std::make_unique<Session>(
            detail::SessionEnv{context_, host_, stats_, std::move(listener)})) {
    quiet_logs();
    context_.origins.emplace("main", "https://127.0.0.1:1");
    context_.origins.emplace("plain", "http://127.0.0.1:2");
    context_.origins.emplace("h1only", "https://127.0.0.1:3");
    session_->start();
  }

  /** Feeds `bytes` as a peer would, cut at pseudo-random sizes seeded by the bytes'
      length, draining output and running what is due between pieces. */
  void feed(std::span<const std::uint8_t> bytes) {
    std::minstd_rand rng(static_cast<std::uint32_t>(bytes.size()) + 1);
    std::size_t at = 0;
    while (at < bytes.size() && !session_->should_close()) {
      const std::size_t n = std::min<std::size_t>(
          std::uniform_int_distribution<std::size_t>(1, kMaxPieceBytes)(rng), bytes.size() - at);
      session_->on_input(bytes.subspan(at, n));
      at += n;
      drain();
      host_.run_ready();
    }
  }

  /** Runs the rest of the exchange: timers (virtual time), gate releases, the peer's
      EOF, the close; then checks that nothing stayed parked at a gate. */
  void finish() {
    pump();
    for (const auto& route : default_scenario().routes) {
      if (route.respond.hold) {
        context_.gates.release(*route.respond.hold, std::nullopt);
      }
    }
    pump();
    session_->on_peer_closed();
    pump();
    session_->on_closed("fuzz input done");
    for (const auto& route : default_scenario().routes) {
      if (route.respond.hold && context_.gates.held(*route.respond.hold) != 0) {
        std::fprintf(stderr, "fuzz: %zu stream(s) still held at gate \"%s\" after close\n",
                     context_.gates.held(*route.respond.hold), route.respond.hold->c_str());
        std::abort();
      }
    }
  }

 private:
  /** Takes the session's output until it has none or the budget is spent. */
  bool drain() {
    bool any = false;
    while (output_bytes_ < kMaxOutputBytes) {
      out_.clear();
      session_->produce_output(out_, kOutputChunkBytes);
      if (out_.empty()) {
        break;
      }
      output_bytes_ += out_.size();
      any = true;
    }
    return any;
  }

  /** Output, posted work and timers until nothing moves or the round budget is spent. */
  void pump() {
    for (int round = 0; round < kMaxPumpRounds; ++round) {
      const bool wrote = drain();
      const bool ran = host_.run_ready();
      if (!wrote && !ran && !host_.advance()) {
        return;
      }
    }
  }

  detail::ServerContext context_;
  testing::FakeHost host_;
  std::shared_ptr<detail::ConnectionStats> stats_;
  std::unique_ptr<Session> session_;
  std::vector<std::uint8_t> out_;
  std::size_t output_bytes_ = 0;
};

}  // namespace faultline::fake_server::fuzz
