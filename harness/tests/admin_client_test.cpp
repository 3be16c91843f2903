// AdminClient against the stub admin server (a subset of the real admin API).
#include "faultline/harness/admin_client.h"

#include <gtest/gtest.h>

#include "faultline/harness/gtest.h"
#include "faultline/harness/server_process.h"

namespace faultline::harness {
namespace {

using namespace std::chrono_literals;

class AdminClientTest : public ::testing::Test {
 protected:
  static ServerOptions options() {
    ServerOptions o;
    o.binary = std::filesystem::path(FAULTLINE_STUBS_DIR) / "stub_admin_server.py";
    return o;
  }
  ServerProcess server_{options()};
  AdminClient admin_ = server_.admin();
};

TEST_F(AdminClientTest, HealthAndStats) {
  auto health = admin_.health();
  ASSERT_TRUE(to_assertion(health));
  EXPECT_EQ(health.body["ok"], true);
  auto stats = admin_.stats();
  ASSERT_TRUE(to_assertion(stats));
  EXPECT_TRUE(stats.body.contains("requests_total"));
  EXPECT_TRUE(to_assertion(admin_.reset()));
  EXPECT_EQ(admin_.stats().body["requests_total"], 1);
}

TEST_F(AdminClientTest, ScenarioPutReturnsTheErrorPathOn400) {
  auto ok = admin_.put_scenario({{"name", "next"}});
  ASSERT_TRUE(to_assertion(ok));
  EXPECT_EQ(ok.body["scenario"], "next");
  EXPECT_EQ(admin_.scenario().body["name"], "next");
  auto bad = admin_.put_scenario({{"name", 5}});
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_path(), "$.name");
  EXPECT_EQ(bad.error_message(), "must be a string");
  EXPECT_NE(bad.describe().find("PUT /v1/scenario -> 400"), std::string::npos) << bad.describe();
  auto malformed = admin_.put_scenario_text("{not json");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.error_path(), "$");
}

TEST_F(AdminClientTest, GatesReleaseAndRequestIds) {
  EXPECT_EQ(admin_.gates().body["gates"]["gate-1"]["held"], 2);
  EXPECT_EQ(admin_.release("gate-1", 1).body["released"], 1);
  EXPECT_EQ(admin_.release("gate-1").body["released"], 1);
  EXPECT_EQ(admin_.release("gate-1").body["released"], 0);
  EXPECT_EQ(admin_.request("a b/c").body["id"], "a b/c");  // path segment encoded
}

TEST_F(AdminClientTest, UnknownEndpointAndNonJsonAnswers) {
  auto missing = admin_.call("GET", "/v1/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.error_message().find("no such endpoint"), std::string::npos);
  auto text = admin_.call("GET", "/v1/not-json");
  EXPECT_FALSE(text.ok());
  EXPECT_NE(text.error.find("not JSON"), std::string::npos) << text.error;
}

TEST_F(AdminClientTest, UnreachableAdminIsAnErrorNotAHang) {
  ASSERT_TRUE(server_.stop());
  AdminClient gone(server_.ready().admin, 2s);
  auto r = gone.health();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("unreachable"), std::string::npos) << r.error;
}

TEST(AdminPath, EncodesSegments) {
  EXPECT_EQ(encode_path_segment("gate-1"), "gate-1");
  EXPECT_EQ(encode_path_segment("a b/c?"), "a%20b%2Fc%3F");
}

}  // namespace
}  // namespace faultline::harness
