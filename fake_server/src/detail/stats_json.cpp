// The stats in JSON (docs/admin-api.md): a connection's counters and timeline, and the
// registry's /stats and /connections views.
#include <nlohmann/json.hpp>

#include "detail/json_text.h"
#include "detail/stats.h"

namespace faultline::fake_server::detail {

using nlohmann::json;

void ConnectionStats::json_into(json& out) const {
  out =
      json{{"id", id_},
           {"listener", listener_},
           {"tls", tls_},
           {"alpn", alpn_},
           {"protocol", protocol_},
           {"tls_version", tls_version_},
           {"open", open_},
           {"close_reason", close_reason_},
           {"streams_opened", streams_opened_},
           {"peak_concurrent_streams", peak_concurrent_},
           {"active_streams", active_streams_},
           {"requests", requests_},
           {"rst_received", json(rst_received_)},
           {"rst_sent", json(rst_sent_)},
           {"goaway_sent", goaway_sent_},
           {"goaway_received", goaway_received_},
           {"settings_received", settings_received_},
           {"goaway_codes_received",
            goaway_codes_received_.empty() ? json::object() : json(goaway_codes_received_)},
           {"client_settings", client_settings_.empty() ? json::object() : json(client_settings_)},
           {"bytes_in", bytes_in_},
           {"bytes_out", bytes_out_},
           {"opened_ms", opened_ms_},
           {"stream_limit_violations", stream_limit_violations_},
           {"pings_sent", pings_sent_},
           {"ping_acks", ping_acks_},
           {"late_frames_sent", late_frames_sent_},
           {"faults_fired", faults_fired_.empty() ? json::object() : json(faults_fired_)},
           {"guard", guard_},
           {"flow", flow_.to_json()}};
  if (rst_received_.empty()) {
    out["rst_received"] = json::object();
  }
  if (rst_sent_.empty()) {
    out["rst_sent"] = json::object();
  }
  if (binding_ && binding_->ns) {
    out["namespace"] = binding_->ns->name();
  }
  if (binding_ && binding_->scenario) {
    out["scenario"] = binding_->scenario->name;
  }
}

std::string ConnectionStats::to_json() const {
  json out;
  const std::lock_guard lock(mutex_);
  json_into(out);
  return to_json_text(out);
}

namespace {

json event_json(const TimelineEvent& event) {
  json out = {{"t_ms", event.t_ms},
              {"dir", event.dir == Direction::in ? "in" : "out"},
              {"type", event_type_name(event.type)}};
  const bool frame = event.type < EventType::request;
  if (frame) {
    if (event.stream >= 0) {
      out["stream"] = event.stream;
    }
    out["flags"] = frame_flag_names(event.type, event.flags);
    out["length"] = event.length;
  }
  if (event.error_code >= 0) {
    out["error"] = h2_error_name(static_cast<std::uint32_t>(event.error_code));
  }
  if (event.last_stream_id >= 0) {
    out["last_stream_id"] = event.last_stream_id;
  }
  if (event.type == EventType::request) {
    out["method"] = event.method;
    out["path"] = event.path;
  }
  if (event.type == EventType::response) {
    out["status"] = event.status;
  }
  if (!event.detail.empty()) {
    out["detail"] = event.detail;
  }
  return out;
}

}  // namespace

std::string ConnectionStats::timeline_json() const {
  json events = json::array();
  std::uint64_t dropped = 0;
  {
    const std::lock_guard lock(mutex_);
    dropped = timeline_.dropped();
    for (const TimelineEvent& event : timeline_.events()) {
      events.push_back(event_json(event));
    }
  }
  return to_json_text(json{{"id", id_}, {"dropped", dropped}, {"events", std::move(events)}});
}

std::string StatsRegistry::connections_json() const {
  json list = json::array();
  std::vector<std::shared_ptr<ConnectionStats>> snapshot;
  {
    const std::lock_guard lock(mutex_);
    for (const auto& [id, stats] : connections_) {
      snapshot.push_back(stats);
    }
  }
  for (const auto& stats : snapshot) {
    json one;
    const std::lock_guard lock(stats->mutex_);
    stats->json_into(one);
    list.push_back(std::move(one));
  }
  return to_json_text(json{{"connections", std::move(list)}});
}

std::string StatsRegistry::stats_json() const {
  std::vector<std::shared_ptr<ConnectionStats>> snapshot;
  json out = {{"connections_total", connections_total_.load()},
              {"streams_total", streams_total_.load()},
              {"requests_total", requests_total_.load()},
              {"goaway_sent", goaway_sent_.load()}};
  {
    const std::lock_guard lock(mutex_);
    for (const auto& [id, stats] : connections_) {
      snapshot.push_back(stats);
    }
    out["rst_received"] = rst_received_.empty() ? json::object() : json(rst_received_);
    json requests = json::object();
    for (const auto& [id, served] : served_) {
      requests[id] = served.count;
    }
    out["requests"] = std::move(requests);
    json bodies = json::object();
    for (const auto& [id, bytes] : body_bytes_) {
      bodies[id] = bytes;
    }
    out["request_body_bytes"] = std::move(bodies);
    out["faults_fired"] = faults_fired_.empty() ? json::object() : json(faults_fired_);
    out["guards"] = guards_.empty() ? json::object() : json(guards_);
    out["requests_untracked"] = requests_untracked_;
  }
  json list = json::array();
  std::uint64_t open = 0;
  for (const auto& stats : snapshot) {
    json one;
    const std::lock_guard lock(stats->mutex_);
    stats->json_into(one);
    if (stats->open_) {
      ++open;
    }
    list.push_back(std::move(one));
  }
  out["connections_open"] = open;
  out["connections"] = std::move(list);
  return to_json_text(out);
}

std::optional<std::string> StatsRegistry::connection_json(std::uint64_t id) const {
  auto stats = find(id);
  if (!stats) {
    return std::nullopt;
  }
  return stats->to_json();
}

std::optional<std::string> StatsRegistry::timeline_json(std::uint64_t id) const {
  auto stats = find(id);
  if (!stats) {
    return std::nullopt;
  }
  return stats->timeline_json();
}

}  // namespace faultline::fake_server::detail
