#include "faultline/harness/command.h"

#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <string_view>
#include <utility>

#include "detail/child_process.h"
#include "faultline/harness/errc.h"

namespace faultline::harness {
namespace {

/** How long a killed command may take to be reaped. */
constexpr std::chrono::seconds kReapAfterKill{10};

}  // namespace

std::string CommandResult::describe() const {
  std::string out = detail::ExitStatus{exit_code, signal, false}.describe();
  if (timed_out) {
    out += " at the deadline";
  }
  return out;
}

struct Command::Impl {
  std::mutex mutex;
  std::condition_variable cv;
  std::string out;  // stdout not yet taken by read_line()
  bool out_done = false;
  std::optional<CommandResult> result;

  // Last member: destroyed (child killed, thread joined) before what its callbacks touch.
  std::unique_ptr<detail::ChildProcess> child;

  void on_bytes(std::string_view bytes) {
    std::lock_guard lock(mutex);
    out.append(bytes);
    cv.notify_all();
  }

  void on_exit() {
    std::lock_guard lock(mutex);
    out_done = true;
    cv.notify_all();
  }

  CommandResult finish(const detail::ExitStatus& status, bool timed_out) {
    CommandResult r;
    r.signal = status.signal;
    r.exit_code = status.signal == 0 && !timed_out ? status.code : -1;
    r.timed_out = timed_out;
    r.err = child->stderr_text();
    std::lock_guard lock(mutex);
    r.out = std::move(out);
    out.clear();
    result = r;
    return r;
  }
};

Command::Command(std::vector<std::string> argv, CommandOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (argv.empty()) {
    throw HarnessError(errc::spawn_failed, "Command: empty argv");
  }
  const std::filesystem::path program = argv.front();
  argv.erase(argv.begin());
  detail::ChildCallbacks callbacks;
  callbacks.on_bytes = [impl = impl_.get()](std::string_view bytes) { impl->on_bytes(bytes); };
  callbacks.on_exit = [impl = impl_.get()](const detail::ExitStatus&) { impl->on_exit(); };
  impl_->child = std::make_unique<detail::ChildProcess>(
      detail::ChildOptions{program, std::move(argv), options.stderr_limit, kMaxLineBytes},
      std::move(callbacks));
  impl_->child->close_stdin();
}

Command::~Command() = default;
Command::Command(Command&&) noexcept = default;
Command& Command::operator=(Command&&) noexcept = default;

int Command::pid() const noexcept {
  return impl_->child->pid();
}

std::optional<std::string> Command::read_line(Deadline deadline) {
  std::unique_lock lock(impl_->mutex);
  impl_->cv.wait_until(lock, deadline.at(), [&] {
    return impl_->out.find('\n') != std::string::npos || impl_->out_done;
  });
  const auto nl = impl_->out.find('\n');
  if (nl != std::string::npos) {
    std::string line = impl_->out.substr(0, nl);
    impl_->out.erase(0, nl + 1);
    return line;
  }
  if (impl_->out_done && !impl_->out.empty()) {
    return std::exchange(impl_->out, {});
  }
  return std::nullopt;
}

bool Command::running() const {
  return !impl_->child->exit_status().has_value();
}

CommandResult Command::wait(Deadline deadline) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->result) {
      return *impl_->result;
    }
  }
  if (auto status = impl_->child->wait_exit(deadline)) {
    return impl_->finish(*status, false);
  }
  impl_->child->signal(SIGKILL);
  const auto status = impl_->child->wait_exit(kReapAfterKill);
  return impl_->finish(status.value_or(detail::ExitStatus{-1, SIGKILL, true}), true);
}

CommandResult Command::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->result) {
      return *impl_->result;
    }
  }
  return impl_->finish(impl_->child->terminate(grace), false);
}

std::string Command::stderr_text() const {
  return impl_->child->stderr_text();
}

CommandResult run_command(std::vector<std::string> argv, Deadline deadline,
                          CommandOptions options) {
  Command command(std::move(argv), options);
  return command.wait(deadline);
}

std::filesystem::path find_program(const std::filesystem::path& program) {
  return detail::resolve_program(program);
}

}  // namespace faultline::harness
