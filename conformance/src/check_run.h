// One run of one check (CheckRun): a fresh server with its scenario and a driver, and
// the helpers every check uses to wait, judge and collect evidence. "Session" in this
// suite means what it means on the wire: a client's connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
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

/** Default deadline of one wait inside a check. */
inline constexpr std::chrono::seconds kWait{10};
/** How soon an abort or an expired deadline must surface. */
inline constexpr std::chrono::seconds kPrompt{2};
/** How long something that should already be under way (a close, a replacement
    session, a retry) may take before the check calls it a hang. */
inline constexpr std::chrono::seconds kSettle{5};
/** The per-request deadline of the checks judged by deadlines (GOAWAY storm, limit 0). */
inline constexpr std::uint32_t kShortDeadlineMs = 1500;
/** Timeline events kept per connection in the evidence. */
inline constexpr std::size_t kTimelineTail = 24;

/** Thrown by require(); run_check turns it into a failing verdict. */
struct CheckFailed {
  std::string why;
};
/** Thrown by CheckRun when the driver declares that it lacks a capability the running
    check needs; run_check turns it into a skip after checking both facts again. */
struct CheckSkipped {
  Capability capability;
  std::string why;
};

[[noreturn]] void fail(std::string why);
/** Fails with "fault did not fire: <why>": a transport that avoided the fault must not
    look like one that survived it. */
[[noreturn]] void fault_did_not_fire(const std::string& why);
/** Fails the check with `why` unless `ok`. */
void require(bool ok, const std::string& why);

/** The check run_check runs on this thread (nullptr outside run_check): its needs gate
    every CheckRun it starts. */
const CheckInfo* running_check();
void set_running_check(const CheckInfo* check);
/** The hello of the last driver a CheckRun started on this thread, if any. */
std::optional<harness::DriverInfo>& last_hello();

/** Polls a condition: returns whether it holds, and writes what it saw into `seen`
    (for the failure message of a wait that times out). */
using Probe = std::function<bool(std::string& seen)>;

/** Polls `probe` until it holds (true) or `deadline` passes (false); `seen` is what it
    saw last. */
[[nodiscard]] bool poll_until(const Probe& probe, harness::Deadline deadline, std::string& seen);
/** Waits until `probe` holds, failing with "timed out waiting for <what> (last seen:
    <what the probe saw last>)" at the deadline. */
void wait_until(const Probe& probe, const std::string& what, harness::Deadline deadline);

class CheckRun;
/** A check's steps: they return the passing verdict's line, or fail()/require(). */
using Steps = std::function<std::string(CheckRun& run)>;

/** Server + admin + driver for one run of one check. The driver goes before the server. */
class CheckRun {
 public:
  /** `scenario` is a built-in name, a file path, or a JSON scenario (written to a file). */
  CheckRun(const DriverSpec& spec, const std::string& scenario);
  CheckRun(const DriverSpec& spec, const nlohmann::json& scenario);
  ~CheckRun();

  harness::Driver& driver() { return *driver_; }
  const harness::DriverInfo& info() { return driver_->hello(); }
  const harness::AdminClient& admin() const { return admin_; }
  const DriverSpec& spec() const { return spec_; }
  /** The idle timeout the driver declares (spec, else hello); nullopt = not declared. */
  std::optional<std::chrono::milliseconds> idle_timeout();
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
  /** The server's connections that served the request tagged `tag`, one per serve
      (GET /v1/requests/{id} "connections"); fails the check when the admin API does not
      answer. */
  std::vector<std::uint64_t> served_on(const std::string& tag) const;
  /** Waits until gate `gate` holds `n` streams, failing with how many it held last. */
  void wait_held(const std::string& gate, int n, harness::Deadline deadline = kWait);
  /** Waits up to kPrompt for gate `name` to hold `want` streams (a client may keep some
      requests back, e.g. a POST behind running ones), then requires `minimum`; returns
      how many it holds. */
  int wait_held_at_least(const std::string& gate, int want, int minimum);
  /** The driver's own counters (null when it has none). */
  nlohmann::json driver_stats();
  /** Queue depth from the driver's counters when it reports one. */
  std::optional<long> queue_depth();

  /** Evidence: server stats (request map summarised), per-connection summaries (with
      their timeline tails when `timelines`), the driver's counters, the notes. */
  nlohmann::json evidence(bool timelines);
  /** Runs a check's steps: their returned line makes a pass; fail()/require() a
      failure, any exception a failure; every verdict carries evidence(). */
  Verdict judge(const Steps& steps);
  /** Adds a named value to the evidence. */
  void note(const std::string& key, nlohmann::json value) { notes_[key] = std::move(value); }

 private:
  void start(const std::string& scenario);
  /** Skips (CheckSkipped) when the started driver's hello declares a missing need. */
  void gate_on_hello();

  DriverSpec spec_;
  std::string scenario_file_;
  std::unique_ptr<harness::ServerProcess> server_;
  harness::AdminClient admin_{""};
  std::unique_ptr<harness::Driver> driver_;
  nlohmann::json notes_ = nlohmann::json::object();
};

/** One CheckRun of `scenario` judging `steps`: a JSON string is a built-in scenario's
    name or a file path, an object a scenario of its own. */
Verdict judge_on(const DriverSpec& driver, const nlohmann::json& scenario, const Steps& steps);

/** One sub-case of a check judged in parts: its own CheckRun of `scenario`. */
struct Part {
  std::string name;
  nlohmann::json scenario;
  Steps steps;
};
/** Runs `parts` in order, each on a fresh server and driver: the first part that does not
    pass gives the verdict (its summary prefixed with the part's name); when all pass,
    the summaries are joined. The evidence holds each part's, by name. */
Verdict judge_parts(const DriverSpec& driver, const std::vector<Part>& parts);

/** Connections of a stats answer. */
const nlohmann::json& connections_of(const nlohmann::json& stats);
/** Sum of `field` (a number) over connections. */
long sum_connections(const nlohmann::json& stats, const std::string& field);
/** `field` (a number) of each connection, by connection id. */
std::map<long, long> per_connection(const nlohmann::json& stats, const std::string& field);
/** Max of `field` over connections. */
long max_connections(const nlohmann::json& stats, const std::string& field);
/** Sum over connections of the map field `map_field` at `key` (e.g. rst_sent.REFUSED_STREAM). */
long sum_connection_map(const nlohmann::json& stats, const std::string& map_field,
                        const std::string& key);

/** A GET /health (the scenario's route answering "ok") tagged `tag` after `after` is
    served: the pool recovered. */
void require_next_served(CheckRun& run, const std::string& after, const std::string& tag);
/** Request body bytes the server received for requests tagged `tag` (0: none). */
long admin_body_bytes(CheckRun& run, const std::string& tag);

/** "prefix" + i. */
std::string tag(const std::string& prefix, int i);
/** Served-once: every tag prefix-i for i < n served exactly once, as the server counted. */
void require_each_served_once(CheckRun& run, const std::string& prefix, int n);

/** How many times the scenario's fault `name` fired, from a stats answer. */
long fired(const nlohmann::json& stats, const std::string& name);
/** Fails ("fault did not fire") unless the scenario's fault `name` fired. */
void require_fired(CheckRun& run, const std::string& name, const std::string& what);
/** POST /v1/actions/fire {"name": label}; fails ("fault did not fire") unless a fault fired. */
void fire(CheckRun& run, const std::string& label, const std::string& what);
/** POST /v1/actions with `action` (applied to every open connection); returns how many
    connections it was applied to, failing ("fault did not fire") when none. */
long apply_to_every_connection(CheckRun& run, const nlohmann::json& action,
                               const std::string& what);

/** One connection's HTTP/2 frames as the server saw them (its timeline events). */
nlohmann::json timeline_events(CheckRun& run, long connection_id);
/** Ids of the connections open now. */
std::vector<long> open_connections(CheckRun& run);
/** Whether a timeline event is a SETTINGS ACK the client sent. */
bool is_settings_ack_from_client(const nlohmann::json& event);
/** Per open connection: how many SETTINGS ACKs the client has sent on it. */
std::map<long, long> settings_acks(CheckRun& run);
/** Waits until every connection open now has acknowledged one more SETTINGS than in
    `before` (a connection missing from `before` needs one ACK). */
void wait_settings_acked(CheckRun& run, const std::map<long, long>& before,
                         const std::string& what);

/** Releases gate `gate` again and again until every exchange has ended: requests a
    client retries (on another connection) reach the gate again and are released too. */
harness::BatchResult release_until_done(CheckRun& run, const std::string& gate,
                                        const std::vector<std::shared_ptr<harness::Exchange>>& xs,
                                        harness::Deadline deadline);

/** Sends `n` requests built by `make(i)` and returns their exchanges. */
std::vector<std::shared_ptr<harness::Exchange>> send_many(
    CheckRun& run, int n, const std::function<harness::Request(int)>& make);
/** Sends n GETs of `path` tagged prefix-i, each with a deadline of `timeout_ms`, and
    waits until they have all settled (that deadline plus kPrompt). */
harness::BatchResult send_with_deadline(CheckRun& run, int n, const std::string& path,
                                        const std::string& prefix, std::uint32_t timeout_ms);
/** Waits for all, failing the check unless every one ended without error. */
void require_all_ok(const std::vector<std::shared_ptr<harness::Exchange>>& xs,
                    harness::Deadline deadline, const std::string& what);

/** One sub-case of a check judged by judge_each: its label, scenario and steps. */
struct JudgedPart {
  std::string label;        ///< "fin", "goaway", ... (prefixes its line in the summary)
  nlohmann::json scenario;  ///< as judge_on takes it
  Steps steps;
};
/** Judges each part on a fresh CheckRun, in order: the first that does not pass is the
    verdict (its summary prefixed with its label); all passing, the verdict of the last
    with every part's line joined. */
Verdict judge_each(const DriverSpec& driver, const std::vector<JudgedPart>& parts);

}  // namespace faultline::conformance::detail
