// A child process with piped stdin/stdout/stderr, driven by its own I/O thread.
// Boost.Process v2 and Asio stay inside child_process.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/harness/deadline.h"

namespace faultline::harness::detail {

/** How a child ended. */
struct ExitStatus {
  int code = -1;        ///< exit status, -1 when ended by a signal
  int signal = 0;       ///< terminating signal, 0 when it exited
  bool killed = false;  ///< we had to send SIGKILL

  [[nodiscard]] bool clean() const noexcept { return code == 0 && signal == 0; }
  /** "exited with status 3", "killed by signal 9 (SIGKILL)". */
  [[nodiscard]] std::string describe() const;
};

struct ChildOptions {
  std::filesystem::path program;  ///< absolute, or a bare name searched in PATH
  std::vector<std::string> args;
  std::size_t stderr_limit = 0;
  std::size_t max_line = 0;
};

/** Called on the child's I/O thread. on_line gets every stdout line without its newline
    (and an unterminated last line at EOF); when on_bytes is set instead, it gets stdout
    as it arrives, unsplit (a program whose output is bytes, not lines). on_exit fires
    once, after the child was reaped and its stdout/stderr drained (or kExitDrainGrace
    passed), so stdout and stderr are complete. */
struct ChildCallbacks {
  std::function<void(std::string&& line)> on_line;
  std::function<void(std::string_view bytes)> on_bytes;
  std::function<void(const std::string& problem)> on_stdout_problem;
  std::function<void(const ExitStatus& status)> on_exit;
};

/** Owns one child process. The destructor kills a child still running (SIGKILL), reaps
    it and joins the I/O thread: no process and no callback outlives this object.
    Callbacks must not destroy the ChildProcess. Thread-safe. */
class ChildProcess {
 public:
  /** Starts the program; throws HarnessError(spawn_failed) naming it and the reason. */
  ChildProcess(ChildOptions options, ChildCallbacks callbacks);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] int pid() const noexcept;
  /** Queues bytes for stdin; dropped silently once stdin is closed or broken. */
  void write(std::string data);
  /** Closes stdin after the queued writes. */
  void close_stdin();
  /** Sends a signal (through a pidfd: never to a recycled pid); no-op once reaped. */
  void signal(int signo);
  /** Waits until on_exit has fired (or would have); nullopt at the deadline. */
  [[nodiscard]] std::optional<ExitStatus> wait_exit(Deadline deadline);
  [[nodiscard]] std::optional<ExitStatus> exit_status() const;
  /** SIGTERM, wait `grace`, then SIGKILL and wait; the final status (killed set if so). */
  ExitStatus terminate(std::chrono::milliseconds grace);
  /** The captured stderr: its most recent stderr_limit bytes, with a note if cut. */
  [[nodiscard]] std::string stderr_text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/** The program's absolute path: itself if it contains a '/', else searched in PATH.
    Empty when not found. */
[[nodiscard]] std::filesystem::path resolve_program(const std::filesystem::path& program);

}  // namespace faultline::harness::detail
