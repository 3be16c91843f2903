// The built-in scenarios: all load, and default.json answers what the docs promise.
#include "faultline/scenarios/loader.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>

namespace faultline::scenarios {
namespace {

namespace fs = std::filesystem;

const fs::path kScenarioDir = fs::path(FAULTLINE_SOURCE_DIR) / "scenarios";

TEST(ScenarioBuiltin, NamesAreTheScenarioFiles) {
  std::vector<std::string> on_disk;
  for (const auto& entry : fs::directory_iterator(kScenarioDir)) {
    const std::string file = entry.path().filename().string();
    if (entry.path().extension() == ".json" && file.find(".schema.") == std::string::npos) {
      on_disk.push_back(entry.path().stem().string());
    }
  }
  std::sort(on_disk.begin(), on_disk.end());
  EXPECT_EQ(builtin_scenario_names(), on_disk);
  for (const char* expected : {"default",
                               "tiny",
                               "h1-only",
                               "h1-strict",
                               "h2-only",
                               "alpn-none",
                               "goaway-after-5",
                               "goaway-above-last",
                               "goaway-graceful",
                               "goaway-storm",
                               "max-streams-10",
                               "limit-lowered",
                               "limit-zero",
                               "refused-first-attempt",
                               "refused-always",
                               "rst-internal",
                               "late-data-after-end",
                               "late-data-after-rst",
                               "late-trailers",
                               "unknown-stream-data",
                               "reset-all",
                               "slow",
                               "ping",
                               "hold-gates"}) {
    EXPECT_NE(std::find(on_disk.begin(), on_disk.end(), expected), on_disk.end()) << expected;
  }
}

TEST(ScenarioBuiltin, EveryOneLoadsAndMatchesItsFile) {
  for (const std::string& name : builtin_scenario_names()) {
    SCOPED_TRACE(name);
    const Scenario builtin = load_builtin_scenario(name);
    EXPECT_EQ(builtin.name, name) << "a scenario's name is its file name";
    EXPECT_FALSE(builtin.description.empty());
    // The embedded copy is the file as it is now (the build regenerates it).
    const Scenario file = load_scenario_file(kScenarioDir / (name + ".json"));
    EXPECT_EQ(to_json(builtin), to_json(file));
  }
}

TEST(ScenarioBuiltin, AlpnVariants) {
  const std::pair<const char*, AlpnPolicy> variants[] = {{"h1-only", AlpnPolicy::h1_only},
                                                         {"h1-strict", AlpnPolicy::h1_strict},
                                                         {"h2-only", AlpnPolicy::h2_only},
                                                         {"alpn-none", AlpnPolicy::none}};
  for (const auto& [name, policy] : variants) {
    SCOPED_TRACE(name);
    const Scenario s = load_builtin_scenario(name);
    ASSERT_FALSE(s.listeners.empty());
    EXPECT_TRUE(s.listeners[0].tls);
    EXPECT_EQ(s.listeners[0].alpn, policy);
    Captures captures;
    EXPECT_NE(find_route(s, "main", "GET", "/health", captures), nullptr);
    EXPECT_NE(find_route(s, "main", "POST", "/echo", captures), nullptr);
  }
}

TEST(ScenarioBuiltin, TinyServesTiny) {
  const Scenario s = load_builtin_scenario("tiny");
  ASSERT_EQ(s.listeners.size(), 2u);
  EXPECT_TRUE(s.listeners[0].tls);
  EXPECT_FALSE(s.listeners[1].tls);
  Captures captures;
  const Route* route = find_route(s, "plain", "GET", "/tiny", captures);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(std::get<FixedBody>(route->respond.body).data, "ok");
}

TEST(ScenarioBuiltin, LoadScenarioTakesFileOrName) {
  EXPECT_EQ(load_scenario("default").name, "default");
  EXPECT_EQ(load_scenario((kScenarioDir / "tiny.json").string()).name, "tiny");
  // An existing file wins over a built-in name.
  std::string dir = (fs::path(::testing::TempDir()) / "faultline-scn-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const fs::path file = fs::path(dir) / "mine.json";
  std::ofstream(file) << R"({"name":"mine"})";
  EXPECT_EQ(load_scenario(file.string()).name, "mine");
  fs::remove_all(dir);
}

TEST(ScenarioBuiltin, UnknownNameListsTheKnownOnes) {
  try {
    (void)load_scenario("no-such-scenario");
    FAIL() << "accepted";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), "$");
    const std::string what = e.what();
    EXPECT_NE(what.find("no-such-scenario"), std::string::npos) << what;
    for (const std::string& name : builtin_scenario_names()) {
      EXPECT_NE(what.find(name), std::string::npos) << what;
    }
  }
  EXPECT_THROW((void)load_builtin_scenario("nope"), ScenarioError);
}

TEST(ScenarioBuiltin, UnreadableFileIsErrorAtRoot) {
  try {
    (void)load_scenario_file("/nonexistent/faultline/s.json");
    FAIL() << "accepted";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), "$");
    EXPECT_NE(std::string(e.what()).find("/nonexistent/faultline/s.json"), std::string::npos);
  }
  EXPECT_THROW((void)load_scenario_file(kScenarioDir), ScenarioError);
}

/** The default scenario's route for a request, with the expanded Location if any. */
struct Answer {
  int status = 0;
  std::string location;
  std::string listener;
  const Response* response = nullptr;
  Captures captures;
};

Answer ask(const Scenario& s, std::string_view method, std::string_view path,
           std::string_view listener = "main") {
  Answer answer;
  const Route* route = find_route(s, listener, method, path, answer.captures);
  if (route == nullptr) {
    return answer;
  }
  answer.response = &route->respond;
  answer.status = route->respond.status;
  if (route->respond.redirect) {
    answer.location = expand(route->respond.redirect->to, answer.captures);
    answer.listener = route->respond.redirect->listener.value_or("");
  }
  return answer;
}

/** Follows redirects on one listener; returns the statuses seen, final included. */
std::vector<int> follow(const Scenario& s, std::string path, int max_hops = 30) {
  std::vector<int> statuses;
  for (int hop = 0; hop <= max_hops; ++hop) {
    const Answer answer = ask(s, "GET", path);
    statuses.push_back(answer.status);
    if (answer.location.empty()) {
      break;
    }
    path = answer.location;
  }
  return statuses;
}

TEST(ScenarioDefault, Listeners) {
  const Scenario s = load_builtin_scenario("default");
  ASSERT_EQ(s.listeners.size(), 3u);
  EXPECT_EQ(s.listeners[0].name, "main");
  EXPECT_EQ(s.listeners[0].alpn, AlpnPolicy::h2_h1);
  EXPECT_EQ(s.listeners[1].name, "plain");
  EXPECT_FALSE(s.listeners[1].tls);
  EXPECT_EQ(s.listeners[2].name, "h1only");
  EXPECT_EQ(s.listeners[2].alpn, AlpnPolicy::h1_only);
}

TEST(ScenarioDefault, BasicRoutes) {
  const Scenario s = load_builtin_scenario("default");
  const Answer health = ask(s, "GET", "/health");
  ASSERT_EQ(health.status, 200);
  EXPECT_EQ(std::get<FixedBody>(health.response->body).data, "ok");
  EXPECT_TRUE(std::holds_alternative<EchoBody>(ask(s, "PUT", "/echo").response->body));
  const Answer bytes = ask(s, "GET", "/bytes/65536");
  const auto& random = std::get<RandomBody>(bytes.response->body);
  EXPECT_EQ(resolve(random.size, bytes.captures), 65536u);
  EXPECT_EQ(random.seed, 7u);
  const auto& sse = std::get<SseBody>(ask(s, "GET", "/sse").response->body);
  EXPECT_EQ(sse.events, 5u);
  EXPECT_EQ(sse.interval_ms, 50u);
  EXPECT_EQ(std::get<SseBody>(ask(s, "GET", "/sse/split").response->body).split,
            (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(ask(s, "GET", "/hold").response->hold, "hold");
  EXPECT_EQ(ask(s, "GET", "/hold2").response->hold, "hold2");
  const Answer slow = ask(s, "GET", "/slow");
  EXPECT_EQ(slow.response->delay_ms, 200u);
  EXPECT_EQ(slow.response->chunk_delay_ms, 50u);
  EXPECT_EQ(std::get<FixedBody>(slow.response->body).data.size(),
            5 * std::size_t{slow.response->chunk_bytes});
  EXPECT_EQ(ask(s, "GET", "/trailers").response->trailers,
            (std::vector<Header>{{"x-trailer", "yes"}}));
}

TEST(ScenarioDefault, RedirectChainsEndAtRedirectZero) {
  const Scenario s = load_builtin_scenario("default");
  EXPECT_EQ(follow(s, "/redirect/3"), (std::vector<int>{302, 302, 302, 200}));
  EXPECT_EQ(follow(s, "/redirect/0"), (std::vector<int>{200}));
  for (const int code : {301, 303, 307, 308}) {
    SCOPED_TRACE(code);
    const std::string base = "/redirect" + std::to_string(code) + "/";
    EXPECT_EQ(follow(s, base + "3"), (std::vector<int>{code, code, code, 200}));
    EXPECT_EQ(ask(s, "GET", base + "1").location, "/redirect/0");
    EXPECT_EQ(follow(s, base + "0"), (std::vector<int>{200}));
  }
}

TEST(ScenarioDefault, LoopAndCrossOrigin) {
  const Scenario s = load_builtin_scenario("default");
  EXPECT_EQ(ask(s, "GET", "/loop/a").location, "/loop/b");
  EXPECT_EQ(ask(s, "GET", "/loop/b").location, "/loop/a");
  const Answer cross = ask(s, "POST", "/cross/h1");
  EXPECT_EQ(cross.status, 307);
  EXPECT_EQ(cross.location, "/echo");
  EXPECT_EQ(cross.listener, "h1only");
}

TEST(ScenarioDefault, ErrorStatusesWithJsonBodies) {
  const Scenario s = load_builtin_scenario("default");
  for (const int code : {400, 401, 403, 404, 409, 418, 429, 500, 502, 503}) {
    SCOPED_TRACE(code);
    const Answer answer = ask(s, "GET", "/status/" + std::to_string(code));
    ASSERT_EQ(answer.status, code);
    const auto& body = std::get<FixedBody>(answer.response->body).data;
    EXPECT_NE(body.find("\"status\":" + std::to_string(code)), std::string::npos) << body;
    EXPECT_EQ(answer.response->headers.at(0), (Header{"content-type", "application/json"}));
  }
  EXPECT_EQ(ask(s, "GET", "/status/299").status, 404) << "caught by the catch-all";
  EXPECT_EQ(ask(s, "GET", "/no/such/path").status, 404);
  EXPECT_EQ(ask(s, "GET", "/no/such/path", "h1only").status, 404);
}

}  // namespace
}  // namespace faultline::scenarios
