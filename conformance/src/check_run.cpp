#include "check_run.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include "faultline/harness/limits.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

namespace {

/** Poll interval of admin API waits (a wait, not a synchronisation: every wait has a deadline). */
constexpr auto kPoll = 10ms;

std::string write_scenario_file(const nlohmann::json& scenario) {
  static std::atomic<int> counter{0};
  auto path = std::filesystem::temp_directory_path() /
              ("faultline-conformance-" + std::to_string(::getpid()) + "-" +
               std::to_string(counter++) + ".json");
  std::ofstream out(path);
  out << scenario.dump(2);
  if (!out) {
    throw std::runtime_error("cannot write scenario file " + path.string());
  }
  return path.string();
}

}  // namespace

void fail(std::string why) {
  throw CheckFailed{std::move(why)};
}

void fault_did_not_fire(const std::string& why) {
  fail("fault did not fire: " + why);
}

namespace {
thread_local const CheckInfo* t_running_check = nullptr;
thread_local std::optional<harness::DriverInfo> t_last_hello;
}  // namespace

const CheckInfo* running_check() {
  return t_running_check;
}

void set_running_check(const CheckInfo* check) {
  t_running_check = check;
}

std::optional<harness::DriverInfo>& last_hello() {
  return t_last_hello;
}

void require(bool ok, const std::string& why) {
  if (!ok) {
    fail(why);
  }
}

bool poll_until(const Probe& probe, harness::Deadline deadline, std::string& seen) {
  for (;;) {
    if (probe(seen)) {
      return true;
    }
    if (deadline.passed()) {
      return false;
    }
    std::this_thread::sleep_for(kPoll);
  }
}

void wait_until(const Probe& probe, const std::string& what, harness::Deadline deadline) {
  std::string seen;
  if (!poll_until(probe, deadline, seen)) {
    fail("timed out waiting for " + what + (seen.empty() ? "" : " (last seen: " + seen + ")"));
  }
}

CheckRun::CheckRun(const DriverSpec& spec, const std::string& scenario) : spec_(spec) {
  start(scenario);
}

CheckRun::CheckRun(const DriverSpec& spec, const nlohmann::json& scenario) : spec_(spec) {
  scenario_file_ = write_scenario_file(scenario);
  start(scenario_file_);
}

void CheckRun::start(const std::string& scenario) {
  if (auto why = declared_missing(Capability::installed, spec_, nullptr)) {
    throw CheckSkipped{Capability::installed, *why};
  }
  harness::ServerOptions options;
  options.scenario = scenario;
  server_ = std::make_unique<harness::ServerProcess>(options);
  admin_ = server_->admin();
  driver_ = spec_.make(server_->ca());
  last_hello() = driver_->hello();
  try {
    gate_on_hello();
  } catch (...) {
    driver_.reset();
    server_.reset();
    if (!scenario_file_.empty()) {
      std::error_code ignored;
      std::filesystem::remove(scenario_file_, ignored);
    }
    throw;
  }
}

void CheckRun::gate_on_hello() {
  const CheckInfo* check = running_check();
  if (check == nullptr) {
    return;
  }
  for (const auto need : check->needs) {
    if (auto why = declared_missing(need, spec_, &driver_->hello())) {
      throw CheckSkipped{need, *why};
    }
  }
}

std::optional<std::chrono::milliseconds> CheckRun::idle_timeout() {
  if (spec_.idle_timeout) {
    return spec_.idle_timeout;
  }
  if (const auto ms = driver_->hello().capabilities.idle_timeout_ms) {
    return std::chrono::milliseconds(*ms);
  }
  return std::nullopt;
}

CheckRun::~CheckRun() {
  driver_.reset();
  server_.reset();
  if (!scenario_file_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(scenario_file_, ignored);
  }
}

std::string CheckRun::url(const std::string& path, const std::string& listener) const {
  return (listener.empty() ? server_->https() : server_->listener(listener)) + path;
}

harness::Request CheckRun::request(const std::string& path, const std::string& tag) const {
  harness::Request r;
  r.url = url(path);
  if (!tag.empty()) {
    r.headers.emplace_back("x-faultline-request-id", tag);
  }
  return r;
}

nlohmann::json CheckRun::stats() const {
  auto r = admin_.stats();
  require(r.ok(), "admin stats failed: " + r.describe());
  return r.body;
}

int CheckRun::held(const std::string& gate) const {
  auto r = admin_.gates();
  require(r.ok(), "admin gates failed: " + r.describe());
  const auto& gates = r.body.value("gates", nlohmann::json::object());
  if (!gates.contains(gate)) {
    return 0;
  }
  return gates[gate].value("held", 0);
}

int CheckRun::served(const std::string& tag) const {
  auto s = stats();
  const auto& requests = s.value("requests", nlohmann::json::object());
  return requests.contains(tag) ? requests[tag].get<int>() : 0;
}

std::vector<std::uint64_t> CheckRun::served_on(const std::string& tag) const {
  const auto answer = admin_.request(tag);
  require(answer.ok(), "the admin API did not answer: " + answer.describe());
  std::vector<std::uint64_t> ids;
  for (const auto& id : answer.body.value("connections", nlohmann::json::array())) {
    ids.push_back(id.get<std::uint64_t>());
  }
  return ids;
}

void CheckRun::wait_held(const std::string& gate, int n, harness::Deadline deadline) {
  wait_until(
      [&](std::string& seen) {
        const int now = held(gate);
        seen = "it holds " + std::to_string(now);
        return now >= n;
      },
      "gate " + gate + " to hold " + std::to_string(n) + " streams", deadline);
}

int CheckRun::wait_held_at_least(const std::string& gate, int want, int minimum) {
  int last = 0;
  std::string seen;
  (void)poll_until(
      [&](std::string&) {
        last = held(gate);
        return last >= want;
      },
      kPrompt, seen);
  if (last < minimum) {
    fail("timed out waiting for gate " + gate + " to hold " + std::to_string(minimum) +
         " streams (it holds " + std::to_string(last) + ")");
  }
  return last;
}

nlohmann::json CheckRun::driver_stats() {
  auto r = driver_->stats(harness::Deadline(2s));
  return r.ok ? r.stats : nlohmann::json(nullptr);
}

std::optional<long> CheckRun::queue_depth() {
  auto s = driver_stats();
  if (s.is_object() && s.contains("queue_depth")) {
    return s["queue_depth"].get<long>();
  }
  return std::nullopt;
}

nlohmann::json CheckRun::evidence(bool timelines) {
  nlohmann::json out = nlohmann::json::object();
  out["driver"] = spec_.name;
  if (driver_) {
    const auto& h = driver_->hello();
    nlohmann::json caps = nlohmann::json::object();
    if (h.capabilities.idle_timeout_ms) {
      caps["idle_timeout_ms"] = *h.capabilities.idle_timeout_ms;
    }
    if (h.capabilities.liveness_timeout_ms) {
      caps["liveness_timeout_ms"] = *h.capabilities.liveness_timeout_ms;
    }
    if (h.capabilities.retries_421) {
      caps["retries_421"] = *h.capabilities.retries_421;
    }
    if (h.capabilities.receive_backpressure) {
      caps["receive_backpressure"] = *h.capabilities.receive_backpressure;
    }
    if (h.capabilities.stream_window) {
      caps["stream_window"] = *h.capabilities.stream_window;
    }
    if (h.capabilities.max_response_header_bytes) {
      caps["max_response_header_bytes"] = *h.capabilities.max_response_header_bytes;
    }
    out["driver_hello"] = {{"name", h.name},
                           {"version", h.version},
                           {"api", h.api},
                           {"max_sessions", h.max_sessions},
                           {"max_streams", h.max_streams},
                           {"h2", h.h2},
                           {"capabilities", caps}};
  }
  auto r = admin_.stats();
  if (!r.ok()) {
    out["server_stats_error"] = r.describe();
  } else {
    nlohmann::json s = r.body;
    if (s.contains("requests")) {
      const auto& requests = s["requests"];
      long more_than_once = 0;
      nlohmann::json repeated = nlohmann::json::array();
      for (auto it = requests.begin(); it != requests.end(); ++it) {
        if (it.value().get<long>() > 1) {
          ++more_than_once;
          if (repeated.size() < 5) {
            repeated.push_back({{it.key(), it.value()}});
          }
        }
      }
      s["requests"] = {{"tags", requests.size()},
                       {"served_more_than_once", more_than_once},
                       {"examples", repeated}};
    }
    if (timelines && s.contains("connections")) {
      for (auto& c : s["connections"]) {
        auto t = admin_.timeline(c.value("id", 0ULL));
        if (!t.ok()) {
          continue;
        }
        const auto& events = t.body.value("events", nlohmann::json::array());
        nlohmann::json tail = nlohmann::json::array();
        std::size_t from = events.size() > kTimelineTail ? events.size() - kTimelineTail : 0;
        for (std::size_t i = from; i < events.size(); ++i) {
          tail.push_back(events[i]);
        }
        c["timeline_events"] = events.size();
        c["timeline_tail"] = std::move(tail);
      }
    }
    out["server"] = std::move(s);
  }
  if (driver_) {
    out["driver_stats"] = driver_stats();
  }
  if (!notes_.empty()) {
    out["notes"] = notes_;
  }
  return out;
}

Verdict CheckRun::judge(const Steps& steps) {
  Verdict v;
  try {
    v.summary = steps(*this);
    v.outcome = Outcome::pass;
  } catch (const CheckFailed& f) {
    v.outcome = Outcome::fail;
    v.summary = f.why;
  } catch (const std::exception& e) {
    v.outcome = Outcome::fail;
    v.summary = std::string("exception: ") + e.what();
  }
  try {
    v.evidence = evidence(v.outcome == Outcome::fail);
  } catch (const std::exception& e) {
    v.evidence = {{"evidence_error", e.what()}};
  } catch (const CheckFailed& f) {
    v.evidence = {{"evidence_error", f.why}};
  }
  return v;
}

Verdict judge_on(const DriverSpec& driver, const nlohmann::json& scenario, const Steps& steps) {
  if (scenario.is_string()) {
    CheckRun run(driver, scenario.get<std::string>());
    return run.judge(steps);
  }
  CheckRun run(driver, scenario);
  return run.judge(steps);
}

Verdict judge_parts(const DriverSpec& driver, const std::vector<Part>& parts) {
  Verdict all;
  all.outcome = Outcome::pass;
  for (const auto& part : parts) {
    Verdict v = judge_on(driver, part.scenario, part.steps);
    all.evidence[part.name] = std::move(v.evidence);
    if (v.outcome != Outcome::pass) {
      all.outcome = v.outcome;
      all.summary = part.name + ": " + v.summary;
      return all;
    }
    all.summary += (all.summary.empty() ? "" : "; ") + part.name + ": " + v.summary;
  }
  return all;
}

const nlohmann::json& connections_of(const nlohmann::json& stats) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  auto it = stats.find("connections");
  return it == stats.end() ? kEmpty : *it;
}

long sum_connections(const nlohmann::json& stats, const std::string& field) {
  long n = 0;
  for (const auto& c : connections_of(stats)) {
    n += c.value(field, 0L);
  }
  return n;
}

std::map<long, long> per_connection(const nlohmann::json& stats, const std::string& field) {
  std::map<long, long> out;
  for (const auto& c : connections_of(stats)) {
    out[c.value("id", 0L)] = c.value(field, 0L);
  }
  return out;
}

long max_connections(const nlohmann::json& stats, const std::string& field) {
  long n = 0;
  for (const auto& c : connections_of(stats)) {
    n = std::max(n, c.value(field, 0L));
  }
  return n;
}

long sum_connection_map(const nlohmann::json& stats, const std::string& map_field,
                        const std::string& key) {
  long n = 0;
  for (const auto& c : connections_of(stats)) {
    auto it = c.find(map_field);
    if (it != c.end() && it->is_object()) {
      n += it->value(key, 0L);
    }
  }
  return n;
}

void require_next_served(CheckRun& run, const std::string& after, const std::string& tag) {
  auto next = run.send(run.request("/health", tag))->wait_done(kWait);
  require(next.ok && next.response.body == "ok",
          "the request after " + after + " was not served: " + next.description);
}

long admin_body_bytes(CheckRun& run, const std::string& tag) {
  const auto st = run.stats();
  const auto it = st.find("request_body_bytes");
  if (it == st.end() || !it->contains(tag)) {
    return 0;
  }
  return (*it)[tag].get<long>();
}

std::string tag(const std::string& prefix, int i) {
  return prefix + std::to_string(i);
}

void require_each_served_once(CheckRun& run, const std::string& prefix, int n) {
  auto st = run.stats();
  const auto& requests = st.value("requests", nlohmann::json::object());
  for (int i = 0; i < n; ++i) {
    const auto t = tag(prefix, i);
    const long times = requests.contains(t) ? requests[t].get<long>() : 0;
    require(times == 1, t + " served " + std::to_string(times) + " times");
  }
}

long fired(const nlohmann::json& stats, const std::string& name) {
  auto it = stats.find("faults_fired");
  if (it == stats.end() || !it->is_object()) {
    return 0;
  }
  return it->value(name, 0L);
}

void require_fired(CheckRun& run, const std::string& name, const std::string& what) {
  if (fired(run.stats(), name) == 0) {
    fault_did_not_fire("the server injected no " + what + " (faults_fired." + name + " = 0)");
  }
}

void fire(CheckRun& run, const std::string& label, const std::string& what) {
  auto r = run.admin().call("POST", "/v1/actions/fire", nlohmann::json{{"name", label}}.dump());
  if (!r.ok() || r.body.value("fired", 0L) == 0) {
    fault_did_not_fire("the server injected no " + what + " (" + r.describe() + ")");
  }
}

long apply_to_every_connection(CheckRun& run, const nlohmann::json& action,
                               const std::string& what) {
  auto r = run.admin().call("POST", "/v1/actions", action.dump());
  const long applied = r.ok() ? r.body.value("applied", 0L) : 0;
  if (applied == 0) {
    fault_did_not_fire(what + " reached no connection (" + r.describe() + ")");
  }
  run.note("action", {{"do", action}, {"applied", applied}});
  return applied;
}

nlohmann::json timeline_events(CheckRun& run, long connection_id) {
  auto t = run.admin().timeline(static_cast<std::uint64_t>(connection_id));
  require(t.ok(), "timeline of connection " + std::to_string(connection_id) + ": " + t.describe());
  return t.body.value("events", nlohmann::json::array());
}

std::vector<long> open_connections(CheckRun& run) {
  std::vector<long> out;
  const auto stats = run.stats();  // connections_of() refers into it
  for (const auto& c : connections_of(stats)) {
    if (c.value("open", false)) {
      out.push_back(c.value("id", 0L));
    }
  }
  return out;
}

bool is_settings_ack_from_client(const nlohmann::json& event) {
  if (event.value("dir", "") != "in" || event.value("type", "") != "SETTINGS") {
    return false;
  }
  const auto flags = event.value("flags", nlohmann::json::array());
  return std::find(flags.begin(), flags.end(), "ACK") != flags.end();
}

std::map<long, long> settings_acks(CheckRun& run) {
  std::map<long, long> acks;
  for (const long id : open_connections(run)) {
    const auto events = timeline_events(run, id);
    acks[id] = std::count_if(events.begin(), events.end(), is_settings_ack_from_client);
  }
  return acks;
}

void wait_settings_acked(CheckRun& run, const std::map<long, long>& before,
                         const std::string& what) {
  const auto acked_one_more = [&](const auto& connection) {
    const auto it = before.find(connection.first);
    return connection.second > (it == before.end() ? 0 : it->second);
  };
  wait_until(
      [&](std::string& seen) {
        const auto now = settings_acks(run);
        seen = "SETTINGS ACKs per open connection [id, n]: " + nlohmann::json(now).dump();
        return !now.empty() && std::all_of(now.begin(), now.end(), acked_one_more);
      },
      "the client to acknowledge " + what + " on every open connection", kPrompt + kPrompt);
}

harness::BatchResult release_until_done(CheckRun& run, const std::string& gate,
                                        const std::vector<std::shared_ptr<harness::Exchange>>& xs,
                                        harness::Deadline deadline) {
  for (;;) {
    auto rel = run.admin().release(gate);
    require(rel.ok(), "gate release failed: " + rel.describe());
    auto r = harness::wait_all(xs, std::min(deadline.at(), harness::Deadline(kPoll * 10).at()));
    if (r.pending == 0 || deadline.passed()) {
      return r;
    }
  }
}

std::vector<std::shared_ptr<harness::Exchange>> send_many(
    CheckRun& run, int n, const std::function<harness::Request(int)>& make) {
  std::vector<std::shared_ptr<harness::Exchange>> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    out.push_back(run.send(make(i)));
  }
  return out;
}

void require_all_ok(const std::vector<std::shared_ptr<harness::Exchange>>& xs,
                    harness::Deadline deadline, const std::string& what) {
  auto r = harness::wait_all(xs, deadline);
  require(r.ok, what + ": " + r.description);
}

harness::BatchResult send_with_deadline(CheckRun& run, int n, const std::string& path,
                                        const std::string& prefix, std::uint32_t timeout_ms) {
  std::vector<std::shared_ptr<harness::Exchange>> xs;
  xs.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto r = run.request(path, tag(prefix, i));
    r.timeout_ms = timeout_ms;
    xs.push_back(run.send(std::move(r)));
  }
  return harness::wait_all(xs, std::chrono::milliseconds(timeout_ms) + kPrompt);
}

Verdict judge_each(const DriverSpec& driver, const std::vector<JudgedPart>& parts) {
  Verdict v;
  std::string line;
  for (const auto& part : parts) {
    v = judge_on(driver, part.scenario, part.steps);
    v.summary = part.label + ": " + v.summary;
    if (!v.passed()) {
      return v;
    }
    line += (line.empty() ? "" : "; ") + v.summary;
  }
  v.summary = line;
  return v;
}

}  // namespace faultline::conformance::detail
