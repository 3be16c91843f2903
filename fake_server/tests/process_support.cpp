#include "process_support.h"

#include <unistd.h>

#include <atomic>
#include <fstream>

#include "faultline/harness/errc.h"

namespace faultline::fake_server::testing {
namespace {

/** Admin calls of these tests may wait on a loaded machine. */
constexpr std::chrono::milliseconds kAdminTimeout = std::chrono::seconds{30};
/** How long a stopping server may take after SIGTERM. */
constexpr std::chrono::milliseconds kStopTimeout = std::chrono::seconds{10};

}  // namespace

std::unique_ptr<TestServer> TestServer::start(const std::vector<std::string>& args,
                                              std::chrono::milliseconds deadline) {
  return start_wrapped({}, args, deadline);
}

std::unique_ptr<TestServer> TestServer::start_wrapped(const std::vector<std::string>& wrapper,
                                                      const std::vector<std::string>& args,
                                                      std::chrono::milliseconds deadline) {
  harness::ServerOptions options;
  options.binary = FAULTLINE_SERVER_BINARY;
  options.wrapper = wrapper;
  options.args = args;
  options.ready_timeout = deadline;
  options.stop_timeout = kStopTimeout;
  // Whole logs: some tests look for one line among many.
  options.stderr_limit = harness::kCommandStderrLimit;
  try {
    return std::unique_ptr<TestServer>(new TestServer(std::move(options)));
  } catch (const harness::HarnessError& e) {
    ADD_FAILURE() << e.what();
    return nullptr;
  }
}

std::string TestServer::origin(const std::string& listener) const {
  const auto& listeners = process_.ready().listeners;
  const auto it = listeners.find(listener);
  return it == listeners.end() ? std::string() : it->second;
}

int TestServer::port(const std::string& listener) const {
  const std::string origin = this->origin(listener);
  return std::stoi(origin.substr(origin.rfind(':') + 1));
}

int TestServer::stop() {
  return process_.stop().exit_code;
}

TestServer::Reply TestServer::admin_call(const std::string& method, const std::string& path,
                                         const std::string& body) const {
  harness::AdminClient client = process_.admin();
  client.set_timeout(kAdminTimeout);
  const harness::AdminResponse response =
      body.empty() ? client.call(method, path) : client.call(method, path, body);
  Reply reply;
  if (response.status == 0) {
    ADD_FAILURE() << "admin call " << method << " " << path << " failed: " << response.error;
    return reply;
  }
  reply.status = response.status;
  reply.body = response.error.empty() ? response.body : nlohmann::json(nullptr);
  return reply;
}

::testing::AssertionResult TestServer::wait_held(const std::string& gate, int count) const {
  return eventually(
      [&]() -> ::testing::AssertionResult {
        const nlohmann::json gates = admin_call("GET", "/v1/gates").body;
        const nlohmann::json state =
            gates.is_object() && gates.contains("gates") && gates["gates"].contains(gate)
                ? gates["gates"][gate]
                : nlohmann::json();
        if (state.is_object() && state.value("held", -1) == count) {
          return ::testing::AssertionSuccess();
        }
        return ::testing::AssertionFailure() << "gate " << gate << ": " << state.dump();
      },
      std::chrono::seconds{20}, gate + " holding " + std::to_string(count));
}

nlohmann::json TestServer::fire(const std::string& action) const {
  return admin_call("POST", "/v1/actions/fire", nlohmann::json({{"name", action}}).dump()).body;
}

std::string curl() {
  return FAULTLINE_CURL;
}
std::string node() {
  return FAULTLINE_NODE;
}

std::filesystem::path write_temp_file(const std::string& name, const std::string& contents) {
  static std::atomic<int> counter{0};
  const auto path =
      std::filesystem::temp_directory_path() / ("faultline-test-" + std::to_string(::getpid()) +
                                                "-" + std::to_string(counter++) + "-" + name);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

std::string splitmix_bytes(std::uint64_t seed, std::size_t size) {
  std::string out;
  out.reserve(size + 8);
  std::uint64_t state = seed;
  while (out.size() < size) {
    state += 0x9e3779b97f4a7c15ull;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    for (int i = 0; i < 8; ++i) {
      out += static_cast<char>((z >> (8 * i)) & 0xff);
    }
  }
  out.resize(size);
  return out;
}

}  // namespace faultline::fake_server::testing
