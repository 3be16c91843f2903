#include "faultline/harness/server_process.h"

#include <signal.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "detail/child_process.h"
#include "detail/protocol.h"
#include "faultline/harness/errc.h"
#include "faultline/harness/install_layout.h"

// Relative to a prefix, as configured (GNUInstallDirs).
#ifndef FAULTLINE_INSTALL_BINDIR
#define FAULTLINE_INSTALL_BINDIR "bin"
#endif

namespace faultline::harness {
namespace {

constexpr const char* kServerProgram = "faultline-server";

using nlohmann::json;

std::string require_string(const json& j, const char* name, bool required) {
  auto it = j.find(name);
  if (it == j.end()) {
    if (required) {
      throw HarnessError(errc::bad_ready_line, std::string("ready line lacks \"") + name + "\"");
    }
    return {};
  }
  if (!it->is_string()) {
    throw HarnessError(errc::bad_ready_line,
                       std::string("ready line field \"") + name + "\" is not a string");
  }
  return it->get<std::string>();
}

std::string with_stderr(std::string message, const std::string& stderr_text) {
  if (stderr_text.empty()) {
    return message + "; its stderr was empty";
  }
  return message + "; its stderr:\n" + stderr_text;
}

}  // namespace

ReadyInfo parse_ready_line(std::string_view line) {
  const json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw HarnessError(errc::bad_ready_line,
                       "first stdout line is not a JSON object: " + detail::quote_line(line));
  }
  if (require_string(j, "event", true) != "ready") {
    throw HarnessError(errc::bad_ready_line,
                       "first stdout line is not a ready event: " + detail::quote_line(line));
  }
  ReadyInfo info;
  info.https = require_string(j, "https", false);
  info.http = require_string(j, "http", false);
  info.admin = require_string(j, "admin", true);
  info.ca = require_string(j, "ca", false);
  info.scenario = require_string(j, "scenario", false);
  if (info.https.empty() && info.http.empty()) {
    throw HarnessError(errc::bad_ready_line, "ready line has neither \"https\" nor \"http\"");
  }
  auto pid = j.find("pid");
  if (pid == j.end() || !pid->is_number_integer()) {
    throw HarnessError(errc::bad_ready_line, "ready line lacks an integer \"pid\"");
  }
  info.pid = pid->get<int>();
  if (auto l = j.find("listeners"); l != j.end()) {
    if (!l->is_object()) {
      throw HarnessError(errc::bad_ready_line, "ready line \"listeners\" is not an object");
    }
    for (const auto& [name, origin] : l->items()) {
      if (!origin.is_string()) {
        throw HarnessError(errc::bad_ready_line,
                           "ready line listener \"" + name + "\" is not a string");
      }
      info.listeners[name] = origin.get<std::string>();
    }
  }
  info.raw = j;
  return info;
}

std::filesystem::path default_server_binary() {
  if (const char* env = std::getenv("FAULTLINE_SERVER"); env && *env) {
    return env;
  }
  // Installed programs sit beside the server in <prefix>/bin.
  std::error_code ec;
  if (auto sibling = executable_directory() / kServerProgram;
      std::filesystem::exists(sibling, ec)) {
    return sibling;
  }
  if (auto prefix = installation_prefix(); !prefix.empty()) {
    return prefix / FAULTLINE_INSTALL_BINDIR / kServerProgram;
  }
  return {};
}

struct ServerProcess::Impl {
  ServerOptions options;
  ReadyInfo ready;
  std::optional<StopResult> stopped;
  std::mutex stop_mutex;

  std::mutex mutex;
  std::condition_variable cv;
  std::optional<std::string> first_line;
  std::string later_stdout;  // anything after the ready line: kept for evidence only
  bool exited = false;

  // Last member: destroyed (child killed, thread joined) before what its callbacks touch.
  std::unique_ptr<detail::ChildProcess> child;

  void on_line(std::string&& line) {
    std::lock_guard lock(mutex);
    if (!first_line) {
      first_line = std::move(line);
      cv.notify_all();
    } else if (later_stdout.size() < options.stderr_limit) {
      later_stdout += line + "\n";
    }
  }

  void on_exit() {
    std::lock_guard lock(mutex);
    exited = true;
    cv.notify_all();
  }

  void start() {
    std::filesystem::path binary =
        options.binary.empty() ? default_server_binary() : options.binary;
    if (binary.empty()) {
      throw HarnessError(
          errc::spawn_failed,
          "no server binary: pass ServerOptions::binary or set FAULTLINE_SERVER (this "
          "program is neither installed beside it nor in a Faultline build tree)");
    }
    std::vector<std::string> args;
    if (!options.wrapper.empty()) {
      args.assign(options.wrapper.begin() + 1, options.wrapper.end());
      args.push_back(binary.string());
    }
    if (!options.scenario.empty()) {
      args.insert(args.end(), {"--scenario", options.scenario});
    }
    args.insert(args.end(), options.args.begin(), options.args.end());
    if (!options.admin_token.empty()) {
      args.push_back("--admin-token=" + options.admin_token);
    }
    detail::ChildCallbacks callbacks;
    callbacks.on_line = [this](std::string&& line) { on_line(std::move(line)); };
    callbacks.on_stdout_problem = [this](const std::string& problem) {
      on_line("<" + problem + ">");
    };
    callbacks.on_exit = [this](const detail::ExitStatus&) { on_exit(); };
    const std::filesystem::path program =
        options.wrapper.empty() ? binary : std::filesystem::path(options.wrapper.front());
    child = std::make_unique<detail::ChildProcess>(
        detail::ChildOptions{program, std::move(args), options.stderr_limit, kMaxLineBytes},
        std::move(callbacks));
    wait_ready(binary.string());
  }

  void wait_ready(const std::string& binary) {
    std::unique_lock lock(mutex);
    const Deadline deadline(options.ready_timeout);
    cv.wait_until(lock, deadline.at(), [&] { return first_line.has_value() || exited; });
    const std::string who = binary + " (pid " + std::to_string(child->pid()) + ")";
    if (!first_line) {
      const bool has_exited = exited;
      lock.unlock();
      if (has_exited) {
        const auto status = child->exit_status();
        throw HarnessError(errc::exited_early, with_stderr(who + " " + status->describe() +
                                                               " before printing its ready line",
                                                           child->stderr_text()));
      }
      child->terminate(options.stop_timeout);
      throw HarnessError(
          errc::ready_timeout,
          with_stderr(who + " printed no ready line within " +
                          std::to_string(options.ready_timeout.count()) + " ms (killed)",
                      child->stderr_text()));
    }
    const std::string line = *first_line;
    lock.unlock();
    try {
      ready = parse_ready_line(line);
    } catch (const HarnessError& e) {
      child->terminate(options.stop_timeout);
      throw HarnessError(errc::bad_ready_line,
                         with_stderr(who + ": " + e.what(), child->stderr_text()));
    }
  }

  StopResult stop() {
    std::lock_guard stop_lock(stop_mutex);
    if (stopped) {
      return *stopped;
    }
    const bool was_running = !child->exit_status().has_value();
    const detail::ExitStatus s = child->terminate(options.stop_timeout);
    StopResult r;
    r.exit_code = s.signal == 0 ? s.code : -1;
    r.signal = s.signal;
    r.killed = s.killed;
    r.ok = was_running && s.clean();
    std::string what = "server pid " + std::to_string(child->pid()) + " " + s.describe();
    if (!was_running) {
      what += " before stop() was called";
    }
    if (s.killed) {
      what += " (did not exit within " + std::to_string(options.stop_timeout.count()) +
              " ms of SIGTERM)";
    }
    r.description = r.ok ? what : with_stderr(what, child->stderr_text());
    stopped = r;
    return r;
  }
};

ServerProcess::ServerProcess(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->start();
}

ServerProcess::~ServerProcess() {
  if (impl_ && impl_->child) {
    impl_->stop();
  }
}

ServerProcess::ServerProcess(ServerProcess&&) noexcept = default;

ServerProcess& ServerProcess::operator=(ServerProcess&& other) noexcept {
  if (this != &other) {
    if (impl_ && impl_->child) {
      impl_->stop();
    }
    impl_ = std::move(other.impl_);
  }
  return *this;
}

const ReadyInfo& ServerProcess::ready() const noexcept {
  return impl_->ready;
}

const std::string& ServerProcess::listener(const std::string& name) const {
  auto it = impl_->ready.listeners.find(name);
  if (it == impl_->ready.listeners.end()) {
    throw std::out_of_range("server has no listener named '" + name + "'");
  }
  return it->second;
}

int ServerProcess::pid() const noexcept {
  return impl_->child->pid();
}

AdminClient ServerProcess::admin() const {
  AdminClient client(impl_->ready.admin);
  client.set_token(impl_->options.admin_token);
  return client;
}

std::string ServerProcess::stderr_text() const {
  return impl_->child->stderr_text();
}

std::string ServerProcess::stdout_after_ready() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->later_stdout;
}

bool ServerProcess::running() const {
  return !impl_->child->exit_status().has_value();
}

StopResult ServerProcess::stop() {
  return impl_->stop();
}

}  // namespace faultline::harness
