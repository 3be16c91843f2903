// A harness::Driver over a transport of one's own: here Faultline's own
// faultline::transport::Client stands in for "your transport". It hands each response on
// as the transport delivers it (headers, each body chunk, end or a typed error), so
// that the checks see streaming bodies stream.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "faultline/harness/driver.h"
#include "faultline/transport/client.h"

namespace consumer {

/** The pool shape MyDriver configures and declares in its hello: the checks judge a
    driver against its own limits. Small, so that saturating it stays cheap. */
inline constexpr std::size_t kMaxSessions = 2;
inline constexpr std::uint32_t kMaxStreams = 16;
/** Idle connections close after this (POOL-IDLE-REAP waits for it, plus slack). */
inline constexpr std::chrono::milliseconds kIdleTimeout{500};

class MyDriver final : public faultline::harness::Driver {
 public:
  /** ca_file: the CA the server announced in its ready line. */
  explicit MyDriver(const std::filesystem::path& ca_file);

  [[nodiscard]] const faultline::harness::DriverInfo& hello() const override { return info_; }
  std::shared_ptr<faultline::harness::Exchange> send(faultline::harness::Request request) override;
  void abort(std::uint64_t id) override;
  /** Receive backpressure: Client::pause / Client::resume (FLOW-BACKPRESSURE). */
  void pause(std::uint64_t id) override;
  void resume(std::uint64_t id) override;
  [[nodiscard]] faultline::harness::StatsResult stats(faultline::harness::Deadline) override;
  [[nodiscard]] std::string diagnostics() const override;

 private:
  faultline::harness::DriverInfo info_;
  std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, faultline::transport::AbortController> aborts_;
  std::map<std::uint64_t, faultline::transport::RequestId> transport_ids_;
  faultline::transport::Client client_;  // last: stopped first, its callbacks see the rest
};

}  // namespace consumer
