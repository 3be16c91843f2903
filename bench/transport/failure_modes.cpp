#include "failure_modes.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "faultline/harness/admin_client.h"
#include "faultline/harness/server_process.h"
#include "faultline/transport/client.h"

namespace faultline::bench {
namespace {

namespace ft = faultline::transport;
using namespace std::chrono_literals;
using faultline::harness::ServerProcess;

/** Completion times and results of a batch of requests, written on the I/O thread.
    Declare it before the Client that completes into it: the Client's destructor still
    completes pending requests. */
class Batch {
 public:
  explicit Batch(std::size_t size) : done_at_(size), errors_(size), finished_(size, 0) {}

  /** Handlers that record the completion of request `index`. */
  ft::Handlers handlers(std::size_t index) {
    ft::Handlers h;
    h.on_complete = [this, index](ft::Result&& result) {
      const auto now = Clock::now();
      std::lock_guard lock(mutex_);
      done_at_[index] = now;
      errors_[index] = result.error;
      finished_[index] = 1;
      ++completed_;
      done_.notify_all();
    };
    return h;
  }

  /** Waits until request `index` completed; false when `limit` passed first. */
  [[nodiscard]] bool wait_one(std::size_t index, Clock::duration limit) {
    std::unique_lock lock(mutex_);
    return done_.wait_for(lock, limit, [&] { return finished_[index] != 0; });
  }

  /** Waits until every request completed; false when `limit` passed first. */
  [[nodiscard]] bool wait_all(Clock::duration limit) {
    std::unique_lock lock(mutex_);
    return done_.wait_for(lock, limit, [&] { return completed_ == finished_.size(); });
  }

  [[nodiscard]] Clock::time_point done_at(std::size_t index) {
    std::lock_guard lock(mutex_);
    return done_at_[index];
  }

  /** How many completed with `error` (an empty code: how many succeeded). */
  [[nodiscard]] int count(std::error_code error) {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (std::size_t i = 0; i < finished_.size(); ++i) {
      n += (finished_[i] != 0 && errors_[i] == error) ? 1 : 0;
    }
    return n;
  }

  /** "N errc_name, ..." for the requests that failed; "" when none did. */
  [[nodiscard]] std::string failures() {
    std::lock_guard lock(mutex_);
    std::map<std::string, int> by_error;
    for (std::size_t i = 0; i < finished_.size(); ++i) {
      if (finished_[i] != 0 && errors_[i]) {
        ++by_error[errors_[i].message()];
      }
    }
    std::string text;
    for (const auto& [message, n] : by_error) {
      text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + message;
    }
    return text;
  }

  /** The latest completion, or `start` when none completed. */
  [[nodiscard]] Clock::time_point last_done(Clock::time_point start) {
    std::lock_guard lock(mutex_);
    auto last = start;
    for (std::size_t i = 0; i < finished_.size(); ++i) {
      if (finished_[i] != 0) {
        last = std::max(last, done_at_[i]);
      }
    }
    return last;
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<Clock::time_point> done_at_;
  std::vector<std::error_code> errors_;
  std::vector<char> finished_;
  std::size_t completed_ = 0;
};

ft::Options pool_options(const Config& config) {
  ft::Options options;
  options.tls.ca_file = config.cacert;
  options.max_sessions_per_origin = static_cast<std::size_t>(config.sessions);
  options.max_streams_per_session = static_cast<std::uint32_t>(config.streams);
  return options;
}

/** Polls `ready` every millisecond until it holds; false when `limit` passed first. */
template <typename Predicate>
[[nodiscard]] bool poll_until(Predicate ready, Clock::duration limit) {
  const auto deadline = Clock::now() + limit;
  while (!ready()) {
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

/** The server's streams_total (GET /v1/stats), or -1 without an answer. */
std::int64_t server_streams(const faultline::harness::AdminClient& admin) {
  const auto stats = admin.stats();
  if (!stats.ok() || !stats.body.contains("streams_total")) {
    return -1;
  }
  return stats.body.at("streams_total").get<std::int64_t>();
}

/** A full pool: sessions x streams requests that the server holds, each seen by the
    server, and nothing queued yet. Returns false (saying why) when that takes over 30 s. */
[[nodiscard]] bool fill_pool(const Config& config, const ServerProcess& server, ft::Client& client,
                             Batch& held, const std::string& method,
                             std::vector<ft::RequestId>& ids) {
  const auto admin = server.admin();
  const auto before = server_streams(admin);
  const int fill = config.sessions * config.streams;
  for (int i = 0; i < fill; ++i) {
    ft::Request request;
    request.method = method;
    request.url = server.https() + "/hold";
    request.timeout = std::chrono::milliseconds(config.hold_ms) + 30s;
    ids.push_back(client.send(std::move(request), held.handlers(static_cast<std::size_t>(i))));
  }
  if (before < 0 || !poll_until([&] { return server_streams(admin) >= before + fill; }, 30s) ||
      !poll_until([&] { return client.stats().queue_depth == 0; }, 5s)) {
    std::fprintf(stderr,
                 "faultline-bench-transport: error: the pool (%d x %d) did not fill within 30 s "
                 "(server streams %lld of %d, client queue %llu)\n",
                 config.sessions, config.streams,
                 static_cast<long long>(server_streams(admin) - before), fill,
                 static_cast<unsigned long long>(client.stats().queue_depth));
    return false;
  }
  return true;
}

/** Sends `count` GETs to /delay (60 s deadline each), completing into `batch`; returns
    their ids. */
std::vector<ft::RequestId> send_gets(const ServerProcess& server, ft::Client& client, Batch& batch,
                                     int count) {
  std::vector<ft::RequestId> ids;
  for (int i = 0; i < count; ++i) {
    ft::Request request;
    request.url = server.https() + "/delay";
    request.timeout = 60s;
    ids.push_back(client.send(std::move(request), batch.handlers(static_cast<std::size_t>(i))));
  }
  return ids;
}

/** Sends `count` GETs to /delay behind the full pool; false when they are not all queued
    within 10 s. */
[[nodiscard]] bool queue_behind(const ServerProcess& server, ft::Client& client, Batch& queued,
                                int count, std::vector<ft::RequestId>& ids) {
  ids = send_gets(server, client, queued, count);
  if (!poll_until([&] { return client.stats().queue_depth == static_cast<std::uint64_t>(count); },
                  10s)) {
    std::fprintf(stderr,
                 "faultline-bench-transport: error: %d requests were not all queued within 10 s "
                 "(queue %llu)\n",
                 count, static_cast<unsigned long long>(client.stats().queue_depth));
    return false;
  }
  return true;
}

double us_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

/** A batch's wall time (start to its last completion) and successes; names the failures. */
RunResult batch_result(Batch& batch, Clock::time_point start, std::uint64_t sessions_opened) {
  RunResult r;
  r.wall_ms = ms_since(start, batch.last_done(start));
  r.ok = batch.count({});
  r.connections = static_cast<long>(sessions_opened);
  if (const auto failures = batch.failures(); !failures.empty()) {
    std::fprintf(stderr, "faultline-bench-transport: requests failed: %s\n", failures.c_str());
  }
  return r;
}

/** A client whose pool is full of requests the server holds (`method` to /hold), with
    `count` GETs queued behind them. The batches come before the client, whose destructor
    still completes into them. */
struct QueueBehindFullPool {
  QueueBehindFullPool(const Config& config, int count)
      : count(count),
        held(static_cast<std::size_t>(config.sessions * config.streams)),
        queued(static_cast<std::size_t>(count)),
        client(pool_options(config)) {}

  /** False (having said why) when the pool did not fill or the GETs were not all queued. */
  [[nodiscard]] bool start(const Config& config, const ServerProcess& server,
                           const std::string& method) {
    return fill_pool(config, server, client, held, method, held_ids) &&
           queue_behind(server, client, queued, count, queued_ids);
  }

  const int count;
  Batch held;
  Batch queued;
  ft::Client client;
  std::vector<ft::RequestId> held_ids;
  std::vector<ft::RequestId> queued_ids;
};

}  // namespace

/** --mode abort: abort -> on_complete of each queued request, in microseconds. */
int run_abort(const Config& config, const ServerProcess& server) {
  const int count = config.queued > 0 ? config.queued : 1000;
  std::printf(
      "abort: pool %d x %d full (GETs held %d ms), %d more queued, each aborted with "
      "Client::abort; %d runs\n",
      config.sessions, config.streams, config.hold_ms, count, config.runs);
  std::vector<double> latencies;
  int aborted = 0;
  for (int run = 0; run < config.runs; ++run) {
    QueueBehindFullPool pool(config, count);
    if (!pool.start(config, server, "GET")) {
      return 1;
    }
    auto& client = pool.client;
    auto& queued = pool.queued;
    const auto& ids = pool.queued_ids;
    for (int i = 0; i < count; ++i) {
      const auto index = static_cast<std::size_t>(i);
      const auto start = Clock::now();
      client.abort(ids[index]);
      if (!queued.wait_one(index, 5s)) {
        std::fprintf(stderr,
                     "faultline-bench-transport: error: aborted request %d did not complete "
                     "within 5 s\n",
                     i);
        return 1;
      }
      latencies.push_back(us_between(start, queued.done_at(index)));
    }
    aborted += queued.count(ft::make_error_code(ft::errc::aborted));
    // The held requests end by abort too, before the next run's pool.
    for (const auto id : pool.held_ids) {
      client.abort(id);
    }
    if (!pool.held.wait_all(30s)) {
      std::fprintf(stderr, "faultline-bench-transport: error: the held requests did not end\n");
      return 1;
    }
  }
  const int total = count * config.runs;
  std::printf(
      "abort of a queued request   p50 %8.1f us   p99 %8.1f us   max %8.1f us   aborted %d/%d\n",
      percentile(latencies, 0.50), percentile(latencies, 0.99),
      latencies.empty() ? 0.0 : *std::max_element(latencies.begin(), latencies.end()), aborted,
      total);
  std::fflush(stdout);
  return aborted == total ? 0 : 1;
}

/** --mode reset: the queue served after every session was reset, against a fresh client. */
int run_reset(const Config& config, const ServerProcess& server) {
  const int count = config.queued > 0 ? config.queued : 500;
  std::printf(
      "reset: pool %d x %d full (POSTs held %d ms), %d GETs /delay (%d ms) "
      "queued, every connection reset by the server; against a fresh client sending %d GETs; "
      "median of %d runs\n",
      config.sessions, config.streams, config.hold_ms, count, config.delay_ms, count, config.runs);
  const auto admin = server.admin();
  std::vector<RunResult> after_reset;
  std::vector<RunResult> fresh;
  for (int run = 0; run < config.runs; ++run) {
    {
      QueueBehindFullPool pool(config, count);
      if (!pool.start(config, server, "POST")) {
        return 1;
      }
      auto& client = pool.client;
      auto& queued = pool.queued;
      auto& held = pool.held;
      const auto opened = client.stats().sessions_opened;
      const auto start = Clock::now();
      const auto reset = admin.call("POST", "/v1/actions", R"({"close":{"mode":"reset"}})");
      if (!reset.ok()) {
        std::fprintf(stderr, "faultline-bench-transport: error: %s\n", reset.describe().c_str());
        return 1;
      }
      if (!queued.wait_all(60s) || !held.wait_all(30s)) {
        std::fprintf(stderr,
                     "faultline-bench-transport: error: requests still pending 60 s after the "
                     "reset\n");
        return 1;
      }
      after_reset.push_back(batch_result(queued, start, client.stats().sessions_opened - opened));
    }
    {
      Batch batch(static_cast<std::size_t>(count));
      ft::Client client(pool_options(config));
      const auto start = Clock::now();
      send_gets(server, client, batch, count);
      if (!batch.wait_all(60s)) {
        std::fprintf(stderr,
                     "faultline-bench-transport: error: the fresh client's requests "
                     "were still pending after 60 s\n");
        return 1;
      }
      fresh.push_back(batch_result(batch, start, client.stats().sessions_opened));
    }
  }
  const auto line = [count](const char* name, const RunResult& m) {
    std::printf("%-30s wall %8.1f ms   ok %d/%d   sessions opened %ld\n", name, m.wall_ms, m.ok,
                count, m.connections);
  };
  const auto a = median_of(after_reset);
  const auto f = median_of(fresh);
  line("after reset of every session", a);
  line("fresh client", f);
  std::fflush(stdout);
  return a.ok == count && f.ok == count ? 0 : 1;
}

}  // namespace faultline::bench
