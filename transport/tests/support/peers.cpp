#include "support/peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>

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

/** Whether a TCP connect to 127.0.0.1:port succeeds now. */
bool port_accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  if (fd >= 0) {
    ::close(fd);
  }
  return ok;
}

}  // namespace

bool in_path(const std::string& program) {
  return !harness::find_program(program).empty();
}

int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    throw std::runtime_error("cannot bind a port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
  // The peer is starting; there is no event to wait on from outside its process.
  return static_cast<bool>(eventually([port] { return port_accepts(port); }, timeout,
                                      "127.0.0.1:" + std::to_string(port) + " accepts"));
}

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
  process_ = std::make_unique<harness::Command>(std::vector<std::string>{
      "node", FAULTLINE_TRANSPORT_PEER_JS, "--key", tls.key.string(), "--cert", tls.cert.string(),
      "--mode", mode, "--max-streams", std::to_string(max_streams)});
  const auto line = process_->read_line(15s);
  if (!line) {
    throw std::runtime_error("peer.js printed no ready line within 15 s; its stderr: " +
                             process_->stderr_text());
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
    process_ = std::make_unique<harness::Command>(argv);
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

std::vector<Result> fetch_all(Client& client, const std::string& url, int count,
                              std::chrono::milliseconds timeout) {
  std::vector<std::future<Result>> futures;
  futures.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    Request request;
    request.url = url;
    request.timeout = timeout;
    futures.push_back(client.send(std::move(request)));
  }
  std::vector<Result> results(futures.size());
  for (std::size_t i = 0; i < futures.size(); ++i) {
    if (!await(futures[i], results[i], timeout + 5s)) {
      results[i].error = make_error_code(errc::timeout);
      results[i].detail = "test wait expired";
    }
  }
  return results;
}

}  // namespace faultline::transport::testing_support
