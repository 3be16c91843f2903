#include <nlohmann/json.hpp>

#include "faultline/fake_server/server.h"

namespace faultline::fake_server {

std::string ready_line(const ReadyInfo& info) {
  nlohmann::ordered_json line = {{"event", "ready"}};
  if (!info.https.empty())
    line["https"] = info.https;
  if (!info.http.empty())
    line["http"] = info.http;
  line["admin"] = info.admin;
  line["ca"] = info.ca;
  line["pid"] = info.pid;
  line["scenario"] = info.scenario;
  nlohmann::ordered_json listeners = nlohmann::ordered_json::object();
  for (const auto& [name, origin] : info.listeners)
    listeners[name] = origin;
  line["listeners"] = std::move(listeners);
  // ordered: "event" comes first, as the contract says. A CA path that is not UTF-8
  // is written with U+FFFD (as every other JSON of the server).
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace faultline::fake_server
