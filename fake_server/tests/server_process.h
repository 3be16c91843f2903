// Integration-test helpers: faultline-server as a child process (ready line read
// with a deadline, always stopped on teardown) and other programs run with a deadline.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace faultline::fake_server::testing {

using namespace std::chrono_literals;

/** What a finished (or killed) command left. */
struct CommandResult {
  int exit_code = -1;  ///< -1 when killed by a signal or the deadline
  bool timed_out = false;
  std::string out;
  std::string err;
};

/** Runs argv (stdin: /dev/null); kills it at the deadline. */
[[nodiscard]] CommandResult run_command(const std::vector<std::string>& argv,
                                        std::chrono::milliseconds deadline = 60s);

/** A command running in the background; joined (or killed at its deadline) by wait().
    Destroyed without wait(), it is killed at once. */
class BackgroundCommand {
 public:
  BackgroundCommand(std::vector<std::string> argv, std::chrono::milliseconds deadline = 60s);
  ~BackgroundCommand();
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;

  /** Waits for the end (at most the deadline given at start). */
  CommandResult wait();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/** A faultline-server child. start() returns once the ready line arrived (or fails
    the test); the destructor stops it with SIGTERM (then SIGKILL) and reaps it. */
class ServerProcess {
 public:
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  /** Starts the server with args and waits for its ready line; nullptr (with a test
      failure recorded) when no ready line came before the deadline. */
  static std::unique_ptr<ServerProcess> start(const std::vector<std::string>& args,
                                              std::chrono::milliseconds deadline = 30s);
  /** The same, with the server's argv preceded by `wrapper` (a program that sets
      something up and execs the rest: resource limits, environment). */
  static std::unique_ptr<ServerProcess> start_wrapped(const std::vector<std::string>& wrapper,
                                                      const std::vector<std::string>& args,
                                                      std::chrono::milliseconds deadline = 30s);

  [[nodiscard]] const nlohmann::json& ready() const { return ready_; }
  [[nodiscard]] std::string https() const { return ready_.value("https", ""); }
  [[nodiscard]] std::string http() const { return ready_.value("http", ""); }
  [[nodiscard]] std::string admin() const { return ready_.value("admin", ""); }
  [[nodiscard]] std::string ca() const { return ready_.value("ca", ""); }
  [[nodiscard]] std::string origin(const std::string& listener) const {
    return ready_["listeners"].value(listener, "");
  }
  [[nodiscard]] int port(const std::string& listener) const;
  [[nodiscard]] pid_t pid() const { return pid_; }

  /** SIGTERM and wait (deadline); the exit status, or -1 when it had to be killed. */
  int stop(std::chrono::milliseconds deadline = 10s);
  /** What the server wrote on stderr so far. */
  [[nodiscard]] std::string stderr_text() const;
  /** Further stdout lines after the ready line (there must be none). */
  [[nodiscard]] std::string extra_stdout();

  /** Admin API call: {status, parsed JSON body (null if not JSON)}. */
  struct Reply {
    int status = 0;
    nlohmann::json body;
  };
  Reply admin_call(const std::string& method, const std::string& path,
                   const std::string& body = {}) const;
  [[nodiscard]] nlohmann::json stats() const { return admin_call("GET", "/v1/stats").body; }

 private:
  ServerProcess() = default;

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::filesystem::path stderr_file_;
  nlohmann::json ready_;
  std::string stdout_rest_;
};

/** A fixture whose suite shares one server (default scenario): only for tests that
    make stateless requests and read no server state. */
class SharedServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = ServerProcess::start({"--scenario", "default"}).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr); }

  inline static ServerProcess* server_ = nullptr;
};

/** Paths and tools given by CMake. */
[[nodiscard]] std::string curl();
[[nodiscard]] std::string node();

/** A scratch file with these contents, in the temp directory. */
[[nodiscard]] std::filesystem::path write_temp_file(const std::string& name,
                                                    const std::string& contents);

/** SHA-256 of bytes, hex. */
[[nodiscard]] std::string sha256_hex(const std::string& bytes);

/** The documented random body: splitmix64 of the seed, little-endian (docs/admin-api.md). */
[[nodiscard]] std::string splitmix_bytes(std::uint64_t seed, std::size_t size);

/** Waits for pred (polling every 10 ms) until the deadline. */
[[nodiscard]] ::testing::AssertionResult eventually(const std::function<bool()>& pred,
                                                    std::chrono::milliseconds deadline,
                                                    const std::string& what);

}  // namespace faultline::fake_server::testing
