// The admin API's logic without sockets: scenario swap and validation, gates, errors.
#include "detail/admin_api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "faultline/scenarios/loader.h"

namespace faultline::fake_server::detail {
namespace {

using nlohmann::json;

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest() : context_(scenarios::load_builtin_scenario("default")), api_(context_) {
    for (const auto& spec : context_.scenarios.current()->listeners) {
      auto state = std::make_unique<ListenerState>();
      state->name = spec.name;
      state->tls = spec.tls;
      state->alpn.store(spec.alpn);
      context_.listeners.push_back(std::move(state));
    }
  }

  /** The active scenario as JSON, edited by `edit`, as a PUT body. */
  std::string edited(const std::function<void(json&)>& edit) {
    json scenario = json::parse(scenarios::to_json(*context_.scenarios.current()));
    edit(scenario);
    return scenario.dump();
  }

  ServerContext context_;
  AdminApi api_;
};

TEST_F(AdminApiTest, HealthAndScenario) {
  EXPECT_EQ(json::parse(api_.handle("GET", "/v1/health", "").body), json({{"ok", true}}));
  const AdminReply scenario = api_.handle("GET", "/v1/scenario", "");
  EXPECT_EQ(scenario.status, 200);
  EXPECT_EQ(json::parse(scenario.body)["name"], "default");
}

TEST_F(AdminApiTest, InvalidScenarioIs400WithPathAndTheOldOneStays) {
  const AdminReply reply = api_.handle(
      "PUT", "/v1/scenario", edited([](json& s) { s["routes"][0]["respond"]["status"] = 1000; }));
  EXPECT_EQ(reply.status, 400);
  const json error = json::parse(reply.body)["error"];
  EXPECT_EQ(error["path"], "$.routes[0].respond.status");
  EXPECT_NE(error["message"].get<std::string>().find("$.routes[0].respond.status"),
            std::string::npos);
  EXPECT_EQ(context_.scenarios.current()->name, "default");
  EXPECT_EQ(context_.scenarios.generation(), 0u);

  const AdminReply not_json = api_.handle("PUT", "/v1/scenario", "{");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_TRUE(json::parse(not_json.body)["error"].contains("path"));
}

TEST_F(AdminApiTest, ListenersCannotChangeButAlpnCan) {
  const AdminReply renamed = api_.handle(
      "PUT", "/v1/scenario", edited([](json& s) { s["listeners"][0]["name"] = "other"; }));
  EXPECT_EQ(renamed.status, 400);
  EXPECT_EQ(json::parse(renamed.body)["error"]["path"], "$.listeners");

  const AdminReply alpn = api_.handle("PUT", "/v1/scenario", edited([](json& s) {
                                        s["name"] = "changed";
                                        s["listeners"][0]["alpn"] = "h1-strict";
                                      }));
  ASSERT_EQ(alpn.status, 200) << alpn.body;
  EXPECT_EQ(json::parse(alpn.body), json({{"ok", true}, {"scenario", "changed"}}));
  EXPECT_EQ(context_.listeners[0]->alpn.load(), scenarios::AlpnPolicy::h1_strict);
  EXPECT_EQ(context_.scenarios.current()->name, "changed");
}

TEST_F(AdminApiTest, GateRelease) {
  int released = 0;
  (void)context_.gates.hold("hold", [&] { ++released; });
  (void)context_.gates.hold("hold", [&] { ++released; });
  EXPECT_EQ(json::parse(api_.handle("GET", "/v1/gates", "").body)["gates"]["hold"]["held"], 2);
  EXPECT_EQ(json::parse(api_.handle("POST", "/v1/gates/hold/release", "{\"count\":1}").body),
            json({{"released", 1}}));
  EXPECT_EQ(json::parse(api_.handle("POST", "/v1/gates/hold/release", "").body),
            json({{"released", 1}}));
  EXPECT_EQ(json::parse(api_.handle("POST", "/v1/gates/hold/release", "").body),
            json({{"released", 0}}));
  EXPECT_EQ(released, 2);
  EXPECT_EQ(api_.handle("POST", "/v1/gates/hold/release", "{\"count\":-1}").status, 400);
}

TEST_F(AdminApiTest, StatsConnectionsRequestsReset) {
  auto conn = context_.stats.open_connection("main", true);
  conn->on_served("a b");
  conn->on_request_body("a b", 10);
  conn->on_request_body("a b", 5);
  EXPECT_EQ(
      json::parse(api_.handle("GET", "/v1/requests/a%20b", "").body),
      json({{"id", "a b"}, {"served", 1}, {"body_bytes", 15}, {"connections", {conn->id()}}}));
  const std::string path = "/v1/connections/" + std::to_string(conn->id());
  EXPECT_EQ(json::parse(api_.handle("GET", path, "").body)["listener"], "main");
  EXPECT_EQ(api_.handle("GET", path + "/timeline", "").status, 200);
  EXPECT_EQ(api_.handle("GET", "/v1/connections/999", "").status, 404);
  EXPECT_EQ(api_.handle("GET", "/v1/connections/x", "").status, 404);
  EXPECT_EQ(json::parse(api_.handle("POST", "/v1/reset", "").body), json({{"ok", true}}));
  EXPECT_EQ(json::parse(api_.handle("GET", "/v1/stats", "").body)["requests"], json::object());
}

// Request ids come off the wire: one that is not UTF-8 must not break the stats.
TEST_F(AdminApiTest, RequestIdsThatAreNotUtf8AreReportedWithReplacementCharacters) {
  auto conn = context_.stats.open_connection("main", true);
  conn->on_served("id-\xff");
  const AdminReply stats = api_.handle("GET", "/v1/stats", "");
  ASSERT_EQ(stats.status, 200) << stats.body;
  EXPECT_EQ(json::parse(stats.body)["requests"]["id-\xef\xbf\xbd"], 1);
  const AdminReply one = api_.handle("GET", "/v1/requests/id-%FF", "");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(json::parse(one.body)["served"], 1);
  EXPECT_EQ(api_.handle("GET", "/v1/requests/%FF", "").status, 200);
  const std::string timeline = "/v1/connections/" + std::to_string(conn->id()) + "/timeline";
  EXPECT_EQ(api_.handle("GET", timeline, "").status, 200);
}

TEST_F(AdminApiTest, UnknownEndpointAndMethod) {
  const AdminReply unknown = api_.handle("GET", "/v1/nope", "");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(json::parse(unknown.body)["error"].contains("message"));
  EXPECT_EQ(api_.handle("DELETE", "/v1/stats", "").status, 405);
}

}  // namespace
}  // namespace faultline::fake_server::detail
