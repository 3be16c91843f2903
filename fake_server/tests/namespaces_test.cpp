// Namespaces and per-request scenario choice without sockets: names, the cap, prefixes
// and headers, and an HTTP/1.1 session whose requests keep to their namespace.
#include "detail/namespaces.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detail/admin_api.h"
#include "detail/h1_session.h"
#include "detail/tenant.h"
#include "faultline/scenarios/loader.h"
#include "session_harness.h"

namespace faultline::fake_server::detail {
namespace {

using nlohmann::json;
using testing::FakeHost;

TEST(NamespaceName, LettersDigitsDotUnderscoreDashUpTo64) {
  EXPECT_TRUE(valid_namespace_name("t1"));
  EXPECT_TRUE(valid_namespace_name("Suite_a.worker-3"));
  EXPECT_TRUE(valid_namespace_name(std::string(kMaxNamespaceName, 'x')));
  EXPECT_FALSE(valid_namespace_name(""));
  EXPECT_FALSE(valid_namespace_name(std::string(kMaxNamespaceName + 1, 'x')));
  EXPECT_FALSE(valid_namespace_name("a/b"));
  EXPECT_FALSE(valid_namespace_name("a b"));
  EXPECT_FALSE(valid_namespace_name("caf\xc3\xa9"));
}

TEST(NamespaceRegistry, CreatesOnFirstUseUpToItsCap) {
  NamespaceRegistry registry(2);
  const auto a = registry.obtain("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(registry.obtain("a"), a);
  EXPECT_TRUE(registry.obtain("b"));
  EXPECT_EQ(registry.obtain("c"), nullptr);  // the cap
  EXPECT_EQ(registry.find("c"), nullptr);
  EXPECT_EQ(registry.size(), 2u);
}

TEST(NamespaceRegistry, ResetForgetsOnlyWhatNothingUses) {
  NamespaceRegistry registry(2);
  auto kept = registry.obtain("kept");  // a connection or request still refers to it
  kept->count_served("x");
  (void)registry.obtain("unused");
  registry.reset_all();
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.find("kept"), kept);
  EXPECT_EQ(kept->served("x"), 0u);     // reset all the same
  EXPECT_TRUE(registry.obtain("new"));  // the freed place
}

TEST(Namespace, CountsRequestIdsWithinTheServerWideBudget) {
  RequestIdBudget budget(2);
  Namespace a("a", budget), b("b", budget);
  a.count_served("x");
  a.count_served("x");
  b.count_served("x");
  b.count_served("y");  // the budget is spent: untracked
  EXPECT_EQ(a.served("x"), 2u);
  EXPECT_EQ(b.served("x"), 1u);
  EXPECT_EQ(b.served("y"), 0u);
  json out = json::object();
  b.requests_into(out);
  EXPECT_EQ(out["requests_untracked"], 1);
  a.reset();  // gives its id back
  b.count_served("y");
  EXPECT_EQ(b.served("y"), 1u);
}

class TenantTest : public ::testing::Test {
 protected:
  TenantTest() : context_(scenarios::load_builtin_scenario("default")) {}

  /** select_tenant() on `path`; the path as left, or the error. */
  std::variant<Tenant, TenantError> choose(std::string& path, std::string_view ns = {},
                                           std::string_view scenario = {}) {
    return select_tenant(context_, path, TenantChoice{ns, scenario});
  }

  ServerContext context_;
};

TEST_F(TenantTest, NoChoiceIsTheDefaultNamespaceAndScenario) {
  std::string path = "/health";
  const auto chosen = choose(path);
  ASSERT_TRUE(std::holds_alternative<Tenant>(chosen));
  EXPECT_EQ(std::get<Tenant>(chosen).ns, nullptr);
  EXPECT_EQ(std::get<Tenant>(chosen).scenario, nullptr);
  EXPECT_EQ(path, "/health");
  EXPECT_EQ(context_.namespaces.size(), 0u);
}

TEST_F(TenantTest, PrefixesInEitherOrderAreTakenOff) {
  for (std::string path : {"/n/t1/s/tiny/health", "/s/tiny/n/t1/health"}) {
    const auto chosen = choose(path);
    ASSERT_TRUE(std::holds_alternative<Tenant>(chosen)) << path;
    const Tenant& tenant = std::get<Tenant>(chosen);
    EXPECT_EQ(path, "/health");
    EXPECT_EQ(tenant.ns_name(), "t1");
    ASSERT_TRUE(tenant.scenario);
    EXPECT_EQ(tenant.scenario->name, "tiny");
  }
  std::string bare = "/n/t2";
  const auto chosen = choose(bare);
  ASSERT_TRUE(std::holds_alternative<Tenant>(chosen));
  EXPECT_EQ(bare, "/");
  EXPECT_EQ(std::get<Tenant>(chosen).prefix, "/n/t2");
  // Only the leading prefixes: the rest of the path is the route's.
  std::string nested = "/n/t3/x/n/t4";
  ASSERT_TRUE(std::holds_alternative<Tenant>(choose(nested)));
  EXPECT_EQ(nested, "/x/n/t4");
}

TEST_F(TenantTest, HeadersChooseTooAndMustAgreeWithThePath) {
  std::string path = "/health";
  const auto chosen = choose(path, "t1", "tiny");
  ASSERT_TRUE(std::holds_alternative<Tenant>(chosen));
  EXPECT_EQ(std::get<Tenant>(chosen).ns_name(), "t1");
  EXPECT_EQ(std::get<Tenant>(chosen).prefix, "");

  std::string same = "/n/t1/health";
  EXPECT_TRUE(std::holds_alternative<Tenant>(choose(same, "t1")));
  std::string differ = "/n/t1/health";
  const auto conflict = choose(differ, "t2");
  ASSERT_TRUE(std::holds_alternative<TenantError>(conflict));
  EXPECT_EQ(std::get<TenantError>(conflict).status, 400);
  EXPECT_NE(std::get<TenantError>(conflict).message.find("given twice"), std::string::npos);
}

TEST_F(TenantTest, BadNamesUnknownScenariosAndServerWideFaultsAreRefused) {
  std::string bad = "/n/a%20b/health";
  const auto invalid = choose(bad);
  ASSERT_TRUE(std::holds_alternative<TenantError>(invalid));
  EXPECT_EQ(std::get<TenantError>(invalid).status, 400);

  std::string unknown = "/s/no-such-scenario/health";
  const auto missing = choose(unknown);
  ASSERT_TRUE(std::holds_alternative<TenantError>(missing));
  EXPECT_EQ(std::get<TenantError>(missing).status, 404);
  EXPECT_NE(std::get<TenantError>(missing).message.find("no scenario named \"no-such-scenario\""),
            std::string::npos);

  // reset-all closes every connection of the server: not something a namespace may do.
  std::string wide = "/n/t1/s/reset-all/health";
  const auto refused = choose(wide);
  ASSERT_TRUE(std::holds_alternative<TenantError>(refused));
  EXPECT_EQ(std::get<TenantError>(refused).status, 400);
  EXPECT_NE(std::get<TenantError>(refused).message.find("$.faults[0]"), std::string::npos);
}

TEST_F(TenantTest, ALoadedScenarioCanBeNamedAfterTheActiveOneChanges) {
  scenarios::Scenario mine = *context_.scenarios.current();
  mine.name = "mine";
  context_.scenarios.replace(mine);
  context_.scenarios.replace(scenarios::load_builtin_scenario("default"));
  std::string path = "/s/mine/health";
  const auto chosen = choose(path);
  ASSERT_TRUE(std::holds_alternative<Tenant>(chosen));
  EXPECT_EQ(std::get<Tenant>(chosen).scenario->name, "mine");
}

TEST_F(TenantTest, TheCapAnswers503) {
  for (std::size_t i = 0; i < kMaxNamespaces; ++i) {
    std::string path = "/n/ns" + std::to_string(i) + "/health";
    ASSERT_TRUE(std::holds_alternative<Tenant>(choose(path))) << i;
  }
  std::string one_more = "/n/one-more/health";
  const auto full = choose(one_more);
  ASSERT_TRUE(std::holds_alternative<TenantError>(full));
  EXPECT_EQ(std::get<TenantError>(full).status, 503);
  // A reset forgets the namespaces nothing uses any more.
  context_.namespaces.reset_all();
  std::string again = "/n/one-more/health";
  EXPECT_TRUE(std::holds_alternative<Tenant>(choose(again)));
}

/** An HTTP/1.1 session on the default scenario, and the admin API beside it. */
class NamespacedSession : public ::testing::Test {
 protected:
  NamespacedSession()
      : context_(scenarios::load_builtin_scenario("default")),
        api_(context_),
        stats_(context_.stats.open_connection("plain", false)),
        session_(std::make_unique<H1Session>(SessionEnv{context_, host_, stats_, "plain"})) {
    session_->start();
  }

  /** Sends one request and collects output until `text` appeared `times` times. */
  [[nodiscard]] ::testing::AssertionResult exchange(const std::string& request,
                                                    const std::string& text, std::size_t times) {
    const std::vector<std::uint8_t> bytes(request.begin(), request.end());
    testing::feed_split(bytes, rng_, 17, [&](auto piece) { session_->on_input(piece); });
    for (int round = 0; round < 10000; ++round) {
      std::vector<std::uint8_t> out;
      session_->produce_output(out, 1 << 16);
      output_.append(out.begin(), out.end());
      std::size_t seen = 0;
      for (auto at = output_.find(text); at != std::string::npos; at = output_.find(text, at + 1)) {
        ++seen;
      }
      if (seen >= times) {
        return ::testing::AssertionSuccess();
      }
      if (out.empty() && !host_.run_ready() && !host_.advance()) {
        return ::testing::AssertionFailure() << "stalled; output so far:\n" << output_;
      }
    }
    return ::testing::AssertionFailure() << "no end; output so far:\n" << output_;
  }

  json admin(const std::string& method, const std::string& target) {
    const AdminReply reply = api_.handle(method, target, "");
    EXPECT_EQ(reply.status, 200) << target << ": " << reply.body;
    return json::parse(reply.body);
  }

  ServerContext context_;
  AdminApi api_;
  FakeHost host_;
  std::shared_ptr<ConnectionStats> stats_;
  std::unique_ptr<H1Session> session_;
  std::string output_;
  std::mt19937 rng_{11};
};

TEST_F(NamespacedSession, CountsGatesAndConnectionStayInTheNamespace) {
  // A request in namespace t1 (path prefix) and one by header: both t1's.
  ASSERT_TRUE(exchange("GET /n/t1/health HTTP/1.1\r\nHost: x\r\nx-faultline-request-id: a\r\n\r\n",
                       "\r\n\r\nok", 1));
  ASSERT_TRUE(
      exchange("GET /health HTTP/1.1\r\nHost: x\r\nx-faultline-namespace: t1\r\n"
               "x-faultline-request-id: a\r\n\r\n",
               "\r\n\r\nok", 2));
  const json t1 = admin("GET", "/v1/stats?namespace=t1");
  EXPECT_EQ(t1["requests"], json({{"a", 2}}));
  EXPECT_EQ(t1["requests_total"], 2);
  ASSERT_EQ(t1["connections"].size(), 1u);
  EXPECT_EQ(t1["connections"][0]["namespace"], "t1");
  // The default namespace and t2 saw none of it.
  EXPECT_EQ(admin("GET", "/v1/stats")["requests"], json::object());
  EXPECT_EQ(admin("GET", "/v1/requests/a")["served"], 0);
  EXPECT_EQ(admin("GET", "/v1/requests/a?namespace=t1")["served"], 2);
  const json t2 = admin("GET", "/v1/stats?namespace=t2");
  EXPECT_EQ(t2["requests"], json::object());
  EXPECT_EQ(t2["connections"], json::array());

  // A held request waits at t1's gate; the default gate of that name holds nothing, and
  // only t1's release lets it go.
  const std::string hold =
      "GET /n/t1/hold HTTP/1.1\r\nHost: x\r\nx-faultline-request-id: h\r\n\r\n";
  const std::vector<std::uint8_t> bytes(hold.begin(), hold.end());
  session_->on_input(bytes);
  EXPECT_EQ(context_.namespaces.find("t1")->gates().held("hold"), 1u);
  EXPECT_EQ(context_.gates.held("hold"), 0u);
  EXPECT_EQ(admin("POST", "/v1/gates/hold/release"), json({{"released", 0}}));
  EXPECT_EQ(admin("POST", "/v1/gates/hold/release?namespace=t2"), json({{"released", 0}}));
  EXPECT_EQ(admin("POST", "/v1/gates/hold/release?namespace=t1"), json({{"released", 1}}));
  ASSERT_TRUE(exchange("", "released", 1));
  EXPECT_EQ(admin("GET", "/v1/requests/h?namespace=t1")["served"], 1);

  // A reset of t1 zeroes t1 only.
  EXPECT_EQ(admin("POST", "/v1/reset?namespace=t1"), json({{"ok", true}, {"namespace", "t1"}}));
  EXPECT_EQ(admin("GET", "/v1/stats?namespace=t1")["requests"], json::object());
}

TEST_F(NamespacedSession, AScenarioChosenByPrefixServesItsRoutesAndKeepsRedirectsInside) {
  // A redirect to a path keeps the prefixes: the client stays in t1 and its scenario.
  ASSERT_TRUE(exchange("GET /n/t1/s/default/redirect/2 HTTP/1.1\r\nHost: x\r\n\r\n",
                       "location: /n/t1/s/default/redirect/1", 1));
  // tiny has no /echo (default has): its routes answer.
  ASSERT_TRUE(
      exchange("GET /s/tiny/echo HTTP/1.1\r\nHost: x\r\n\r\n", "no route for GET /echo", 1));
  EXPECT_NE(output_.find("HTTP/1.1 404"), std::string::npos);
  ASSERT_TRUE(exchange("GET /s/nope/health HTTP/1.1\r\nHost: x\r\n\r\n",
                       "no scenario named \\\"nope\\\"", 1));
  // The connection took its first request's namespace.
  EXPECT_EQ(admin("GET", "/v1/connections?namespace=t1")["connections"].size(), 1u);
}

TEST(NamespaceAdmin, NamesAreValidatedAndStormsStayServerWide) {
  ServerContext context(scenarios::load_builtin_scenario("default"));
  AdminApi api(context);
  EXPECT_EQ(api.handle("GET", "/v1/stats?namespace=a%2Fb", "").status, 400);
  EXPECT_EQ(api.handle("GET", "/v1/stats?namespace=", "").status, 400);
  const AdminReply storm =
      api.handle("POST", "/v1/actions?namespace=t1", R"({"storm":{"error":"ENHANCE_YOUR_CALM"}})");
  EXPECT_EQ(storm.status, 400) << storm.body;
  EXPECT_EQ(api.handle("POST", "/v1/actions?nope=1", R"({"ping":{}})").status, 400);
  // A namespace nothing used yet: an empty view, not an error.
  const json view = json::parse(api.handle("GET", "/v1/stats?namespace=fresh", "").body);
  EXPECT_EQ(view["namespace"], "fresh");
  EXPECT_EQ(view["connections_total"], 0);
  EXPECT_EQ(context.namespaces.size(), 0u);  // reading creates nothing
}

}  // namespace
}  // namespace faultline::fake_server::detail
