#include "support/nghttpd_peer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "detail/child_process.h"
#include "faultline/harness/gtest.h"

namespace faultline::harness::testing {
namespace {

using namespace std::chrono_literals;

/** Runs a program to completion; throws with its stderr when it fails. */
void run(const std::string& program, std::vector<std::string> args) {
  detail::ChildProcess child({program, std::move(args), 64 * 1024, 1 << 20}, {});
  const auto status = child.wait_exit(30s);
  if (!status || !status->clean()) {
    throw std::runtime_error(program + " failed (" + (status ? status->describe() : "timeout") +
                             "): " + child.stderr_text());
  }
}

void write_file(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    throw std::runtime_error("cannot write " + file.string());
  }
}

std::set<unsigned long> socket_inodes(int pid) {
  std::set<unsigned long> inodes;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    const auto target = std::filesystem::read_symlink(entry.path(), ec).string();
    if (target.rfind("socket:[", 0) == 0) {
      inodes.insert(std::stoul(target.substr(8)));
    }
  }
  return inodes;
}

}  // namespace

int listening_port(int pid) {
  const auto inodes = socket_inodes(pid);
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/" + table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
      unsigned long inode = 0;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (state == "0A" && inodes.count(inode) != 0) {
        return std::stoi(local.substr(local.find(':') + 1), nullptr, 16);
      }
    }
  }
  return 0;
}

struct NghttpdPeer::Child {
  std::mutex mutex;
  std::condition_variable cv;
  bool listening = false;
  std::unique_ptr<detail::ChildProcess> process;
};

std::string NghttpdPeer::hello_body() {
  return "hello from nghttpd\n";
}

std::string NghttpdPeer::megabyte_body() {
  std::string bytes(1 << 20, '\0');
  std::uint32_t x = 2463534242u;  // xorshift32: deterministic, incompressible enough
  for (auto& b : bytes) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<char>(x & 0xff);
  }
  return bytes;
}

NghttpdPeer::NghttpdPeer() : child_(std::make_unique<Child>()) {
  std::string templ =
      (std::filesystem::temp_directory_path() / "faultline-nghttpd-XXXXXX").string();
  if (!::mkdtemp(templ.data())) {
    throw std::runtime_error("mkdtemp failed");
  }
  dir_ = templ;
  std::filesystem::create_directories(dir_ / "www");
  run("openssl",
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
       (dir_ / "key.pem").string(), "-out", (dir_ / "cert.pem").string(), "-days", "2", "-subj",
       "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"});
  write_file(dir_ / "www" / "hello.txt", hello_body());
  write_file(dir_ / "www" / "1m.bin", megabyte_body());
  write_file(dir_ / "www" / "huge.bin", "");
  std::filesystem::resize_file(dir_ / "www" / "huge.bin", 4ull << 30);  // sparse

  detail::ChildCallbacks callbacks;
  callbacks.on_line = [child = child_.get()](std::string&& line) {
    // -v prints "IPv4: listen 127.0.0.1:0" once the socket listens (then every frame).
    if (line.find(": listen ") == std::string::npos) {
      return;
    }
    std::lock_guard lock(child->mutex);
    child->listening = true;
    child->cv.notify_all();
  };
  child_->process = std::make_unique<detail::ChildProcess>(
      detail::ChildOptions{
          "nghttpd",
          {"-v", "--address=127.0.0.1", "-d", (dir_ / "www").string(), "--echo-upload", "0",
           (dir_ / "key.pem").string(), (dir_ / "cert.pem").string()},
          64 * 1024,
          1 << 20},
      std::move(callbacks));
  {
    std::unique_lock lock(child_->mutex);
    if (!child_->cv.wait_for(lock, 20s, [&] { return child_->listening; })) {
      throw std::runtime_error("nghttpd did not start listening: " +
                               child_->process->stderr_text());
    }
  }
  // The kernel's socket table is read after the listen line; poll it with a deadline.
  int port = 0;
  const auto found =
      eventually([&] { return (port = listening_port(child_->process->pid())) != 0; }, 10s,
                 "nghttpd's listening port in /proc");
  if (!found) {
    throw std::runtime_error(found.message());
  }
  origin_ = "https://127.0.0.1:" + std::to_string(port);
}

NghttpdPeer::~NghttpdPeer() {
  if (child_->process) {
    child_->process->terminate(5s);
  }
  child_->process.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string NghttpdPeer::stderr_text() const {
  return child_->process->stderr_text();
}

}  // namespace faultline::harness::testing
