#include "detail/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/detail/throw_error.hpp>  // Boost 1.81 process v2 needs it first
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/v2/process.hpp>

#include "faultline/harness/errc.h"
#include "faultline/harness/limits.h"

namespace faultline::harness::detail {
namespace {

namespace asio = boost::asio;
namespace bp2 = boost::process::v2;

using Executor = asio::io_context::executor_type;
using Process = bp2::basic_process<Executor>;

/** A pipe whose ends close on exec; -1 for an end handed over or closed. */
struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw HarnessError(errc::spawn_failed,
                         std::string("cannot create a pipe: ") + std::strerror(errno));
    }
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    close_end(read);
    close_end(write);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  static void close_end(int& fd) {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
  /** Hands the end over (the caller owns it now). */
  static int release(int& fd) { return std::exchange(fd, -1); }
};

/** posix_spawn's file actions and attributes, destroyed with the object. */
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnSetup() {
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

/** Starts `exe` with `args`, its stdio on the three pipes' child ends, and returns its pid.
    posix_spawn, not fork: glibc runs nothing in the child but the file actions and exec
    (no allocation, no lock), where a forked child of this multithreaded process runs
    Asio's fork notifications, which allocate; under ASan such an allocation could wait
    forever on an allocator lock that another thread held at the fork (a harness hang,
    one run in about 60 beside other work). In the child:
    - stdin/stdout/stderr are the pipes, and every other descriptor is closed (a child
      that inherited another child's pipe would keep that pipe open past its end);
    - SIGPIPE is back to its default and no signal is blocked (the harness ignores
      SIGPIPE for its own pipe writes; dispositions and masks would survive exec). */
int spawn_child(const std::filesystem::path& exe, const std::vector<std::string>& args, Pipe& in,
                Pipe& out, Pipe& err) {
  SpawnSetup setup;
  ::posix_spawn_file_actions_adddup2(&setup.actions, in.read, STDIN_FILENO);
  ::posix_spawn_file_actions_adddup2(&setup.actions, out.write, STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&setup.actions, err.write, STDERR_FILENO);
  ::posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  ::posix_spawnattr_setsigmask(&setup.attributes, &none);
  ::posix_spawnattr_setsigdefault(&setup.attributes, &defaults);
  ::posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  // posix_spawn takes char* const[] and writes to none of them.
  const std::string program = exe.string();
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc =
      ::posix_spawn(&pid, program.c_str(), &setup.actions, &setup.attributes, argv.data(), environ);
  if (rc != 0) {
    throw HarnessError(errc::spawn_failed, "cannot start '" + program + "': " + std::strerror(rc));
  }
  // The child has its ends; the parent keeps only its own.
  Pipe::close_end(in.read);
  Pipe::close_end(out.write);
  Pipe::close_end(err.write);
  return pid;
}

void ignore_sigpipe_once() {
  static std::once_flag once;
  // Writing to a child that died must be an EPIPE error, not the end of the harness.
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

ExitStatus status_from_native(int native) {
  ExitStatus s;
  if (WIFEXITED(native)) {
    s.code = WEXITSTATUS(native);
  } else if (WIFSIGNALED(native)) {
    s.signal = WTERMSIG(native);
  }
  return s;
}

}  // namespace

std::string ExitStatus::describe() const {
  std::string out;
  if (signal != 0) {
    const char* abbrev = ::sigabbrev_np(signal);
    out = "killed by signal " + std::to_string(signal) +
          (abbrev ? " (SIG" + std::string(abbrev) + ")" : "");
  } else if (code >= 0) {
    out = "exited with status " + std::to_string(code);
  } else {
    out = "exit status unknown";
  }
  if (killed) {
    out += " after SIGKILL";
  }
  return out;
}

std::filesystem::path resolve_program(const std::filesystem::path& program) {
  const std::string name = program.string();
  if (name.empty()) {
    return {};
  }
  if (name.find('/') != std::string::npos) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(program, ec);
    return ec ? program : abs;
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const auto colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / program;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
      return std::filesystem::absolute(candidate, ec);
    }
    if (colon == std::string_view::npos) {
      break;
    }
    dirs.remove_prefix(colon + 1);
  }
  return {};
}

struct ChildProcess::Impl {
  Impl(ChildOptions opts, ChildCallbacks cbs)
      : options(std::move(opts)), callbacks(std::move(cbs)) {}

  ChildOptions options;
  ChildCallbacks callbacks;

  asio::io_context ctx{1};
  asio::executor_work_guard<Executor> work{ctx.get_executor()};
  asio::writable_pipe in{ctx};
  asio::readable_pipe out{ctx};
  asio::readable_pipe err{ctx};
  asio::steady_timer drain_timer{ctx};
  std::optional<Process> proc;
  int pid = -1;
  int pidfd = -1;
  std::thread thread;

  // I/O thread state.
  std::array<char, 64 * 1024> out_chunk{};
  std::array<char, 16 * 1024> err_chunk{};
  std::string out_line;
  std::size_t out_scanned = 0;
  bool discarding_line = false;
  std::deque<std::string> writes;
  bool writing = false;
  bool close_requested = false;
  bool stdin_closed = false;
  bool out_eof = false, err_eof = false, reaped = false, finished = false;
  ExitStatus reaped_status;

  // Shared state.
  mutable std::mutex mutex;
  std::condition_variable cv;
  std::optional<ExitStatus> status;
  bool killed = false;
  std::string stderr_buf;
  std::size_t stderr_dropped = 0;

  void spawn() {
    ignore_sigpipe_once();
    const auto exe = resolve_program(options.program);
    if (exe.empty()) {
      throw HarnessError(errc::spawn_failed,
                         "cannot start '" + options.program.string() + "': not found in PATH");
    }
    Pipe child_in;
    Pipe child_out;
    Pipe child_err;
    pid = spawn_child(exe, options.args, child_in, child_out, child_err);
    in.assign(Pipe::release(child_in.write));
    out.assign(Pipe::release(child_out.read));
    err.assign(Pipe::release(child_err.read));
    proc.emplace(ctx.get_executor(), pid);
    // Our own pidfd: signals through it can never reach a recycled pid.
    pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    read_out();
    read_err();
    proc->handle().async_wait(
        [this](bp2::error_code wait_ec, int native) { on_reaped(wait_ec, native); });
    thread = std::thread([this] { ctx.run(); });
  }

  void read_out() {
    out.async_read_some(asio::buffer(out_chunk), [this](bp2::error_code ec, std::size_t n) {
      on_out_bytes(std::string_view(out_chunk.data(), n));
      if (ec) {
        if (!out_line.empty() && !discarding_line) {
          deliver_line(std::move(out_line));
        }
        out_line.clear();
        out_eof = true;
        maybe_finish();
        return;
      }
      read_out();
    });
  }

  void on_out_bytes(std::string_view bytes) {
    if (callbacks.on_bytes) {
      if (!bytes.empty()) {
        callbacks.on_bytes(bytes);
      }
      return;
    }
    while (!bytes.empty()) {
      const auto nl = bytes.find('\n');
      const std::string_view piece = bytes.substr(0, nl);
      if (!discarding_line) {
        out_line.append(piece);
      }
      if (nl == std::string_view::npos) {
        if (!discarding_line && out_line.size() > options.max_line) {
          discarding_line = true;
          out_line.clear();
          if (callbacks.on_stdout_problem) {
            callbacks.on_stdout_problem("stdout line longer than " +
                                        std::to_string(options.max_line) + " bytes");
          }
        }
        return;
      }
      if (!discarding_line) {
        deliver_line(std::move(out_line));
      }
      out_line.clear();
      discarding_line = false;
      bytes.remove_prefix(nl + 1);
    }
  }

  void deliver_line(std::string&& line) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (callbacks.on_line) {
      callbacks.on_line(std::move(line));
    }
  }

  void read_err() {
    err.async_read_some(asio::buffer(err_chunk), [this](bp2::error_code ec, std::size_t n) {
      if (n > 0) {
        append_stderr(std::string_view(err_chunk.data(), n));
      }
      if (ec) {
        err_eof = true;
        maybe_finish();
        return;
      }
      read_err();
    });
  }

  void append_stderr(std::string_view bytes) {
    std::lock_guard lock(mutex);
    stderr_buf.append(bytes);
    if (stderr_buf.size() > options.stderr_limit) {
      const auto cut = stderr_buf.size() - options.stderr_limit;
      stderr_buf.erase(0, cut);
      stderr_dropped += cut;
    }
  }

  void on_reaped(bp2::error_code ec, int native) {
    reaped = true;
    reaped_status = ec ? ExitStatus{} : status_from_native(native);
    // Output still buffered in the pipes is read before on_exit, for a while.
    drain_timer.expires_after(kExitDrainGrace);
    drain_timer.async_wait([this](bp2::error_code timer_ec) {
      if (!timer_ec) {
        finish();
      }
    });
    maybe_finish();
  }

  void maybe_finish() {
    if (reaped && out_eof && err_eof) {
      finish();
    }
  }

  void finish() {
    if (finished) {
      return;
    }
    finished = true;
    drain_timer.cancel();
    bp2::error_code ignored;
    out.close(ignored);
    err.close(ignored);
    ExitStatus s = reaped_status;
    {
      std::lock_guard lock(mutex);
      s.killed = killed;
      status = s;
    }
    cv.notify_all();
    if (callbacks.on_exit) {
      callbacks.on_exit(s);
    }
  }

  void do_write() {
    if (writing) {
      return;
    }
    if (writes.empty()) {
      if (close_requested && !stdin_closed) {
        close_in();
      }
      return;
    }
    writing = true;
    asio::async_write(in, asio::buffer(writes.front()), [this](bp2::error_code ec, std::size_t) {
      writing = false;
      writes.pop_front();
      if (ec) {
        writes.clear();
        close_in();
        return;
      }
      do_write();
    });
  }

  void close_in() {
    stdin_closed = true;
    bp2::error_code ignored;
    in.close(ignored);
  }

  void send_signal(int signo) const {
    if (pidfd >= 0) {
      ::syscall(SYS_pidfd_send_signal, pidfd, signo, nullptr, 0);
      return;
    }
    std::lock_guard lock(mutex);
    if (!status && pid > 0) {
      ::kill(pid, signo);
    }
  }
};

ChildProcess::ChildProcess(ChildOptions options, ChildCallbacks callbacks)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(callbacks))) {
  impl_->spawn();
}

ChildProcess::~ChildProcess() {
  if (!impl_->thread.joinable()) {
    return;
  }
  if (!exit_status()) {
    {
      std::lock_guard lock(impl_->mutex);
      impl_->killed = true;
    }
    impl_->send_signal(SIGKILL);
    (void)wait_exit(std::chrono::seconds(10));
  }
  impl_->work.reset();
  impl_->ctx.stop();
  impl_->thread.join();
  if (impl_->pidfd >= 0) {
    ::close(impl_->pidfd);
  }
}

int ChildProcess::pid() const noexcept {
  return impl_->pid;
}

void ChildProcess::write(std::string data) {
  asio::post(impl_->ctx, [impl = impl_.get(), data = std::move(data)]() mutable {
    if (impl->stdin_closed || impl->close_requested) {
      return;
    }
    impl->writes.push_back(std::move(data));
    impl->do_write();
  });
}

void ChildProcess::close_stdin() {
  asio::post(impl_->ctx, [impl = impl_.get()] {
    impl->close_requested = true;
    impl->do_write();
  });
}

void ChildProcess::signal(int signo) {
  impl_->send_signal(signo);
}

std::optional<ExitStatus> ChildProcess::wait_exit(Deadline deadline) {
  std::unique_lock lock(impl_->mutex);
  impl_->cv.wait_until(lock, deadline.at(), [&] { return impl_->status.has_value(); });
  return impl_->status;
}

std::optional<ExitStatus> ChildProcess::exit_status() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->status;
}

ExitStatus ChildProcess::terminate(std::chrono::milliseconds grace) {
  impl_->send_signal(SIGTERM);
  if (auto s = wait_exit(grace)) {
    return *s;
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->killed = true;
  }
  impl_->send_signal(SIGKILL);
  if (auto s = wait_exit(std::chrono::seconds(10))) {
    return *s;
  }
  return ExitStatus{-1, SIGKILL, true};
}

std::string ChildProcess::stderr_text() const {
  std::lock_guard lock(impl_->mutex);
  if (impl_->stderr_dropped == 0) {
    return impl_->stderr_buf;
  }
  return "[... " + std::to_string(impl_->stderr_dropped) + " earlier bytes dropped ...]\n" +
         impl_->stderr_buf;
}

}  // namespace faultline::harness::detail
