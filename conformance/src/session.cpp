#include "session.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "faultline/harness/limits.h"

namespace faultline::conformance::detail {
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

void skip(std::string why) {
  throw CheckSkipped{std::move(why)};
}

void require(bool ok, const std::string& why) {
  if (!ok) {
    fail(why);
  }
}

Session::Session(const DriverSpec& spec, const std::string& scenario) : spec_(spec) {
  start(scenario);
}

Session::Session(const DriverSpec& spec, const nlohmann::json& scenario) : spec_(spec) {
  scenario_file_ = write_scenario_file(scenario);
  start(scenario_file_);
}

void Session::start(const std::string& scenario) {
  if (spec_.unavailable) {
    skip("driver unavailable: " + *spec_.unavailable);
  }
  harness::ServerOptions options;
  options.scenario = scenario;
  server_ = std::make_unique<harness::ServerProcess>(options);
  admin_ = server_->admin();
  driver_ = spec_.make(server_->ca());
}

Session::~Session() {
  driver_.reset();
  server_.reset();
  if (!scenario_file_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(scenario_file_, ignored);
  }
}

std::string Session::url(const std::string& path, const std::string& listener) const {
  return (listener.empty() ? server_->https() : server_->listener(listener)) + path;
}

harness::Request Session::request(const std::string& path, const std::string& tag) const {
  harness::Request r;
  r.url = url(path);
  if (!tag.empty()) {
    r.headers.emplace_back("x-faultline-request-id", tag);
  }
  return r;
}

nlohmann::json Session::stats() const {
  auto r = admin_.stats();
  require(r.ok(), "admin stats failed: " + r.describe());
  return r.body;
}

int Session::held(const std::string& gate) const {
  auto r = admin_.gates();
  require(r.ok(), "admin gates failed: " + r.describe());
  const auto& gates = r.body.value("gates", nlohmann::json::object());
  if (!gates.contains(gate)) {
    return 0;
  }
  return gates[gate].value("held", 0);
}

int Session::served(const std::string& tag) const {
  auto s = stats();
  const auto& requests = s.value("requests", nlohmann::json::object());
  return requests.contains(tag) ? requests[tag].get<int>() : 0;
}

void Session::wait_until(const std::function<bool()>& pred, const std::string& what,
                         harness::Deadline deadline) {
  while (!pred()) {
    if (deadline.passed()) {
      fail("timed out waiting for " + what);
    }
    std::this_thread::sleep_for(kPoll);
  }
}

void Session::wait_held(const std::string& gate, int n) {
  int last = 0;
  wait_until([&] { return (last = held(gate)) >= n; },
             "gate " + gate + " to hold " + std::to_string(n) + " streams (last seen " +
                 std::to_string(last) + ")");
}

nlohmann::json Session::driver_stats() {
  auto r = driver_->stats(harness::Deadline(2s));
  return r.ok ? r.stats : nlohmann::json(nullptr);
}

std::optional<long> Session::queue_depth() {
  auto s = driver_stats();
  if (s.is_object() && s.contains("queue_depth")) {
    return s["queue_depth"].get<long>();
  }
  return std::nullopt;
}

nlohmann::json Session::evidence(bool timelines) {
  nlohmann::json out = nlohmann::json::object();
  out["driver"] = spec_.name;
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

Verdict Session::judge(const std::function<std::string()>& body) {
  Verdict v;
  try {
    v.summary = body();
    v.outcome = Outcome::pass;
  } catch (const CheckFailed& f) {
    v.outcome = Outcome::fail;
    v.summary = f.why;
  } catch (const CheckSkipped& s) {
    v.outcome = Outcome::skip;
    v.summary = s.why;
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

std::vector<std::shared_ptr<harness::Exchange>> send_many(
    Session& s, int n, const std::function<harness::Request(int)>& make) {
  std::vector<std::shared_ptr<harness::Exchange>> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    out.push_back(s.send(make(i)));
  }
  return out;
}

void require_all_ok(const std::vector<std::shared_ptr<harness::Exchange>>& xs,
                    harness::Deadline deadline, const std::string& what) {
  auto r = harness::wait_all(xs, deadline);
  require(r.ok, what + ": " + r.description);
}

}  // namespace faultline::conformance::detail
