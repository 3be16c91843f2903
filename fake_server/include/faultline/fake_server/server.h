// The fake server as a library: bind the scenario's listeners and the admin API,
// announce them, serve until stopped. faultline-server is a thin CLI around it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultline/fake_server/errc.h"
#include "faultline/scenarios/scenario.h"

namespace faultline::fake_server {

/** The user's own certificate (--cert/--key/--ca). */
struct CertFiles {
  std::filesystem::path cert;
  std::filesystem::path key;
  std::optional<std::filesystem::path> ca;  ///< unset: clients trust the certificate itself
};

/// Defaults of Options (docs/admin-api.md, "Command line").
inline constexpr std::chrono::milliseconds kDefaultAdminIdleTimeout{30'000};
inline constexpr std::size_t kDefaultMaxConnections = 10'000;
inline constexpr std::size_t kDefaultMaxHeldStreams = 10'000;
inline constexpr std::size_t kDefaultAdminMaxConnections = 64;

/** How to run a server. */
struct Options {
  scenarios::Scenario scenario;
  std::string listen_host = "127.0.0.1";  ///< every listener binds this address
  std::uint16_t listen_port = 0;          ///< the first listener's port; the others get port 0
  std::string admin_host = "127.0.0.1";   ///< not loopback: only with admin_token
  std::uint16_t admin_port = 0;
  /** When set, every admin call needs "Authorization: Bearer <admin_token>". */
  std::string admin_token;
  /** An admin connection that sends no complete request for this long is closed. */
  std::chrono::milliseconds admin_idle_timeout = kDefaultAdminIdleTimeout;
  /** Admin connections open at once; above it new ones are closed at accept. 0: no cap. */
  std::size_t admin_max_connections = kDefaultAdminMaxConnections;
  /** Connections open at once; above it new ones are closed at accept. 0: no cap. */
  std::size_t max_connections = kDefaultMaxConnections;
  /** Streams held at gates over the whole server; beyond it 503. 0: no cap. */
  std::size_t max_held_streams = kDefaultMaxHeldStreams;
  unsigned threads = 1;                 ///< I/O threads (each connection on its own strand)
  std::optional<CertFiles> cert_files;  ///< unset: a CA and leaf are generated at start
  /** Where ca.pem, cert.pem and key.pem (0600) are written; unset: a private temporary
      directory, removed when the server is destroyed. */
  std::optional<std::filesystem::path> cert_dir;
  bool stop_on_signals = false;  ///< SIGTERM/SIGINT make run() return
};

/** What the ready line announces (docs/admin-api.md). */
struct ReadyInfo {
  std::string https;  ///< first TLS listener's origin, empty when none
  std::string http;   ///< first cleartext listener's origin, empty when none
  std::string admin;  ///< the admin API's origin
  std::string ca;     ///< path of the CA certificate clients should trust
  long pid = 0;
  std::string scenario;
  std::vector<std::pair<std::string, std::string>> listeners;  ///< name -> origin, scenario order
};

/** The one-line JSON ready event (no trailing newline). */
[[nodiscard]] std::string ready_line(const ReadyInfo& info);

/** A running fake server. Construction binds every socket (or throws ServerError);
    run() serves on the calling thread plus threads-1 more until stop(). Not copyable;
    stop() is thread safe, everything else is for the owning thread. */
class Server {
 public:
  explicit Server(Options options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] const ReadyInfo& ready() const noexcept;
  /** Serves until stop() (or a signal when stop_on_signals); then returns. */
  void run();
  /** Graceful stop: stop accepting, GOAWAY / close every connection, return from run(). */
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::fake_server
