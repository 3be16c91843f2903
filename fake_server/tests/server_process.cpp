#include "server_process.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace faultline::fake_server::testing {

namespace {

using Clock = std::chrono::steady_clock;

/** Forks and execs argv; stdin/stdout/stderr from the given fds (-1: /dev/null). */
pid_t spawn(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd) {
  std::vector<char*> args;
  for (const auto& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(in_fd >= 0 ? in_fd : null_fd, 0);
    ::dup2(out_fd >= 0 ? out_fd : null_fd, 1);
    ::dup2(err_fd >= 0 ? err_fd : null_fd, 2);
    // A new process group, so that killing it takes its children too.
    ::setpgid(0, 0);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  return pid;
}

/** Reaps pid within the deadline; -1 when it had to be killed. */
int reap(pid_t pid, Clock::time_point deadline) {
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (done < 0) {
      return -1;
    }
    if (Clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(5ms);
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds deadline) {
  BackgroundCommand command(argv, deadline);
  return command.wait();
}

struct BackgroundCommand::State {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
  Clock::time_point deadline;
  bool waited = false;
  CommandResult result;
};

BackgroundCommand::BackgroundCommand(std::vector<std::string> argv,
                                     std::chrono::milliseconds deadline)
    : state_(std::make_unique<State>()) {
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return;
  }
  state_->deadline = Clock::now() + deadline;
  state_->pid = spawn(argv, -1, out[1], err[1]);
  ::close(out[1]);
  ::close(err[1]);
  state_->out_fd = out[0];
  state_->err_fd = err[0];
}

BackgroundCommand::~BackgroundCommand() {
  // Not waited for (a test failed early): end it now rather than at its deadline.
  if (!state_->waited && state_->pid > 0) {
    ::kill(-state_->pid, SIGKILL);
    ::kill(state_->pid, SIGKILL);
  }
  (void)wait();
}

CommandResult BackgroundCommand::wait() {
  State& s = *state_;
  if (s.waited || s.pid < 0) {
    return s.result;
  }
  s.waited = true;
  std::array<char, 65536> buffer;
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(s.deadline - Clock::now());
    if (left.count() <= 0) {
      s.result.timed_out = true;
      ::kill(-s.pid, SIGKILL);
      ::kill(s.pid, SIGKILL);
      break;
    }
    pollfd fds[2] = {{out_open ? s.out_fd : -1, POLLIN, 0}, {err_open ? s.err_fd : -1, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(std::min<long>(left.count(), 100))) < 0) {
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
      } else {
        (i == 0 ? s.result.out : s.result.err).append(buffer.data(), static_cast<std::size_t>(n));
      }
    }
  }
  ::close(s.out_fd);
  ::close(s.err_fd);
  s.result.exit_code = reap(s.pid, std::max(s.deadline, Clock::now() + 1s));
  if (s.result.timed_out) {
    s.result.exit_code = -1;
  }
  return s.result;
}

std::unique_ptr<ServerProcess> ServerProcess::start(const std::vector<std::string>& args,
                                                    std::chrono::milliseconds deadline) {
  return start_wrapped({}, args, deadline);
}

std::unique_ptr<ServerProcess> ServerProcess::start_wrapped(const std::vector<std::string>& wrapper,
                                                            const std::vector<std::string>& args,
                                                            std::chrono::milliseconds deadline) {
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  static int counter = 0;
  server->stderr_file_ = std::filesystem::temp_directory_path() /
                         ("faultline-test-server-" + std::to_string(::getpid()) + "-" +
                          std::to_string(counter++) + ".err");
  const int err_fd =
      ::open(server->stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int out[2];
  if (err_fd < 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "cannot set up the server's stdio: " << std::strerror(errno);
    return nullptr;
  }
  std::vector<std::string> argv = wrapper;
  argv.push_back(FAULTLINE_SERVER_BINARY);
  argv.insert(argv.end(), args.begin(), args.end());
  server->pid_ = spawn(argv, -1, out[1], err_fd);
  ::close(out[1]);
  ::close(err_fd);
  server->stdout_fd_ = out[0];

  // The ready line, with a deadline.
  const auto end = Clock::now() + deadline;
  std::string line;
  std::array<char, 4096> buffer;
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    pollfd fd{server->stdout_fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0) {
      ADD_FAILURE() << "no ready line within " << deadline.count() << " ms; stderr:\n"
                    << server->stderr_text();
      return nullptr;
    }
    const ssize_t n = ::read(server->stdout_fd_, buffer.data(), buffer.size());
    if (n <= 0) {
      ADD_FAILURE() << "the server exited before its ready line; stderr:\n"
                    << server->stderr_text();
      return nullptr;
    }
    line.append(buffer.data(), static_cast<std::size_t>(n));
  }
  const std::size_t eol = line.find('\n');
  server->stdout_rest_ = line.substr(eol + 1);
  server->ready_ = nlohmann::json::parse(line.substr(0, eol), nullptr, false);
  if (server->ready_.is_discarded() || server->ready_.value("event", "") != "ready") {
    ADD_FAILURE() << "not a ready line: " << line.substr(0, eol);
    return nullptr;
  }
  return server;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    (void)stop();
  }
  if (stdout_fd_ >= 0) {
    ::close(stdout_fd_);
  }
  std::error_code ignored;
  std::filesystem::remove(stderr_file_, ignored);
}

int ServerProcess::port(const std::string& listener) const {
  const std::string origin = this->origin(listener);
  return std::stoi(origin.substr(origin.rfind(':') + 1));
}

int ServerProcess::stop(std::chrono::milliseconds deadline) {
  if (pid_ <= 0) {
    return -1;
  }
  ::kill(pid_, SIGTERM);
  const int status = reap(pid_, Clock::now() + deadline);
  pid_ = -1;
  return status;
}

std::string ServerProcess::stderr_text() const {
  return read_file(stderr_file_);
}

std::string ServerProcess::extra_stdout() {
  std::array<char, 4096> buffer;
  for (;;) {
    pollfd fd{stdout_fd_, POLLIN, 0};
    if (::poll(&fd, 1, 0) <= 0) {
      break;
    }
    const ssize_t n = ::read(stdout_fd_, buffer.data(), buffer.size());
    if (n <= 0) {
      break;
    }
    stdout_rest_.append(buffer.data(), static_cast<std::size_t>(n));
  }
  return stdout_rest_;
}

ServerProcess::Reply ServerProcess::admin_call(const std::string& method, const std::string& path,
                                               const std::string& body) const {
  std::vector<std::string> argv{
      curl(), "-s", "-X", method, "-w", "\n%{http_code}", "-H", "content-type: application/json"};
  std::filesystem::path body_file;
  if (!body.empty()) {
    body_file = write_temp_file("admin-body.json", body);
    argv.insert(argv.end(), {"--data-binary", "@" + body_file.string()});
  }
  argv.push_back(admin() + path);
  const CommandResult result = run_command(argv, 30s);
  Reply reply;
  const std::size_t eol = result.out.rfind('\n');
  if (eol == std::string::npos) {
    ADD_FAILURE() << "admin call " << method << " " << path << " failed: " << result.err;
    return reply;
  }
  reply.status = std::atoi(result.out.c_str() + eol + 1);
  reply.body = nlohmann::json::parse(result.out.substr(0, eol), nullptr, false);
  if (reply.body.is_discarded()) {
    reply.body = nullptr;
  }
  return reply;
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

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
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

::testing::AssertionResult eventually(const std::function<bool()>& pred,
                                      std::chrono::milliseconds deadline, const std::string& what) {
  const auto end = Clock::now() + deadline;
  while (Clock::now() < end) {
    if (pred()) {
      return ::testing::AssertionSuccess();
    }
    std::this_thread::sleep_for(10ms);
  }
  if (pred()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "not within " << deadline.count() << " ms: " << what;
}

}  // namespace faultline::fake_server::testing
