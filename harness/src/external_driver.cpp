#include "faultline/harness/external_driver.h"

#include <signal.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "detail/child_process.h"
#include "detail/exchange_table.h"
#include "detail/protocol.h"
#include "faultline/harness/errc.h"
#include "faultline/harness/install_layout.h"

namespace faultline::harness {
namespace {

/** One stats op waiting for its answer; answers come back in the order asked. */
struct StatsWaiter {
  bool done = false;
  bool abandoned = false;  // its caller gave up; the late answer is consumed silently
  nlohmann::json stats;
  std::string error;
};

std::string quote_stderr(const std::string& text) {
  return text.empty() ? "; driver stderr was empty" : "; driver stderr:\n" + text;
}

}  // namespace

struct ExternalDriver::Impl {
  ExternalDriverOptions options;
  std::string who;  // "driver 'node .../faultline-driver.js'" for messages

  mutable std::mutex mutex;
  std::condition_variable cv;
  DriverInfo info;
  bool hello_received = false;
  std::optional<std::string> fault;
  errc fault_code = errc::driver_failed;
  bool shutting_down = false;
  std::optional<bool> shutdown_clean;
  detail::ExchangeTable table;
  std::deque<std::shared_ptr<StatsWaiter>> stats_waiters;

  // Last member: destroyed (child killed, I/O thread joined) before what callbacks touch.
  std::unique_ptr<detail::ChildProcess> child;

  explicit Impl(ExternalDriverOptions opts) : options(std::move(opts)) {
    who = "driver '" + options.program.string();
    for (const auto& a : options.args) {
      who += " " + a;
    }
    who += "'";
  }

  void start() {
    detail::ChildCallbacks callbacks;
    callbacks.on_line = [this](std::string&& line) { on_line(line); };
    callbacks.on_stdout_problem = [this](const std::string& problem) {
      on_fault(errc::driver_bad_json, problem);
    };
    callbacks.on_exit = [this](const detail::ExitStatus& status) { on_exit(status); };
    {
      // Callbacks lock the mutex: they wait until `child` is assigned.
      std::lock_guard lock(mutex);
      child = std::make_unique<detail::ChildProcess>(
          detail::ChildOptions{options.program, options.args, options.stderr_limit, kMaxLineBytes},
          std::move(callbacks));
    }
    child->write(detail::encode_op("hello"));
    std::unique_lock lock(mutex);
    const bool answered = cv.wait_until(lock, Deadline(options.hello_timeout).at(),
                                        [&] { return hello_received || fault.has_value(); });
    if (fault) {
      throw HarnessError(fault_code, *fault);
    }
    if (!answered) {
      lock.unlock();
      child->terminate(options.shutdown_timeout);
      throw HarnessError(errc::driver_no_hello, who + " did not answer hello within " +
                                                    std::to_string(options.hello_timeout.count()) +
                                                    " ms" + quote_stderr(child->stderr_text()));
    }
  }

  void on_line(const std::string& line) {
    auto parsed = detail::parse_driver_line(line);
    if (auto* v = std::get_if<detail::Violation>(&parsed)) {
      return on_fault(v->code, v->message);
    }
    std::unique_lock lock(mutex);
    if (fault) {
      return;
    }
    if (!hello_received) {
      auto* hello = std::get_if<detail::HelloLine>(&parsed);
      if (!hello) {
        lock.unlock();
        return on_fault(errc::driver_bad_order,
                        "wrote before its hello: " + detail::quote_line(line));
      }
      info = hello->info;
      hello_received = true;
      cv.notify_all();
      return;
    }
    if (std::holds_alternative<detail::HelloLine>(parsed)) {
      lock.unlock();
      return on_fault(errc::driver_bad_order, "sent a second hello: " + detail::quote_line(line));
    }
    if (auto* stats = std::get_if<detail::StatsLine>(&parsed)) {
      if (stats_waiters.empty()) {
        lock.unlock();
        return on_fault(errc::driver_bad_order,
                        "sent stats nobody asked for: " + detail::quote_line(line));
      }
      auto waiter = stats_waiters.front();
      stats_waiters.pop_front();
      waiter->stats = std::move(stats->stats);
      waiter->done = true;
      cv.notify_all();
      return;
    }
    auto& ev = std::get<detail::EventLine>(parsed);
    auto* entry = table.find(ev.id);
    if (!entry) {
      lock.unlock();
      return on_fault(errc::driver_unknown_id,
                      "sent an event for request id " + std::to_string(ev.id) +
                          ", which is not in flight (never sent or already "
                          "finished): " +
                          detail::quote_line(line));
    }
    if (const char* problem = order_problem(*entry, ev.event.type)) {
      lock.unlock();
      return on_fault(errc::driver_bad_order, std::string(problem) + " for request id " +
                                                  std::to_string(ev.id) + ": " +
                                                  detail::quote_line(line));
    }
    if (ev.event.type == Event::Type::headers) {
      entry->has_headers = true;
    }
    if (ev.event.t_ms < 0) {
      ev.event.t_ms = detail::elapsed_ms(entry->sent);
    }
    auto exchange = entry->exchange;
    if (ev.event.terminal()) {
      table.erase(ev.id);
    }
    lock.unlock();
    exchange->push(std::move(ev.event));
  }

  static const char* order_problem(const detail::ExchangeTable::Entry& entry, Event::Type type) {
    if (type == Event::Type::headers && entry.has_headers) {
      return "sent headers twice";
    }
    if (type == Event::Type::informational && entry.has_headers) {
      return "sent informational after headers";
    }
    if (type == Event::Type::data && !entry.has_headers) {
      return "sent data before headers";
    }
    if (type == Event::Type::end && !entry.has_headers) {
      return "sent end before headers";
    }
    return nullptr;
  }

  void on_exit(const detail::ExitStatus& status) {
    std::unique_lock lock(mutex);
    if (shutting_down) {
      auto orphans = table.take_all();
      cv.notify_all();
      lock.unlock();
      for (auto& ex : orphans) {
        ex->push(detail::make_error(ErrorKind::driver, who + " was shut down before request " +
                                                           std::to_string(ex->id()) + " finished"));
      }
      return;
    }
    lock.unlock();
    on_fault(errc::driver_exited, status.describe());
  }

  /** First fault wins: every request in flight fails with it, the driver is killed. */
  void on_fault(errc code, const std::string& problem) {
    std::unique_lock lock(mutex);
    if (fault || shutting_down) {
      return;
    }
    fault_code = code;
    // The I/O thread runs this; the child (so `process`) outlives it: its destructor joins
    // that thread.
    detail::ChildProcess* process = child.get();
    fault = who + " failed (" + make_error_code(code).message() + "): " + problem +
            quote_stderr(process ? process->stderr_text() : std::string{});
    auto orphans = table.take_all();
    for (auto& waiter : stats_waiters) {
      waiter->error = *fault;
      waiter->done = true;
    }
    stats_waiters.clear();
    const std::string message = *fault;
    cv.notify_all();
    lock.unlock();
    for (auto& ex : orphans) {
      ex->push(detail::make_error(ErrorKind::driver, message));
    }
    if (process) {
      process->signal(SIGKILL);
    }
  }

  std::shared_ptr<Exchange> send(Request request) {
    std::unique_lock lock(mutex);
    auto exchange = table.add(request);
    if (fault || shutting_down) {
      table.erase(request.id);
      const std::string message =
          fault ? "driver failed earlier: " + *fault : who + " is shut down";
      lock.unlock();
      exchange->push(detail::make_error(ErrorKind::driver, message));
      return exchange;
    }
    lock.unlock();
    child->write(detail::encode_request(request));
    return exchange;
  }

  void abort(std::uint64_t id) {
    std::lock_guard lock(mutex);
    if (fault || shutting_down || !table.find(id)) {
      return;
    }
    child->write(detail::encode_abort(id));
  }

  void write_id_op(std::string_view op, std::uint64_t id) {
    std::lock_guard lock(mutex);
    if (fault || shutting_down || !table.find(id)) {
      return;
    }
    child->write(detail::encode_id_op(op, id));
  }

  StatsResult stats(Deadline deadline) {
    auto waiter = std::make_shared<StatsWaiter>();
    std::unique_lock lock(mutex);
    if (fault) {
      return {false, {}, "driver failed earlier: " + *fault};
    }
    if (shutting_down) {
      return {false, {}, who + " is shut down"};
    }
    stats_waiters.push_back(waiter);
    child->write(detail::encode_op("stats"));
    if (!cv.wait_until(lock, deadline.at(), [&] { return waiter->done; })) {
      waiter->abandoned = true;
      return {false, {}, who + " did not answer stats before the deadline"};
    }
    if (!waiter->error.empty()) {
      return {false, {}, waiter->error};
    }
    return {true, std::move(waiter->stats), "stats from " + who};
  }

  bool shutdown() {
    {
      std::lock_guard lock(mutex);
      if (shutdown_clean) {
        return *shutdown_clean;
      }
      if (fault) {
        return false;
      }
      shutting_down = true;
    }
    child->write(detail::encode_op("shutdown"));
    child->close_stdin();
    auto status = child->wait_exit(options.shutdown_timeout);
    if (!status) {
      status = child->terminate(options.shutdown_timeout);
    }
    std::lock_guard lock(mutex);
    shutdown_clean = status->clean() && !status->killed;
    return *shutdown_clean;
  }
};

ExternalDriver::ExternalDriver(ExternalDriverOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->start();
}

ExternalDriver::~ExternalDriver() {
  if (impl_->child) {
    impl_->shutdown();
  }
  std::unique_ptr<detail::ChildProcess> child;
  {
    std::lock_guard lock(impl_->mutex);  // callbacks read `child` under the lock
    child = std::move(impl_->child);
  }
  child.reset();  // kills what is left, joins the I/O thread
}

const DriverInfo& ExternalDriver::hello() const {
  return impl_->info;
}

std::shared_ptr<Exchange> ExternalDriver::send(Request request) {
  return impl_->send(std::move(request));
}

void ExternalDriver::abort(std::uint64_t id) {
  impl_->abort(id);
}

void ExternalDriver::pause(std::uint64_t id) {
  impl_->write_id_op("pause", id);
}

void ExternalDriver::resume(std::uint64_t id) {
  impl_->write_id_op("resume", id);
}

StatsResult ExternalDriver::stats(Deadline deadline) {
  return impl_->stats(deadline);
}

std::string ExternalDriver::diagnostics() const {
  std::lock_guard lock(impl_->mutex);
  std::string out = impl_->who;
  if (impl_->hello_received) {
    out += " (" + impl_->info.name + " " + impl_->info.version + ")";
  }
  if (impl_->fault) {
    return out + "\nfault: " + *impl_->fault;
  }
  const std::string err = impl_->child ? impl_->child->stderr_text() : std::string{};
  return out + (err.empty() ? "\nstderr: (empty)" : "\nstderr:\n" + err);
}

std::optional<std::string> ExternalDriver::fault() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->fault;
}

std::string ExternalDriver::stderr_text() const {
  return impl_->child ? impl_->child->stderr_text() : std::string{};
}

bool ExternalDriver::shutdown() {
  return impl_->shutdown();
}

namespace {

/** `node <dir>/faultline-driver.js <args> [--ca FILE]`, dir defaulting to
    <default_data_directory()>/drivers/<name>. */
ExternalDriverOptions node_script(std::filesystem::path dir, const char* name,
                                  std::vector<std::string> args,
                                  const std::filesystem::path& ca_file) {
  if (dir.empty()) {
    dir = default_data_directory() / "drivers" / name;
  }
  ExternalDriverOptions options;
  options.program = "node";
  options.args = {(dir / "faultline-driver.js").string()};
  options.args.insert(options.args.end(), args.begin(), args.end());
  if (!ca_file.empty()) {
    options.args.push_back("--ca");
    options.args.push_back(ca_file.string());
  }
  return options;
}

}  // namespace

ExternalDriverOptions node_driver_options(const NodeDriverConfig& config) {
  return node_script(
      config.directory, "node",
      {"--connections", std::to_string(config.connections), "--pipelining",
       std::to_string(config.pipelining), config.allow_h2 ? "--allow-h2" : "--no-allow-h2", "--api",
       config.api == NodeDriverConfig::Api::fetch ? "fetch" : "request"},
      config.ca_file);
}

ExternalDriverOptions node_http2_driver_options(const NodeHttp2DriverConfig& config) {
  return node_script(config.directory, "node-http2",
                     {"--max-streams", std::to_string(config.max_streams)}, config.ca_file);
}

}  // namespace faultline::harness
