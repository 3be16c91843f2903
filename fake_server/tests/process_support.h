// Integration-test support: faultline-server under test through the harness's launcher
// (harness::ServerProcess), other programs through harness::Command, with the deadlines
// these tests use by default.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "faultline/harness/command.h"
#include "faultline/harness/gtest.h"
#include "faultline/harness/server_process.h"

namespace faultline::fake_server::testing {

using namespace std::chrono_literals;

using harness::CommandResult;
using harness::eventually;

/** How long a command may run when a test names no deadline. */
inline constexpr std::chrono::milliseconds kCommandDeadline = std::chrono::seconds{60};

/** Runs argv (stdin at EOF) to its end; kills it at the deadline. */
[[nodiscard]] inline CommandResult run_command(
    std::vector<std::string> argv, std::chrono::milliseconds deadline = kCommandDeadline) {
  return harness::run_command(std::move(argv), deadline);
}

/** A command running in the background whose deadline counts from its start; wait()
    returns its result by then (killing it at the deadline). Destroyed without wait(), it
    is killed at once. */
class BackgroundCommand {
 public:
  explicit BackgroundCommand(std::vector<std::string> argv,
                             std::chrono::milliseconds deadline = kCommandDeadline)
      : command_(std::move(argv)), deadline_(deadline) {}

  CommandResult wait() { return command_.wait(deadline_); }

 private:
  harness::Command command_;
  harness::Deadline deadline_;
};

/** faultline-server under test, started with harness::ServerProcess. start() returns
    once the ready line arrived, or nullptr with a test failure recorded; the destructor
    stops it (SIGTERM, then SIGKILL) and reaps it. */
class TestServer {
 public:
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  /** Starts the server with args and waits for its ready line. */
  static std::unique_ptr<TestServer> start(const std::vector<std::string>& args,
                                           std::chrono::milliseconds deadline = 30s);
  /** The same, with the server's argv preceded by `wrapper` (a program that sets
      something up and execs the rest: resource limits, environment). */
  static std::unique_ptr<TestServer> start_wrapped(const std::vector<std::string>& wrapper,
                                                   const std::vector<std::string>& args,
                                                   std::chrono::milliseconds deadline = 30s);

  [[nodiscard]] harness::ServerProcess& process() { return process_; }
  [[nodiscard]] const nlohmann::json& ready() const { return process_.ready().raw; }
  [[nodiscard]] std::string https() const { return process_.https(); }
  [[nodiscard]] std::string http() const { return process_.http(); }
  [[nodiscard]] std::string admin() const { return process_.ready().admin; }
  [[nodiscard]] std::string ca() const { return process_.ca().string(); }
  /** A named listener's origin; "" when there is none. */
  [[nodiscard]] std::string origin(const std::string& listener) const;
  [[nodiscard]] int port(const std::string& listener) const;
  [[nodiscard]] pid_t pid() const { return process_.pid(); }

  /** SIGTERM and wait; the exit status, or -1 when a signal ended it. */
  int stop();
  /** What the server wrote on stderr so far. */
  [[nodiscard]] std::string stderr_text() const { return process_.stderr_text(); }
  /** Further stdout after the ready line (there must be none). */
  [[nodiscard]] std::string extra_stdout() const { return process_.stdout_after_ready(); }

  /** Admin API call: {status, parsed JSON body (null if none or not JSON)}. */
  struct Reply {
    int status = 0;
    nlohmann::json body;
  };
  Reply admin_call(const std::string& method, const std::string& path,
                   const std::string& body = {}) const;
  [[nodiscard]] nlohmann::json stats() const { return admin_call("GET", "/v1/stats").body; }
  /** Waits (20 s) until `count` requests are held at `gate`; the failure says what was. */
  [[nodiscard]] ::testing::AssertionResult wait_held(const std::string& gate, int count) const;
  /** POST /v1/actions/fire {"name": action}: the reply's body ({"fired": n}). */
  nlohmann::json fire(const std::string& action) const;

 private:
  explicit TestServer(harness::ServerOptions options) : process_(std::move(options)) {}

  harness::ServerProcess process_;
};

/** A fixture whose suite shares one server (default scenario): only for tests that
    make stateless requests and read no server state. */
class SharedServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = TestServer::start({"--scenario", "default"}).release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr); }

  inline static TestServer* server_ = nullptr;
};

/** Paths and tools given by CMake. */
[[nodiscard]] std::string curl();
[[nodiscard]] std::string node();

/** A scratch file with these contents, in the temp directory. */
[[nodiscard]] std::filesystem::path write_temp_file(const std::string& name,
                                                    const std::string& contents);

/** The documented random body: splitmix64 of the seed, little-endian (docs/admin-api.md). */
[[nodiscard]] std::string splitmix_bytes(std::uint64_t seed, std::size_t size);

}  // namespace faultline::fake_server::testing
