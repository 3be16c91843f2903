#include "soak.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string_view>
#include <utility>

#include "faultline/harness/server_process.h"
#include "soak_plan.h"

namespace faultline::conformance {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/** How long past its own deadline a request may take to settle before it counts as hung
    (the driver's timers run on a loaded machine). */
constexpr milliseconds kSoakHangGrace{3000};
/** Deadlines the plan gives requests: most of them, and the black holes (never answered). */
constexpr milliseconds kRequestTimeout{4000};
constexpr milliseconds kBlackHoleTimeout{250};
/** A lowered stream limit is restored this many requests later. */
constexpr std::uint64_t kLimitRestoreAfter = 50;
/** An aborted request is aborted when this many later requests have started. */
constexpr std::uint64_t kAbortAfter = 8;
/** Memory growth from the end of warm-up to the end that still counts as flat. */
constexpr std::int64_t kRssGrowthBytes = 16 << 20;
/** Whether the RSS bound means anything in this build: ASan's quarantine and TSan's
    shadow memory grow with every allocation, whatever the code does. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kRssBoundApplies = false;
#else
constexpr bool kRssBoundApplies = true;
#endif
/** Requests before the warm-up sample (or a fifth of the run when that is fewer). */
constexpr std::uint64_t kWarmupRequests = 5000;
/** How long the server gets to see the driver's connections close. */
constexpr milliseconds kSettleTimeout{10'000};

std::size_t open_descriptors() {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

/** VmRSS of process `pid` in bytes (0 when it cannot be read). */
std::int64_t resident_bytes(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::int64_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(4096, '\n');
  }
  return 0;
}

/** One request on its way. */
struct InFlight {
  std::uint64_t index = 0;
  const RequestKind* kind = nullptr;
  std::shared_ptr<harness::Exchange> exchange;
  Clock::time_point settle_by;            ///< its deadline plus kSoakHangGrace
  std::optional<std::uint64_t> abort_at;  ///< abort once this many requests started
  std::string request_id;                 ///< POSTs: the id the server counts
};

std::string outcome_name(const harness::Response& response) {
  if (response.error) {
    return "error:" + std::string(harness::to_string(response.error->kind));
  }
  return "ok:" + std::to_string(response.status);
}

class Soak {
 public:
  Soak(const SoakOptions& options, const DriverSpec& spec, std::ostream& log)
      : options_(options), spec_(spec), log_(log) {
    result_.driver = spec.name;
    result_.seed = options.seed;
    result_.planned = options.requests;
  }

  SoakResult run() {
    const auto start = Clock::now();
    try {
      start_server();
      drive();
    } catch (const std::exception& e) {
      violation(std::string("setup or run failed: ") + e.what());
    }
    result_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return std::move(result_);
  }

 private:
  void violation(std::string what) {
    log_ << "soak[" << spec_.name << "]: VIOLATION: " << what << "\n" << std::flush;
    result_.violations.push_back(std::move(what));
  }

  void start_server() {
    // The scenario names its own listeners, so it is given at start (a running server
    // keeps the listeners it bound).
    const auto file = std::filesystem::temp_directory_path() /
                      ("faultline-soak-" + std::to_string(::getpid()) + ".json");
    {
      std::ofstream out(file);
      out << soak_scenario().dump(1) << "\n";
      if (!out) {
        throw std::runtime_error("cannot write " + file.string());
      }
    }
    harness::ServerOptions server_options;
    server_options.scenario = file.string();
    server_options.args = {"--log-level", "error"};
    try {
      server_ = std::make_unique<harness::ServerProcess>(server_options);
    } catch (...) {
      std::filesystem::remove(file);
      throw;
    }
    std::filesystem::remove(file);
    admin_ = std::make_unique<harness::AdminClient>(server_->admin());
    // Every admin action of the plan must be one the server takes (a typo would hide a fault).
    for (const auto& fault : kAdminFaults) {
      if (auto check = admin_->call("POST", "/v1/actions?connection=0", fault.action);
          check.status != 404) {
        throw std::runtime_error("admin action " + std::string(fault.name) +
                                 " is not accepted: " + check.describe());
      }
    }
  }

  void drive() {
    const std::size_t fds_before = open_descriptors();
    result_.books["fds_before"] = fds_before;
    auto driver = spec_.make(server_->ca());
    const auto& hello = driver->hello();
    log_ << "soak[" << spec_.name << "]: " << hello.name << " " << hello.version << ", "
         << options_.requests << " requests, seed " << options_.seed << ", concurrency "
         << options_.concurrency << "\n"
         << std::flush;
    issue_all(*driver);
    check_driver_books(*driver);
    check_streams_drained();
    if (!in_flight_.empty()) {
      // Hung requests are still open in the driver: destroying it settles them.
      in_flight_.clear();
    }
    driver.reset();
    check_after(fds_before);
  }

  void issue_all(harness::Driver& driver) {
    Plan plan(options_.seed);
    const auto started_at = Clock::now();
    const auto warmup = std::min<std::uint64_t>(kWarmupRequests, options_.requests / 5);
    constexpr std::uint64_t kNever = UINT64_MAX;
    std::uint64_t restore_at = kNever;  ///< request index that restores the stream limit
    for (std::uint64_t i = 0; i < options_.requests; ++i) {
      if (Clock::now() - started_at > options_.max_duration) {
        result_.time_bound_hit = true;
        log_ << "soak[" << spec_.name << "]: time bound reached after " << i << " requests\n";
        break;
      }
      const auto planned = plan.next();
      if (i >= restore_at) {
        fire("restore-limit", kRestoreLimit);
        restore_at = kNever;
      }
      if (planned.fault != nullptr) {
        fire(planned.fault->name, planned.fault->action);
        if (planned.fault->lowers_limit) {
          restore_at = i + kLimitRestoreAfter;
        }
      }
      while (in_flight_.size() >= options_.concurrency) {
        reap(driver, true);
      }
      start_request(driver, i, planned);
      reap(driver, false);
      if (i + 1 == warmup) {
        sample_rss("rss_after_warmup");
      }
      if ((i + 1) % 10'000 == 0) {
        log_ << "soak[" << spec_.name << "]: " << (i + 1) << " started, " << result_.failed
             << " failed, " << result_.hung << " hung, " << result_.faults_fired << " faults\n"
             << std::flush;
      }
    }
    if (restore_at != kNever) {
      fire("restore-limit", kRestoreLimit);
    }
    while (!in_flight_.empty()) {
      reap(driver, true);
    }
    if (warmup == 0) {
      sample_rss("rss_after_warmup");
    }
    sample_rss("rss_end");
  }

  void fire(std::string_view name, std::string_view action) {
    const auto answer = admin_->call("POST", "/v1/actions", action);
    if (!answer) {
      violation("admin action " + std::string(name) + " failed: " + answer.describe());
      return;
    }
    ++result_.faults_fired;
    ++result_.faults_by_action[std::string(name)];
  }

  void start_request(harness::Driver& driver, std::uint64_t index, const PlannedRequest& planned) {
    harness::Request request;
    request.method = std::string(planned.kind->method);
    request.url = server_->https() + std::string(planned.kind->path);
    if (planned.kind->name == "bytes") {
      request.url += std::to_string(planned.bytes);
    }
    const auto timeout = planned.kind->black_hole ? kBlackHoleTimeout : kRequestTimeout;
    request.timeout_ms = static_cast<std::uint32_t>(timeout.count());
    InFlight f;
    f.index = index;
    f.kind = planned.kind;
    if (request.method == "POST") {
      f.request_id = "soak-" + std::to_string(options_.seed) + "-" + std::to_string(index);
      request.headers.emplace_back("x-faultline-request-id", f.request_id);
      request.headers.emplace_back("content-type", "application/octet-stream");
      request.body = std::string(planned.bytes % 20'000, 'p');
    }
    if (planned.abort) {
      f.abort_at = index + kAbortAfter;
    }
    f.exchange = driver.send(std::move(request));
    f.settle_by = Clock::now() + timeout + kSoakHangGrace;
    ++result_.started;
    in_flight_.push_back(std::move(f));
  }

  /** Books what has settled; with `wait`, first waits (bounded) for the oldest request. */
  void reap(harness::Driver& driver, bool wait) {
    if (wait && !in_flight_.empty()) {
      auto& oldest = in_flight_.front();
      const auto until = std::min(oldest.settle_by, Clock::now() + milliseconds(20));
      (void)oldest.exchange->wait_done(harness::Deadline(until));
    }
    const auto now = Clock::now();
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      if (it->abort_at && result_.started >= *it->abort_at) {
        it->abort_at.reset();
        ++result_.aborted;
        driver.abort(it->exchange->id());
      }
      if (it->exchange->done()) {
        book(*it);
        it = in_flight_.erase(it);
      } else if (now >= it->settle_by) {
        ++result_.hung;
        ++result_.by_kind[std::string(it->kind->name)]["hung"];
        violation("request " + std::to_string(it->index) + " (" + std::string(it->kind->name) +
                  ") did not settle by its deadline: " + it->exchange->snapshot().describe());
        it = in_flight_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void book(const InFlight& f) {
    const auto response = f.exchange->snapshot();
    if (response.error) {
      ++result_.failed;
    } else {
      ++result_.succeeded;
    }
    const auto outcome = outcome_name(response);
    ++result_.by_kind[std::string(f.kind->name)][outcome];
    if (response.error) {
      result_.examples.emplace(std::string(f.kind->name) + " " + outcome, response.error->message);
    }
    if (response.error && response.error->kind == harness::ErrorKind::driver &&
        ++driver_failures_ == 1) {
      // The driver itself broke (crashed, or spoke the protocol wrongly): every request
      // after it fails the same way, so one violation says it.
      violation("the driver broke at request " + std::to_string(f.index) + ": " +
                response.error->message.substr(0, 2000));
    }
    if (f.kind->black_hole && !response.error) {
      violation("black-hole request " + std::to_string(f.index) +
                " succeeded: " + response.describe());
    }
    if (!f.request_id.empty()) {
      posts_.emplace_back(f.request_id, !response.error);
    }
  }

  void sample_rss(const char* key) {
    result_.books[key] = resident_bytes(static_cast<int>(::getpid()));
    result_.books[std::string("server_") + key] = resident_bytes(server_->pid());
  }

  /** The driver's own counters once everything settled (our transport only). */
  void check_driver_books(harness::Driver& driver) {
    const auto stats = driver.stats(harness::Deadline(milliseconds(5000)));
    if (!stats) {
      result_.books["driver_stats"] = stats.description;
      return;
    }
    result_.books["driver_stats"] = stats.stats;
    const auto& s = stats.stats;
    if (s.contains("requests_pending") && s["requests_pending"] != 0) {
      violation("the transport still counts " + s["requests_pending"].dump() +
                " pending requests after every request settled");
    }
    if (s.contains("queue_depth") && s["queue_depth"] != 0) {
      violation("the transport's queue still holds " + s["queue_depth"].dump() + " requests");
    }
    // Over HTTP/1.1 libcurl closes a connection the server dropped only when it next
    // looks at its cache (transport/README.md, known limits): h2 sessions only.
    const auto max_sessions = static_cast<std::uint64_t>(driver.hello().max_sessions);
    if (driver.hello().h2 && s.contains("sessions_open") && max_sessions > 0 &&
        s["sessions_open"] > max_sessions) {
      violation("the transport has " + s["sessions_open"].dump() + " sessions open (limit " +
                std::to_string(max_sessions) + ")");
    }
  }

  /** With every request settled, no stream stays open on the server side of the
      connections the driver keeps (a stream the client forgot to end or reset). */
  void check_streams_drained() {
    const auto settle = harness::Deadline(kSettleTimeout);
    std::uint64_t active = 0;
    for (;;) {
      const auto answer = admin_->stats();
      if (!answer) {
        violation("admin stats failed: " + answer.describe());
        return;
      }
      active = 0;
      for (const auto& c : answer.body.value("connections", nlohmann::json::array())) {
        if (c.value("open", false)) {
          active += c.value("active_streams", std::uint64_t{0});
        }
      }
      if (active == 0 || settle.passed()) {
        break;
      }
      (void)admin_->call("GET", "/v1/health", std::nullopt, milliseconds(200));
    }
    result_.books["server_active_streams_after"] = active;
    if (active != 0) {
      violation(std::to_string(active) +
                " stream(s) still open on the server after every request settled");
    }
  }

  /** After the driver is gone: descriptors, the server's connections and gates, the
      served counts of every POST, memory. */
  void check_after(std::size_t fds_before) {
    const std::size_t fds_after = open_descriptors();
    result_.books["fds_after"] = fds_after;
    if (fds_after > fds_before) {
      violation(std::to_string(fds_after - fds_before) + " file descriptor(s) leaked (" +
                std::to_string(fds_before) + " before, " + std::to_string(fds_after) + " after)");
    }
    const auto settle = harness::Deadline(kSettleTimeout);
    nlohmann::json stats;
    std::int64_t held = -1;
    for (;;) {
      const auto answer = admin_->stats();
      const auto gates = admin_->gates();
      if (!answer || !gates) {
        violation("admin stats failed: " + answer.describe() + " " + gates.describe());
        return;
      }
      stats = answer.body;
      held = gates.body.value("gates", nlohmann::json::object())
                 .value("hole", nlohmann::json::object())
                 .value("held", std::int64_t{0});
      if ((stats["connections_open"] == 0 && held == 0) || settle.passed()) {
        break;
      }
      // Wait on the server's own progress, one bounded admin round trip at a time.
      (void)admin_->call("GET", "/v1/health", std::nullopt, milliseconds(200));
    }
    result_.books["server_connections_total"] = stats["connections_total"];
    result_.books["server_connections_open_after"] = stats["connections_open"];
    result_.books["server_streams_total"] = stats["streams_total"];
    result_.books["server_requests_total"] = stats["requests_total"];
    result_.books["server_held_after"] = held;
    if (stats["connections_open"] != 0) {
      violation("the server still has " + stats["connections_open"].dump() +
                " connection(s) open after the driver closed (sessions leaked)");
    }
    if (held != 0) {
      violation("the server still holds " + std::to_string(held) +
                " stream(s) at the black-hole gate (streams leaked)");
    }
    if (stats.value("requests_untracked", 0) != 0) {
      violation("the server stopped counting request ids (requests_untracked " +
                stats["requests_untracked"].dump() + "): raise its cap or lower --requests");
    }
    const auto& served = stats["requests"];
    std::uint64_t twice = 0, lost = 0;
    for (const auto& [id, ok] : posts_) {
      const auto n = served.value(id, 0);
      if (n > 1 && ++twice <= 5) {
        violation("POST " + id + " was served " + std::to_string(n) + " times");
      }
      if (ok && n != 1 && ++lost <= 5) {
        violation("POST " + id + " succeeded but the server served it " + std::to_string(n) +
                  " times");
      }
    }
    result_.books["posts"] = posts_.size();
    result_.books["posts_served_twice"] = twice;
    const auto warm = result_.books.value("rss_after_warmup", std::int64_t{0});
    const auto end = result_.books.value("rss_end", std::int64_t{0});
    result_.books["rss_bound_applied"] = kRssBoundApplies;
    if (kRssBoundApplies && warm > 0 && end - warm > kRssGrowthBytes) {
      violation("RSS grew " + std::to_string((end - warm) >> 20) + " MiB after warm-up (" +
                std::to_string(warm >> 20) + " -> " + std::to_string(end >> 20) + " MiB)");
    }
    if (!server_->running()) {
      violation("the server died: " + server_->stderr_text());
    }
  }

  const SoakOptions& options_;
  const DriverSpec& spec_;
  std::ostream& log_;
  SoakResult result_;
  std::unique_ptr<harness::ServerProcess> server_;
  std::unique_ptr<harness::AdminClient> admin_;
  std::deque<InFlight> in_flight_;
  std::vector<std::pair<std::string, bool>> posts_;  ///< request id, succeeded
  std::uint64_t driver_failures_ = 0;                ///< requests that ended with kind driver
};

}  // namespace

nlohmann::json SoakResult::to_json() const {
  return {{"driver", driver},
          {"seed", seed},
          {"planned", planned},
          {"started", started},
          {"succeeded", succeeded},
          {"failed", failed},
          {"hung", hung},
          {"aborted", aborted},
          {"faults_fired", faults_fired},
          {"faults_by_action", faults_by_action},
          {"examples", examples},
          {"time_bound_hit", time_bound_hit},
          {"seconds", seconds},
          {"by_kind", by_kind},
          {"books", books},
          {"violations", violations},
          {"passed", passed()}};
}

SoakResult run_soak(const SoakOptions& options, const DriverSpec& driver, std::ostream& log) {
  return Soak(options, driver, log).run();
}

}  // namespace faultline::conformance
