// Independent peers for integration tests: a Node TLS server under our control
// (tests/peers/peer.js), nghttpd, and the project's faultline-server when built.
// Every one binds 127.0.0.1 on a port chosen at run time.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "faultline/harness/command.h"
#include "faultline/harness/gtest.h"
#include "faultline/transport/client.h"

namespace faultline::transport::testing_support {

using namespace std::chrono_literals;

using harness::eventually;

/** True when `program` is found in PATH. */
bool in_path(const std::string& program);

/** A port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close), for
    peers that cannot bind port 0 themselves. */
int pick_free_port();

/** True when a TCP connect to 127.0.0.1:port succeeds before `timeout`. */
bool wait_for_port(int port, std::chrono::milliseconds timeout);

/** A self-signed P-256 certificate for localhost/127.0.0.1 made with the openssl CLI,
    once per test process, in a temporary directory removed at exit. */
struct TlsFiles {
  std::filesystem::path dir;
  std::filesystem::path key;
  std::filesystem::path cert;
  /** Throws std::runtime_error when openssl fails. */
  static const TlsFiles& shared();
};

/** Skips the current test when `program` is not installed. */
#define FAULTLINE_REQUIRE_PROGRAM(program)                              \
  do {                                                                  \
    if (!::faultline::transport::testing_support::in_path(program)) {   \
      GTEST_SKIP() << program << " is not installed (see ./faultline)"; \
    }                                                                   \
  } while (0)

/** tests/peers/peer.js on Node. */
class NodePeer {
 public:
  /** mode: h2, h1, refuse-h2, none. Throws std::runtime_error when it does not start. */
  explicit NodePeer(const std::string& mode, int max_streams = 100);
  [[nodiscard]] std::string origin() const { return "https://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::string url(const std::string& path) const { return origin() + path; }
  [[nodiscard]] int port() const noexcept { return port_; }
  /** GET a control path (/stats, /admin/..., /release/...) over a separate HTTP/1.1 client. */
  nlohmann::json control(const std::string& path) const;
  [[nodiscard]] nlohmann::json stats() const { return control("/stats"); }

 private:
  std::unique_ptr<harness::Command> process_;
  int port_ = 0;
};

/** nghttpd serving `docroot` over TLS (h2 only). */
class Nghttpd {
 public:
  explicit Nghttpd(const std::filesystem::path& docroot, int max_streams = 100,
                   bool echo_upload = false);
  [[nodiscard]] std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::unique_ptr<harness::Command> process_;
  int port_ = 0;
};

/** Options trusting TlsFiles::shared(), with test-friendly timeouts and a pool of
    `sessions` x `streams`. */
Options trusting_options(std::size_t sessions = 4, std::uint32_t streams = 100);

/** Waits for a future with a deadline; fails the assertion with what it saw. */
::testing::AssertionResult await(std::future<Result>& future, Result& out,
                                 std::chrono::milliseconds timeout = 20s);

/** A GET through `client`, waited for. */
Result fetch(Client& client, const std::string& url, std::chrono::milliseconds timeout = 20s);

/** `count` GETs of `url` sent at once (each with `timeout`), then waited for in order; a
    wait that expires reads as a timeout, as in fetch(). */
std::vector<Result> fetch_all(Client& client, const std::string& url, int count,
                              std::chrono::milliseconds timeout = 20s);

}  // namespace faultline::transport::testing_support
