// The libcurl multi driver: what a C++ user would pick instead of our transport.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "faultline/harness/driver.h"
#include "faultline/harness/limits.h"

namespace faultline::harness {

/** How the libcurl driver is configured. */
struct CurlDriverOptions {
  std::filesystem::path ca_file;  ///< CA to trust for https (the server's "ca"); empty = system
  long max_host_connections = kCurlMaxHostConnections;      ///< CURLMOPT_MAX_HOST_CONNECTIONS
  long max_concurrent_streams = kCurlMaxConcurrentStreams;  ///< CURLMOPT_MAX_CONCURRENT_STREAMS
  bool h2 = true;        ///< HTTP/2 over TLS (ALPN), else HTTP/1.1 only
  bool verbose = false;  ///< CURLOPT_VERBOSE into the driver's diagnostics
};

/** Drives libcurl's multi interface: HTTP/2 over TLS with multiplexing
    (CURLPIPE_MULTIPLEX, CURLOPT_PIPEWAIT), at most max_host_connections connections per
    host. One thread of its own runs curl_multi_poll and is woken for new requests and
    aborts; an abort removes the transfer. Body bytes stream as data events. Thread-safe. */
class CurlDriver final : public Driver {
 public:
  explicit CurlDriver(CurlDriverOptions options = {});
  ~CurlDriver() override;

  [[nodiscard]] const DriverInfo& hello() const override;
  std::shared_ptr<Exchange> send(Request request) override;
  void abort(std::uint64_t id) override;
  void pause(std::uint64_t id) override;
  void resume(std::uint64_t id) override;
  /** requests_started/completed/failed/aborted, connections_opened (new connections curl
      made, from CURLINFO_NUM_CONNECTS), in_flight. */
  [[nodiscard]] StatsResult stats(Deadline deadline) override;
  [[nodiscard]] std::string diagnostics() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::harness
