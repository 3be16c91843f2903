// Running faultline-server (or any program honouring its ready-line contract) as a child.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/harness/admin_client.h"
#include "faultline/harness/limits.h"

namespace faultline::harness {

/** How to start the server. */
struct ServerOptions {
  /** The binary; empty = default_server_binary(). */
  std::filesystem::path binary;
  /** --scenario FILE|NAME; empty = the server's default. */
  std::string scenario;
  /** Further arguments, appended as given. */
  std::vector<std::string> args;
  /** A program and its arguments that the server is started through and that execs the
      rest (prlimit, env): argv is wrapper + binary + arguments. Empty: none. */
  std::vector<std::string> wrapper;
  /** When set, the server is started with --admin-token and admin() sends it. */
  std::string admin_token;
  std::chrono::milliseconds ready_timeout = kDefaultReadyTimeout;
  std::chrono::milliseconds stop_timeout = kDefaultStopTimeout;
  std::size_t stderr_limit = kDefaultStderrLimit;
};

/** The ready line's content. */
struct ReadyInfo {
  std::string https;         ///< first TLS listener's origin ("" if none)
  std::string http;          ///< first cleartext listener's origin ("" if none)
  std::string admin;         ///< admin API origin
  std::filesystem::path ca;  ///< PEM file of the CA clients must trust ("" if none)
  int pid = 0;
  std::string scenario;
  std::map<std::string, std::string> listeners;  ///< listener name -> origin
  nlohmann::json raw;                            ///< the whole line, for fields added later
};

/** Parses a ready line. Throws HarnessError(bad_ready_line) naming what is wrong. */
[[nodiscard]] ReadyInfo parse_ready_line(std::string_view line);

/** How a stop went. ok = the child exited by itself with status 0 after SIGTERM. */
struct StopResult {
  bool ok = false;
  int exit_code = -1;   ///< exit status, -1 when killed by a signal
  int signal = 0;       ///< the signal that ended it, 0 if it exited
  bool killed = false;  ///< SIGKILL was needed after the stop timeout
  std::string description;
  explicit operator bool() const noexcept { return ok; }
};

/** FAULTLINE_SERVER from the environment, else faultline-server beside the running
    executable, else <installation_prefix()>/bin/faultline-server (install_layout.h),
    else empty. */
[[nodiscard]] std::filesystem::path default_server_binary();

/** A running server child process. The constructor starts it and returns once its ready
    line is parsed; a child that exits first, prints something else, or stays silent past
    the deadline throws HarnessError with its stderr. stderr is captured into a bounded
    buffer for evidence. stop() (or the destructor) sends SIGTERM, waits, and SIGKILLs
    after the stop timeout: no child outlives this object. Not copyable; thread-safe. */
class ServerProcess {
 public:
  explicit ServerProcess(ServerOptions options = {});
  ~ServerProcess();
  ServerProcess(ServerProcess&&) noexcept;
  ServerProcess& operator=(ServerProcess&&) noexcept;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  [[nodiscard]] const ReadyInfo& ready() const noexcept;
  [[nodiscard]] const std::string& https() const noexcept { return ready().https; }
  [[nodiscard]] const std::string& http() const noexcept { return ready().http; }
  [[nodiscard]] const std::filesystem::path& ca() const noexcept { return ready().ca; }
  /** The origin of a named listener; throws std::out_of_range naming it if unknown. */
  [[nodiscard]] const std::string& listener(const std::string& name) const;
  [[nodiscard]] int pid() const noexcept;
  /** A client of this server's admin API. */
  [[nodiscard]] AdminClient admin() const;
  /** The captured stderr (the most recent stderr_limit bytes). */
  [[nodiscard]] std::string stderr_text() const;
  /** What the server printed on stdout after its ready line (up to stderr_limit bytes;
      faultline-server prints nothing more). */
  [[nodiscard]] std::string stdout_after_ready() const;
  /** Whether the child is still running. */
  [[nodiscard]] bool running() const;
  /** SIGTERM, wait up to the stop timeout, SIGKILL after it. Idempotent: a second call
      returns the first result. */
  StopResult stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::harness
