#include <nlohmann/json.hpp>

#include "detail/json_text.h"
#include "faultline/fake_server/server.h"

namespace faultline::fake_server {

std::string ready_line(const ReadyInfo& info) {
  nlohmann::ordered_json line = {{"event", "ready"}};
  if (!info.https.empty()) {
    line["https"] = info.https;
  }
  if (!info.http.empty()) {
    line["http"] = info.http;
  }
  line["admin"] = info.admin;
  line["ca"] = info.ca;
  line["pid"] = info.pid;
  line["scenario"] = info.scenario;
  nlohmann::ordered_json listeners = nlohmann::ordered_json::object();
  for (const auto& [name, origin] : info.listeners) {
    listeners[name] = origin;
  }
  line["listeners"] = std::move(listeners);
  return detail::to_json_text(line);  // ordered: "event" comes first, as the contract says
}

}  // namespace faultline::fake_server
