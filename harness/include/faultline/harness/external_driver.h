// A driver that is a separate program speaking the JSON-lines driver protocol.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faultline/harness/driver.h"
#include "faultline/harness/limits.h"

namespace faultline::harness {

/** How to start an external driver. */
struct ExternalDriverOptions {
  /** The program; a bare name ("node", "python3") is searched in PATH. */
  std::filesystem::path program;
  std::vector<std::string> args;
  std::chrono::milliseconds hello_timeout = kDefaultHelloTimeout;
  std::chrono::milliseconds shutdown_timeout = kDefaultShutdownTimeout;
  std::size_t stderr_limit = kDefaultStderrLimit;
};

/** Runs a program that speaks docs/driver-protocol.md on its stdin/stdout. The
    constructor starts it and waits for its hello (throws HarnessError naming the fault and
    quoting the driver's stderr). A reader thread routes events to their Exchanges.

    Any protocol violation - a line that is not JSON, an unknown request id, a missing or
    mistyped field, an unknown event, events out of order, an exit - makes the driver
    failed: the program is killed, every request in flight ends with an error event of
    kind driver whose message names the fault and quotes the stderr, and later sends fail
    the same way at once. Nothing waits forever. Thread-safe. */
class ExternalDriver final : public Driver {
 public:
  explicit ExternalDriver(ExternalDriverOptions options);
  /** Sends shutdown, waits shutdown_timeout, then SIGTERM / SIGKILL. */
  ~ExternalDriver() override;

  [[nodiscard]] const DriverInfo& hello() const override;
  std::shared_ptr<Exchange> send(Request request) override;
  void abort(std::uint64_t id) override;
  void pause(std::uint64_t id) override;
  void resume(std::uint64_t id) override;
  [[nodiscard]] StatsResult stats(Deadline deadline) override;
  [[nodiscard]] std::string diagnostics() const override;

  /** The fault that broke the driver, if it broke (message includes stderr). */
  [[nodiscard]] std::optional<std::string> fault() const;
  /** The driver's captured stderr. */
  [[nodiscard]] std::string stderr_text() const;
  /** Asks the driver to exit (shutdown op, then signals); true if it exited with 0 by
      itself. Further sends fail. */
  bool shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/** The Node driver over undici (harness/drivers/node), as ExternalDriverOptions. */
struct NodeDriverConfig {
  /** undici's API layer the driver calls (--api). */
  enum class Api {
    request,  ///< Dispatcher#request, the driver's default
    fetch,    ///< undici's fetch() over the same Agent
  };
  std::filesystem::path ca_file;  ///< --ca
  int connections = 4;            ///< --connections
  int pipelining = 100;           ///< --pipelining
  bool allow_h2 = true;           ///< --allow-h2 / --no-allow-h2
  Api api = Api::request;         ///< --api request|fetch
  /** The driver's directory; empty = <default_data_directory()>/drivers/node. */
  std::filesystem::path directory;
};
[[nodiscard]] ExternalDriverOptions node_driver_options(const NodeDriverConfig& config);

/** The driver over Node's built-in http2 module (harness/drivers/node-http2): one
    session per origin, h2 only, no redirect following. */
struct NodeHttp2DriverConfig {
  std::filesystem::path ca_file;  ///< --ca
  int max_streams = 100;          ///< --max-streams
  /** The driver's directory; empty = <default_data_directory()>/drivers/node-http2. */
  std::filesystem::path directory;
};
[[nodiscard]] ExternalDriverOptions node_http2_driver_options(const NodeHttp2DriverConfig& config);

}  // namespace faultline::harness
