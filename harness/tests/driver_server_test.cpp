// The harness against the real faultline-server: ServerProcess and AdminClient on the
// contract of docs/admin-api.md, and the libcurl and Node/undici drivers end to end on
// the default scenario (h2 over TLS, echo with SHA-256, streamed bytes, SSE, redirects in
// the three modes, held streams, aborts, timeouts, the h1-only listener).
#include <gtest/gtest.h>

#include <thread>

#include "faultline/common/sha256.h"
#include "faultline/harness/curl_driver.h"
#include "faultline/harness/errc.h"
#include "faultline/harness/gtest.h"
#include "faultline/harness/server_process.h"
#include "support/drivers.h"

namespace faultline::harness::testing {
namespace {

using namespace std::chrono_literals;

using common::sha256_hex;

ServerOptions default_scenario() {
  ServerOptions o;
  o.scenario = "default";
  return o;
}

TEST(RealServer, ReadyLineNamesEveryListenerAndTheCa) {
  ServerProcess server(default_scenario());
  EXPECT_EQ(server.https(), server.listener("main"));
  EXPECT_EQ(server.http(), server.listener("plain"));
  EXPECT_EQ(server.listener("h1only").rfind("https://127.0.0.1:", 0), 0u);
  EXPECT_TRUE(std::filesystem::exists(server.ca())) << server.ca();
  EXPECT_EQ(server.ready().pid, server.pid());
  EXPECT_EQ(server.ready().scenario, "default");
  EXPECT_TRUE(to_assertion(server.admin().health()));
  const StopResult stopped = server.stop();
  EXPECT_TRUE(stopped) << stopped.description;
}

// ServerOptions::admin_token reaches the server, and admin() sends it: a client without
// it is refused.
TEST(RealServer, TheAdminTokenIsPassedThroughAndSent) {
  ServerOptions o = default_scenario();
  o.admin_token = "harness-token";
  ServerProcess server(o);
  EXPECT_TRUE(to_assertion(server.admin().health()));
  EXPECT_TRUE(to_assertion(server.admin().reset()));
  const AdminClient bare(server.ready().admin);
  EXPECT_EQ(bare.health().status, 401) << bare.health().describe();
}

TEST(RealServer, BadScenarioFailsToStartWithTheServersErrorLine) {
  ServerOptions o;
  o.scenario = "no-such-scenario";
  try {
    ServerProcess server(o);
    FAIL() << "started";
  } catch (const HarnessError& e) {
    EXPECT_EQ(e.code(), errc::exited_early);
    EXPECT_NE(std::string(e.what()).find("faultline-server: error:"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("status 2"), std::string::npos) << e.what();
  }
}

TEST(RealServer, AdminClientSpeaksTheContract) {
  ServerProcess server(default_scenario());
  AdminClient admin = server.admin();
  auto scenario = admin.scenario();
  ASSERT_TRUE(to_assertion(scenario));
  EXPECT_EQ(scenario.body["name"], "default");
  auto bad = admin.put_scenario({{"name", "x"}, {"routes", "not a list"}});
  EXPECT_EQ(bad.status, 400) << bad.describe();
  EXPECT_EQ(bad.error_path().rfind("$", 0), 0u) << bad.describe();
  EXPECT_EQ(admin.scenario().body["name"], "default");  // the old one stays
  auto stats = admin.stats();
  ASSERT_TRUE(to_assertion(stats));
  for (const char* field :
       {"connections_total", "connections_open", "streams_total", "requests_total"}) {
    EXPECT_TRUE(stats.body.contains(field)) << field << " in " << stats.body.dump();
  }
  EXPECT_TRUE(to_assertion(admin.reset()));
  EXPECT_TRUE(to_assertion(admin.gates()));
  EXPECT_EQ(admin.release("hold").body["released"], 0);
  EXPECT_EQ(admin.request("never-sent").body["served"], 0);
}

TEST(RealServer, AdminClientInANamespaceSeesItsOwnOnly) {
  ServerProcess server(default_scenario());
  const AdminClient admin = server.admin();
  const AdminClient t1 = admin.in_namespace("t1");
  EXPECT_EQ(namespace_prefix("t1", "tiny"), "/n/t1/s/tiny");
  // One request of t1, by prefix, through the curl driver.
  CurlDriver driver(CurlDriverOptions{server.ca()});
  Request r;
  r.url = server.https() + namespace_prefix("t1") + "/health";
  r.headers = {{"x-faultline-request-id", "x"}};
  auto done = driver.send(r)->wait_done(20s);
  ASSERT_TRUE(to_assertion(done));
  EXPECT_EQ(done.response.status, 200);
  EXPECT_EQ(t1.request("x").body["served"], 1);
  EXPECT_EQ(admin.request("x").body["served"], 0);
  EXPECT_EQ(admin.in_namespace("t2").request("x").body["served"], 0);
  EXPECT_EQ(t1.stats().body["namespace"], "t1");
  EXPECT_EQ(t1.connections().body["connections"].size(), 1u);
  EXPECT_EQ(t1.release("hold").body["released"], 0);
  ASSERT_TRUE(to_assertion(t1.reset()));
  EXPECT_EQ(t1.request("x").body["served"], 0);
}

class DriverOnServer : public ::testing::TestWithParam<DriverKind> {
 protected:
  void SetUp() override { driver_ = GetParam().make(server_.ca()); }

  Request get(const std::string& path, const std::string& origin = {}) {
    Request r;
    r.url = (origin.empty() ? server_.https() : origin) + path;
    return r;
  }

  /** A POST to /echo tagged `id` with `size` binary bytes, byte i = i * step + i / period. */
  Request binary_post(const std::string& id, std::size_t size, std::size_t step,
                      std::size_t period) {
    Request r = get("/echo");
    r.method = "POST";
    r.headers = {{"content-type", "application/octet-stream"}, {"x-faultline-request-id", id}};
    r.body = std::string(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
      (*r.body)[i] = static_cast<char>(i * step + i / period);
    }
    return r;
  }

  /** Waits until the server holds `count` streams at gate `gate`. */
  ::testing::AssertionResult held(const std::string& gate, int count) {
    AdminClient admin = server_.admin();
    auto gate_holds = [&]() -> ::testing::AssertionResult {
      const nlohmann::json gates = admin.gates().body;
      const bool holds = gates.contains("gates") && gates["gates"].contains(gate) &&
                         gates["gates"][gate].value("held", 0) >= count;
      return (holds ? ::testing::AssertionSuccess() : ::testing::AssertionFailure())
             << gates.dump();
    };
    return eventually(gate_holds, 20s, "gate " + gate + " holds " + std::to_string(count));
  }

  ServerProcess server_{default_scenario()};
  std::unique_ptr<Driver> driver_;
};

TEST_P(DriverOnServer, HealthOverH2) {
  auto done = driver_->send(get("/health"))->wait_done(20s);
  ASSERT_TRUE(to_assertion(done)) << driver_->diagnostics();
  EXPECT_EQ(done.response.status, 200);
  EXPECT_EQ(done.response.protocol, "h2");
  EXPECT_EQ(done.response.body, "ok");
}

TEST_P(DriverOnServer, EchoDescribesABinaryUploadAndTheServerCountsTheRequestId) {
  // A POST with a binary body and a request id; the echo reports size and SHA-256.
  const Request r = binary_post("echo-1", 100 * 1024, 7, 256);
  auto done = driver_->send(r)->wait_done(20s);
  ASSERT_TRUE(to_assertion(done));
  EXPECT_EQ(find_header(done.response.headers, "x-faultline-request-id"), "echo-1");
  const auto echo = nlohmann::json::parse(done.response.body);
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["body_bytes"], r.body->size());
  EXPECT_EQ(echo["sha256"], sha256_hex(*r.body));
  // Served exactly once, as the server counts it.
  EXPECT_EQ(server_.admin().request("echo-1").body["served"], 1);
}

TEST_P(DriverOnServer, StreamedUploadArrivesWholeAndOnce) {
  // body_stream: the driver hands the body to its client as a one-shot stream.
  Request r = binary_post("up-1", 300 * 1024, 13, 1024);
  r.body_stream = true;
  auto done = driver_->send(r)->wait_done(20s);
  ASSERT_TRUE(to_assertion(done)) << driver_->diagnostics();
  const auto echo = nlohmann::json::parse(done.response.body);
  EXPECT_EQ(echo["body_bytes"], r.body->size());
  EXPECT_EQ(echo["sha256"], sha256_hex(*r.body));
  EXPECT_EQ(server_.admin().request("up-1").body["served"], 1);
}

TEST_P(DriverOnServer, PausedBodyCompletesAfterResume) {
  // Paused right after its head (a pause of an unknown id is ignored), then resumed: the
  // body arrives whole, the same bytes as unpaused, and the driver goes on.
  auto ex = driver_->send(get("/bytes/2097152"));
  ASSERT_TRUE(to_assertion(ex->wait_headers(20s))) << driver_->diagnostics();
  driver_->pause(ex->id());
  driver_->pause(ex->id() + 1000);
  driver_->resume(ex->id());
  auto paused = ex->wait_done(30s);
  ASSERT_TRUE(to_assertion(paused)) << driver_->diagnostics();
  auto plain = driver_->send(get("/bytes/2097152"))->wait_done(30s);
  ASSERT_TRUE(to_assertion(plain));
  EXPECT_EQ(paused.response.body.size(), 2097152u);
  EXPECT_TRUE(paused.response.body == plain.response.body);
}

TEST_P(DriverOnServer, RandomBytesStreamInManyDataEventsAndRepeat) {
  auto first = driver_->send(get("/bytes/1048576"))->wait_done(30s);
  ASSERT_TRUE(to_assertion(first));
  EXPECT_EQ(first.response.body.size(), 1048576u);
  EXPECT_GT(first.response.data_events, 1u);
  auto second = driver_->send(get("/bytes/1048576"))->wait_done(30s);
  ASSERT_TRUE(to_assertion(second));
  EXPECT_TRUE(first.response.body == second.response.body);  // same seed, same bytes
}

TEST_P(DriverOnServer, SseArrivesIncrementally) {
  // 5 events 50 ms apart: the first data event comes well before the end.
  auto ex = driver_->send(get("/sse"));
  auto done = ex->wait_done(20s);
  ASSERT_TRUE(to_assertion(done));
  EXPECT_EQ(find_header(done.response.headers, "content-type"), "text/event-stream");
  EXPECT_NE(done.response.body.find("event: tick"), std::string::npos) << done.response.body;
  const double first_data = done.response.first_data_ms;
  const double end = done.response.done_ms;
  EXPECT_GE(done.response.data_events, 1U);
  EXPECT_LT(first_data, end - 100)
      << "first data at " << first_data << " ms, end at " << end << " ms";
}

TEST_P(DriverOnServer, RedirectModes) {
  if (!GetParam().follows_redirects) {
    // The library has no redirect support: "follow" fails typed, "manual" still works.
    auto refused = driver_->send(get("/redirect/3"))->wait_error(ErrorKind::other, 20s);
    EXPECT_TRUE(to_assertion(refused));
    Request manual = get("/redirect/3");
    manual.redirect = RedirectMode::manual;
    auto kept = driver_->send(manual)->wait_done(20s);
    ASSERT_TRUE(to_assertion(kept));
    EXPECT_EQ(kept.response.status, 302);
    return;
  }
  Request follow = get("/redirect/3");
  auto followed = driver_->send(follow)->wait_done(20s);
  ASSERT_TRUE(to_assertion(followed));
  EXPECT_EQ(followed.response.status, 200);
  EXPECT_EQ(followed.response.body, "done");

  Request manual = get("/redirect/3");
  manual.redirect = RedirectMode::manual;
  auto kept = driver_->send(manual)->wait_done(20s);
  ASSERT_TRUE(to_assertion(kept));
  EXPECT_EQ(kept.response.status, 302);
  EXPECT_EQ(find_header(kept.response.headers, "location").value_or("").find("/redirect/2"), 0u)
      << find_header(kept.response.headers, "location").value_or("(none)");

  Request refuse = get("/redirect/3");
  refuse.redirect = RedirectMode::error;
  EXPECT_TRUE(to_assertion(driver_->send(refuse)->wait_error(ErrorKind::network, 20s)));

  if (GetParam().redirect_limit_fails) {
    EXPECT_TRUE(to_assertion(driver_->send(get("/loop/a"))->wait_error(ErrorKind::network, 20s)));
  } else {
    // A redirect loop ends with the last redirect response, as the client returns it.
    auto looped = driver_->send(get("/loop/a"))->wait_done(20s);
    ASSERT_TRUE(to_assertion(looped));
    EXPECT_EQ(looped.response.status, 302);
  }
}

TEST_P(DriverOnServer, HeldStreamReleasedByTheAdminApi) {
  auto ex = driver_->send(get("/hold"));
  ASSERT_TRUE(held("hold", 1));
  EXPECT_FALSE(ex->done());
  EXPECT_EQ(server_.admin().release("hold").body["released"], 1);
  auto done = ex->wait_done(20s);
  ASSERT_TRUE(to_assertion(done));
  EXPECT_EQ(done.response.body, "released");
}

TEST_P(DriverOnServer, AbortOfAHeldStreamEndsAsAbortedAndTheDriverGoesOn) {
  auto ex = driver_->send(get("/hold"));
  ASSERT_TRUE(held("hold", 1));
  driver_->abort(ex->id());
  EXPECT_TRUE(to_assertion(ex->wait_error(ErrorKind::aborted, 20s)));
  EXPECT_TRUE(to_assertion(driver_->send(get("/health"))->wait_done(20s)));
}

TEST_P(DriverOnServer, TimeoutOfAHeldStreamEndsAsTimeout) {
  Request r = get("/hold");
  r.timeout_ms = 300;
  EXPECT_TRUE(to_assertion(driver_->send(r)->wait_error(ErrorKind::timeout, 20s)));
}

TEST_P(DriverOnServer, H1OnlyListenerIsServedOverHttp11) {
  if (!GetParam().speaks_h1) {
    // An h2-only client against an h1-only origin fails typed, without breaking the driver.
    auto r = driver_->send(get("/health", server_.listener("h1only")))->wait_done(20s);
    ASSERT_TRUE(r.response.error) << r.description;
    EXPECT_NE(r.response.error->kind, ErrorKind::driver) << r.description;
    EXPECT_TRUE(to_assertion(driver_->send(get("/health"))->wait_done(20s)));
    return;
  }
  auto done = driver_->send(get("/health", server_.listener("h1only")))->wait_done(20s);
  ASSERT_TRUE(to_assertion(done));
  EXPECT_EQ(done.response.status, 200);
  EXPECT_EQ(done.response.protocol, "http/1.1");
}

TEST_P(DriverOnServer, ErrorStatusesKeepTheirBodies) {
  auto done = driver_->send(get("/status/503"))->wait_done(20s);
  ASSERT_TRUE(to_assertion(done));
  EXPECT_EQ(done.response.status, 503);
  EXPECT_EQ(nlohmann::json::parse(done.response.body)["error"]["status"], 503);
}

INSTANTIATE_TEST_SUITE_P(Drivers, DriverOnServer, ::testing::ValuesIn(driver_kinds()),
                         driver_kind_name);

}  // namespace
}  // namespace faultline::harness::testing
