// Programs other than the server as children of a test or a benchmark: a peer, an
// independent client, a tool. The same child-process machinery as ServerProcess.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faultline/harness/deadline.h"
#include "faultline/harness/limits.h"

namespace faultline::harness {

/** What a finished (or killed) command left. */
struct CommandResult {
  int exit_code = -1;      ///< exit status; -1 when a signal ended it (or the deadline)
  int signal = 0;          ///< the signal that ended it, 0 when it exited
  bool timed_out = false;  ///< killed at the deadline of wait()
  std::string out;         ///< its stdout, less what read_line() already took
  std::string err;         ///< its stderr (the most recent CommandOptions::stderr_limit bytes)
  /** "exited with status 3", "killed by signal 9 (SIGKILL) at the deadline". */
  [[nodiscard]] std::string describe() const;
};

/** How to run a command. */
struct CommandOptions {
  /** Bytes of stderr kept (the most recent ones). */
  std::size_t stderr_limit = kCommandStderrLimit;
};

/** A program running as a child process, stdin at EOF (as if from /dev/null), stdout and
    stderr captured byte for byte. The destructor kills a command still running (SIGKILL)
    and reaps it: no child outlives this object. Thread-safe; not copyable. */
class Command {
 public:
  /** Starts argv[0] (a path, or a name searched in PATH) with the rest of argv. Throws
      HarnessError(spawn_failed) naming the program when it cannot start. */
  explicit Command(std::vector<std::string> argv, CommandOptions options = {});
  ~Command();
  Command(Command&&) noexcept;
  Command& operator=(Command&&) noexcept;
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;

  [[nodiscard]] int pid() const noexcept;
  /** The next stdout line without its newline (an unterminated last one at EOF); nullopt
      at EOF or when the deadline passes first. */
  [[nodiscard]] std::optional<std::string> read_line(Deadline deadline);
  /** Whether the program is still running. */
  [[nodiscard]] bool running() const;
  /** Waits until the program ends; at the deadline it is killed (SIGKILL, timed_out).
      Idempotent: a second call returns the first result. */
  CommandResult wait(Deadline deadline);
  /** SIGTERM, then SIGKILL after `grace`; the result, as wait() gives it. */
  CommandResult stop(std::chrono::milliseconds grace = kDefaultStopTimeout);
  /** The stderr captured so far. */
  [[nodiscard]] std::string stderr_text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/** Runs argv to its end, killing it at the deadline. Throws HarnessError(spawn_failed)
    when it cannot start. */
[[nodiscard]] CommandResult run_command(std::vector<std::string> argv, Deadline deadline,
                                        CommandOptions options = {});

/** The program's absolute path: itself if it contains a '/', else searched in PATH.
    Empty when not found. */
[[nodiscard]] std::filesystem::path find_program(const std::filesystem::path& program);

}  // namespace faultline::harness
