// StatsRegistry's view of one named namespace (docs/admin-api.md, "Namespaces").
#include <deque>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "detail/json_text.h"
#include "detail/stats.h"

namespace faultline::fake_server::detail {

using nlohmann::json;

namespace {

/** Adds `from` into the counter map `into`. */
template <class Map>
void add_counts(json& into, const Map& from) {
  for (const auto& [key, count] : from) {
    into[key] = into.value(key, std::uint64_t{0}) + count;
  }
}

}  // namespace

std::vector<std::shared_ptr<ConnectionStats>> StatsRegistry::bound_to(
    const std::string& ns_name) const {
  std::vector<std::shared_ptr<ConnectionStats>> snapshot;
  {
    const std::lock_guard lock(mutex_);
    for (const auto& [id, stats] : connections_) {
      snapshot.push_back(stats);
    }
  }
  std::erase_if(snapshot, [&](const auto& stats) { return stats->ns_name() != ns_name; });
  return snapshot;
}

std::string StatsRegistry::stats_json(const std::string& ns_name, const Namespace* ns) const {
  json out = json::object();
  json list = json::array();
  json rst_received = json::object(), faults_fired = json::object(), guards = json::object();
  std::uint64_t open = 0, streams = 0, goaway_sent = 0;
  for (const auto& stats : bound_to(ns_name)) {
    json one;
    const std::lock_guard lock(stats->mutex_);
    stats->json_into(one);
    open += stats->open_ ? 1 : 0;
    streams += stats->streams_opened_;
    goaway_sent += stats->goaway_sent_;
    add_counts(rst_received, stats->rst_received_);
    add_counts(faults_fired, stats->faults_fired_);
    if (!stats->guard_.empty()) {
      add_counts(guards, std::map<std::string, std::uint64_t>{{stats->guard_, 1}});
    }
    list.push_back(std::move(one));
  }
  out["namespace"] = ns_name;
  out["connections_total"] = list.size();
  out["connections_open"] = open;
  out["streams_total"] = streams;
  out["goaway_sent"] = goaway_sent;
  out["rst_received"] = std::move(rst_received);
  out["faults_fired"] = std::move(faults_fired);
  out["guards"] = std::move(guards);
  if (ns != nullptr) {
    ns->requests_into(out);
  } else {
    out["requests_total"] = 0;
    out["requests"] = json::object();
    out["requests_untracked"] = 0;
  }
  out["connections"] = std::move(list);
  return to_json_text(out);
}

std::string StatsRegistry::connections_json(const std::string& ns_name) const {
  json list = json::array();
  for (const auto& stats : bound_to(ns_name)) {
    json one;
    const std::lock_guard lock(stats->mutex_);
    stats->json_into(one);
    list.push_back(std::move(one));
  }
  return to_json_text(json{{"connections", std::move(list)}});
}

std::vector<std::uint64_t> StatsRegistry::connections_in(const std::string& ns_name) const {
  std::vector<std::uint64_t> ids;
  for (const auto& stats : bound_to(ns_name)) {
    ids.push_back(stats->id());
  }
  return ids;
}

void StatsRegistry::reset(const std::string& ns_name) {
  std::vector<std::shared_ptr<ConnectionStats>> open;
  std::unordered_set<std::uint64_t> closed;
  for (const auto& stats : bound_to(ns_name)) {
    if (stats->open()) {
      open.push_back(stats);
    } else {
      closed.insert(stats->id());
    }
  }
  {
    const std::lock_guard lock(mutex_);
    // Forget the closed ones, keeping the retention bookkeeping of the others exact.
    std::deque<Closed> kept;
    std::size_t released = 0;
    closed_events_ = 0;
    for (std::size_t i = 0; i < closed_order_.size(); ++i) {
      const Closed& entry = closed_order_[i];
      if (closed.count(entry.id) != 0) {
        connections_.erase(entry.id);
        continue;
      }
      if (i < released_upto_) {
        ++released;
      }
      closed_events_ += entry.events;
      kept.push_back(entry);
    }
    closed_order_ = std::move(kept);
    released_upto_ = released;
  }
  for (const auto& stats : open) {
    stats->reset();
  }
}

}  // namespace faultline::fake_server::detail
