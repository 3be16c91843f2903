// One check's world: a fresh server with its scenario, a driver, and the helpers
// every check uses to wait, judge and collect evidence.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/conformance/checks.h"
#include "faultline/harness/admin_client.h"
#include "faultline/harness/driver.h"
#include "faultline/harness/exchange.h"
#include "faultline/harness/server_process.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

/** Default deadline of one wait inside a check. */
inline constexpr auto kWait = 10s;
/** How soon an abort or an expired deadline must surface. */
inline constexpr auto kPrompt = 2s;
/** How long something that should already be under way (a close, a replacement
    session, a retry) may take before the check calls it a hang. */
inline constexpr auto kSettle = 5s;
/** Timeline events kept per connection in the evidence. */
inline constexpr std::size_t kTimelineTail = 24;

/** Thrown by require(); run_check turns it into a failing verdict. */
struct CheckFailed {
  std::string why;
};
/** Thrown by skip(); run_check turns it into a skipped verdict. */
struct CheckSkipped {
  std::string why;
};

[[noreturn]] void fail(std::string why);
[[noreturn]] void skip(std::string why);
/** Fails the check with `why` unless `ok`. */
void require(bool ok, const std::string& why);

/** Server + admin + driver for one check. The driver goes before the server. */
class Session {
 public:
  /** `scenario` is a built-in name, a file path, or a JSON scenario (written to a file). */
  Session(const DriverSpec& spec, const std::string& scenario);
  Session(const DriverSpec& spec, const nlohmann::json& scenario);
  ~Session();

  harness::Driver& driver() { return *driver_; }
  const harness::DriverInfo& info() { return driver_->hello(); }
  const harness::AdminClient& admin() const { return admin_; }
  const DriverSpec& spec() const { return spec_; }
  /** https URL of `path` on a listener (default: the first TLS listener). */
  std::string url(const std::string& path, const std::string& listener = "") const;

  /** A GET (or other) request tagged with x-faultline-request-id `tag`. */
  harness::Request request(const std::string& path, const std::string& tag = "") const;
  std::shared_ptr<harness::Exchange> send(harness::Request r) {
    return driver_->send(std::move(r));
  }

  /** GET /v1/stats, failing the check when the admin API does not answer. */
  nlohmann::json stats() const;
  /** How many streams gate `name` holds now. */
  int held(const std::string& gate) const;
  /** Times the request tagged `tag` was served. */
  int served(const std::string& tag) const;
  /** Waits until `pred` holds (polling the admin API), failing with `what` at the deadline. */
  void wait_until(const std::function<bool()>& pred, const std::string& what,
                  harness::Deadline deadline = kWait);
  /** Waits until gate `name` holds `n` streams. */
  void wait_held(const std::string& gate, int n);
  /** The driver's own counters (null when it has none). */
  nlohmann::json driver_stats();
  /** Queue depth from the driver's counters when it reports one. */
  std::optional<long> queue_depth();

  /** Evidence: server stats (request map summarised), per-connection summaries (with
      their timeline tails when `timelines`), the driver's counters, the notes. */
  nlohmann::json evidence(bool timelines);
  /** Runs a check body: its returned line makes a pass; fail()/require() a failure,
      skip() a skip, any exception a failure; every verdict carries evidence(). */
  Verdict judge(const std::function<std::string()>& body);
  /** Adds a named value to the evidence. */
  void note(const std::string& key, nlohmann::json value) { notes_[key] = std::move(value); }

 private:
  void start(const std::string& scenario);

  DriverSpec spec_;
  std::string scenario_file_;
  std::unique_ptr<harness::ServerProcess> server_;
  harness::AdminClient admin_{""};
  std::unique_ptr<harness::Driver> driver_;
  nlohmann::json notes_ = nlohmann::json::object();
};

/** Connections of a stats answer. */
const nlohmann::json& connections_of(const nlohmann::json& stats);
/** Sum of `field` (a number) over connections. */
long sum_connections(const nlohmann::json& stats, const std::string& field);
/** Max of `field` over connections. */
long max_connections(const nlohmann::json& stats, const std::string& field);
/** Sum over connections of the map field `map_field` at `key` (e.g. rst_sent.REFUSED_STREAM). */
long sum_connection_map(const nlohmann::json& stats, const std::string& map_field,
                        const std::string& key);

/** Sends `n` requests built by `make(i)` and returns their exchanges. */
std::vector<std::shared_ptr<harness::Exchange>> send_many(
    Session& s, int n, const std::function<harness::Request(int)>& make);
/** Waits for all, failing the check unless every one ended without error. */
void require_all_ok(const std::vector<std::shared_ptr<harness::Exchange>>& xs,
                    harness::Deadline deadline, const std::string& what);

}  // namespace faultline::conformance::detail
