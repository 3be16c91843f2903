// The conformance driver over Faultline's own transport (faultline::transport::Client).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "faultline/harness/driver.h"
#include "faultline/transport/stats.h"
#include "faultline/transport/testing/defects.h"

namespace faultline::conformance {

/** How the transport driver builds its Client. */
struct TransportDriverOptions {
  std::filesystem::path ca_file;    ///< the server's CA (ready line "ca")
  std::size_t max_sessions = 4;     ///< Options::max_sessions_per_origin
  std::uint32_t max_streams = 100;  ///< Options::max_streams_per_session
  bool force_http1 = false;         ///< the HTTP/1.1 fallback path only
  std::chrono::milliseconds idle_timeout{60'000};
  /** Test-only defects to inject (proof tests); none by default. */
  transport::testing::Defects defects;
};

/** A harness::Driver over transport::Client: requests map to transport requests, their
    callbacks to exchange events, errc values to error kinds. Thread-safe. */
class TransportDriver final : public harness::Driver {
 public:
  explicit TransportDriver(TransportDriverOptions options);
  ~TransportDriver() override;

  [[nodiscard]] const harness::DriverInfo& hello() const override;
  std::shared_ptr<harness::Exchange> send(harness::Request request) override;
  void abort(std::uint64_t id) override;
  /** Client::pause / Client::resume of the request's transport id. */
  void pause(std::uint64_t id) override;
  void resume(std::uint64_t id) override;
  /** The transport's Stats as JSON (see transport_stats_json). */
  [[nodiscard]] harness::StatsResult stats(harness::Deadline deadline) override;
  [[nodiscard]] std::string diagnostics() const override;
  [[nodiscard]] std::string label() const override;

  /** The transport's own counters. */
  [[nodiscard]] transport::Stats transport_stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/** Stats as JSON: every counter, closes by reason, per-origin counters. */
[[nodiscard]] nlohmann::json transport_stats_json(const transport::Stats& stats);

}  // namespace faultline::conformance
