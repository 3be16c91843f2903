#include "support/peers.h"

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace faultline::transport::testing_support {

namespace fs = std::filesystem;

namespace {

/** Runs a command line, throwing when it fails. */
void run(const std::string& command) {
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("failed: " + command);
  }
}

/** Removes the generated files when the test process exits. */
struct TlsDirCleanup {
  fs::path dir;
  ~TlsDirCleanup() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

}  // namespace

const TlsFiles& TlsFiles::shared() {
  static const TlsFiles files = [] {
    TlsFiles f;
    std::string pattern = (fs::temp_directory_path() / "faultline-transport-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    f.dir = pattern;
    f.key = f.dir / "key.pem";
    f.cert = f.dir / "cert.pem";
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
        "/CN=localhost"
        " -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' -keyout '" +
        f.key.string() + "' -out '" + f.cert.string() + "' 2>/dev/null");
    return f;
  }();
  static const TlsDirCleanup cleanup{files.dir};
  return files;
}

Options trusting_options(std::size_t sessions, std::uint32_t streams) {
  Options options;
  options.max_sessions_per_origin = sessions;
  options.max_streams_per_session = streams;
  options.tls.ca_file = TlsFiles::shared().cert.string();
  options.connect_timeout = 5s;
  options.request_timeout = 20s;
  return options;
}

NodePeer::NodePeer(const std::string& mode, int max_streams) {
  const auto& tls = TlsFiles::shared();
  process_ = std::make_unique<ChildProcess>(std::vector<std::string>{
      "node", FAULTLINE_TRANSPORT_PEER_JS, "--key", tls.key.string(), "--cert", tls.cert.string(),
      "--mode", mode, "--max-streams", std::to_string(max_streams)});
  const auto line = process_->read_line(15s);
  if (!line) {
    throw std::runtime_error("peer.js printed no ready line within 15 s");
  }
  port_ = nlohmann::json::parse(*line).at("port").get<int>();
}

nlohmann::json NodePeer::control(const std::string& path) const {
  // A fresh HTTP/1.1 client each time: never shares sessions with the client under test.
  Options options = trusting_options();
  options.force_http1 = true;
  Client client(options);
  const auto result = fetch(client, url(path), 10s);
  if (!result.ok()) {
    throw std::runtime_error("peer control " + path + ": " + result.error.message() + " " +
                             result.detail);
  }
  return nlohmann::json::parse(result.response.body);
}

Nghttpd::Nghttpd(const fs::path& docroot, int max_streams, bool echo_upload) {
  const auto& tls = TlsFiles::shared();
  // nghttpd cannot bind port 0: pick a free port and retry if another process won it.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = pick_free_port();
    std::vector<std::string> argv{
        "nghttpd", "-a", "127.0.0.1", "-d", docroot.string(), "-m", std::to_string(max_streams)};
    if (echo_upload) {
      argv.emplace_back("--echo-upload");
    }
    argv.insert(argv.end(), {std::to_string(port_), tls.key.string(), tls.cert.string()});
    process_ = std::make_unique<ChildProcess>(argv, "/dev/null");
    if (wait_for_port(port_, 10s) && process_->running()) {
      return;
    }
    process_.reset();
  }
  throw std::runtime_error("nghttpd did not start");
}

::testing::AssertionResult await(std::future<Result>& future, Result& out,
                                 std::chrono::milliseconds timeout) {
  if (future.wait_for(timeout) != std::future_status::ready) {
    return ::testing::AssertionFailure() << "no completion within " << timeout.count() << " ms";
  }
  out = future.get();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult eventually(const std::function<bool()>& condition,
                                      const std::string& what, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return ::testing::AssertionSuccess();
    }
    // Polling state owned by another process or thread; bounded by the deadline.
    std::this_thread::sleep_for(5ms);
  }
  return ::testing::AssertionFailure() << "not true within " << timeout.count() << " ms: " << what;
}

Result fetch(Client& client, const std::string& url, std::chrono::milliseconds timeout) {
  Request request;
  request.url = url;
  request.timeout = timeout;
  auto future = client.send(std::move(request));
  Result result;
  if (!await(future, result, timeout + 5s)) {
    result.error = make_error_code(errc::timeout);
    result.detail = "test wait expired";
  }
  return result;
}

}  // namespace faultline::transport::testing_support
