// A child process for integration tests: started with argv, stdout readable line by
// line with a deadline, stopped (SIGTERM, then SIGKILL) on destruction.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace faultline::transport::testing_support {

class ChildProcess {
 public:
  /** Starts argv[0] (searched in PATH) with stdout piped to us and stderr to `stderr_file`
      (or inherited when empty). Throws std::runtime_error when it cannot start. */
  explicit ChildProcess(std::vector<std::string> argv, const std::string& stderr_file = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /** The next stdout line (the last one may lack its newline), or nullopt at EOF or
      when `timeout` passes first. */
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  /** True while the child has not exited (reaps it when it has). */
  bool running();
  /** The exit status once the child exits within `timeout` (-signal when killed). */
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  /** SIGTERM, wait up to `grace`, then SIGKILL. Idempotent. */
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
  bool exited_ = false;
  int status_ = 0;
};

/** True when `program` is found in PATH. */
bool in_path(const std::string& program);

/** A port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close). */
int pick_free_port();

/** True when a TCP connect to 127.0.0.1:port succeeds before `timeout`. */
bool wait_for_port(int port, std::chrono::milliseconds timeout);

}  // namespace faultline::transport::testing_support
