// Namespaces and per-request scenarios on a running server, seen by independent clients
// (curl, nghttp): two namespaces share one server and never see each other's counters,
// gates or faults (docs/admin-api.md, "Namespaces").
#include <gtest/gtest.h>

#include "process_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;

class Namespaces : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::start({"--scenario", "default"});
    ASSERT_TRUE(server_);
  }

  /** curl GET over h2 (TLS + ALPN); `-w` appends the status code on a last line. */
  std::vector<std::string> curl_get(const std::string& path, const std::string& request_id,
                                    const std::vector<std::string>& headers = {}) {
    std::vector<std::string> argv = {curl(),
                                     "-sS",
                                     "--http2",
                                     "--cacert",
                                     server_->ca(),
                                     "-H",
                                     "x-faultline-request-id: " + request_id,
                                     "-w",
                                     "\n%{http_code}"};
    for (const auto& header : headers) {
      argv.push_back("-H");
      argv.push_back(header);
    }
    argv.push_back(server_->https() + path);
    return argv;
  }

  json admin(const std::string& method, const std::string& target) {
    const auto reply = server_->admin_call(method, target);
    EXPECT_EQ(reply.status, 200) << method << " " << target << ": " << reply.body.dump();
    return reply.body;
  }

  [[nodiscard]] ::testing::AssertionResult held(const std::string& ns, int count) {
    return eventually(
        [&] { return admin("GET", "/v1/gates?namespace=" + ns)["gates"]["hold"]["held"] == count; },
        20s, "namespace " + ns + " holding " + std::to_string(count) + " at gate hold");
  }

  std::unique_ptr<TestServer> server_;
};

TEST_F(Namespaces, CountsAreKeptApartByPrefixAndHeader) {
  // The same request id in two namespaces (one by path prefix, one by header).
  EXPECT_EQ(run_command(curl_get("/n/a/health", "x")).out, "ok\n200");
  EXPECT_EQ(run_command(curl_get("/health", "x", {"x-faultline-namespace: b"})).out, "ok\n200");
  EXPECT_EQ(run_command(curl_get("/health", "x", {"x-faultline-namespace: b"})).out, "ok\n200");
  EXPECT_EQ(admin("GET", "/v1/requests/x?namespace=a")["served"], 1);
  EXPECT_EQ(admin("GET", "/v1/requests/x?namespace=b")["served"], 2);
  EXPECT_EQ(admin("GET", "/v1/requests/x")["served"], 0);  // the default namespace's
  // Each curl run is its own connection, bound to its namespace.
  const json a = admin("GET", "/v1/stats?namespace=a");
  EXPECT_EQ(a["connections_total"], 1);
  EXPECT_EQ(a["requests"], json({{"x", 1}}));
  EXPECT_EQ(a["connections"][0]["namespace"], "a");
  EXPECT_EQ(admin("GET", "/v1/stats?namespace=b")["connections_total"], 2);
  // A reset of a leaves b alone.
  admin("POST", "/v1/reset?namespace=a");
  EXPECT_EQ(admin("GET", "/v1/stats?namespace=a")["connections_total"], 0);
  EXPECT_EQ(admin("GET", "/v1/requests/x?namespace=b")["served"], 2);
}

TEST_F(Namespaces, BadChoicesAreJsonErrors) {
  // An unknown scenario: 404 with a JSON message naming it.
  const CommandResult unknown = run_command(curl_get("/s/no-such/health", "u"));
  EXPECT_NE(unknown.out.find("no scenario named \\\"no-such\\\""), std::string::npos)
      << unknown.out;
  EXPECT_EQ(unknown.out.substr(unknown.out.size() - 3), "404");
  // An invalid namespace name, and two names that disagree: 400.
  EXPECT_EQ(run_command(curl_get("/n/a%20b/health", "v")).out.substr(0, 9), "{\"error\":");
  const CommandResult twice =
      run_command(curl_get("/n/a/health", "w", {"x-faultline-namespace: b"}));
  EXPECT_EQ(twice.out.substr(twice.out.size() - 3), "400") << twice.out;
  EXPECT_EQ(admin("GET", "/v1/stats?namespace=a")["connections_total"], 0);
}

TEST_F(Namespaces, GatesReleasePerNamespace) {
  // One request held in a, one in b, at gates of the same name.
  BackgroundCommand in_a(curl_get("/n/a/hold", "ha"), 60s);
  BackgroundCommand in_b(curl_get("/n/b/hold", "hb"), 60s);
  ASSERT_TRUE(held("a", 1));
  ASSERT_TRUE(held("b", 1));
  EXPECT_EQ(admin("GET", "/v1/gates")["gates"]["hold"]["held"], 0);
  // Releasing b's gate lets b's request go, not a's.
  EXPECT_EQ(admin("POST", "/v1/gates/hold/release?namespace=b"), json({{"released", 1}}));
  EXPECT_EQ(in_b.wait().out, "released\n200");
  EXPECT_EQ(admin("GET", "/v1/gates?namespace=a")["gates"]["hold"]["held"], 1);
  EXPECT_EQ(admin("POST", "/v1/gates/hold/release?namespace=a"), json({{"released", 1}}));
  EXPECT_EQ(in_a.wait().out, "released\n200");
}

TEST_F(Namespaces, FaultsOfAChosenScenarioStayInTheirNamespace) {
  // refused-first-attempt refuses each request id's first attempt at /flaky with
  // RST_STREAM(REFUSED_STREAM); curl retries it at once. The same id in a, then in b:
  // each namespace counts its own attempts, so b's first attempt is refused too.
  const std::string flaky = "/s/refused-first-attempt/flaky";
  for (const char* ns : {"/n/a", "/n/b"}) {
    const CommandResult served = run_command(curl_get(ns + flaky, "f"));
    EXPECT_EQ(served.out.substr(served.out.size() - 3), "200") << served.out << served.err;
  }
  for (const char* ns : {"a", "b"}) {
    const json stats = admin("GET", std::string("/v1/stats?namespace=") + ns);
    EXPECT_EQ(stats["faults_fired"], json({{"refuse-first", 1}})) << ns;
    EXPECT_EQ(stats["requests"], json({{"f", 1}})) << ns;
    EXPECT_EQ(stats["connections"][0]["scenario"], "refused-first-attempt") << ns;
  }
  // The default namespace, on the default scenario: no such fault on /flaky; the
  // server-wide view counts both namespaces' firings.
  EXPECT_EQ(run_command(curl_get("/flaky", "f")).exit_code, 0);
  EXPECT_EQ(admin("GET", "/v1/stats")["faults_fired"], json({{"refuse-first", 2}}));
}

TEST_F(Namespaces, AConnectionFaultReachesOnlyItsOwnConnection) {
  // b holds a request on its own connection.
  BackgroundCommand in_b(curl_get("/n/b/hold", "hb"), 60s);
  ASSERT_TRUE(held("b", 1));
  // a opens 6 streams on one connection in goaway-after-5: its connection gets GOAWAY.
  const CommandResult nghttp = run_command(
      {FAULTLINE_NGHTTP, "-n", "-m", "6", server_->https() + "/n/a/s/goaway-after-5/health"});
  // (streams above the GOAWAY fail, so its status varies: what counts is the server's view)
  EXPECT_FALSE(nghttp.timed_out) << nghttp.err;
  const json a = admin("GET", "/v1/stats?namespace=a");
  EXPECT_EQ(a["faults_fired"], json({{"goaway-after-5", 1}})) << a.dump();
  EXPECT_GE(a["goaway_sent"].get<int>(), 1);
  // b's connection saw no GOAWAY and still serves its held request.
  const json b = admin("GET", "/v1/stats?namespace=b");
  EXPECT_EQ(b["goaway_sent"], 0) << b.dump();
  EXPECT_EQ(b["faults_fired"], json::object());
  EXPECT_EQ(b["connections_open"], 1);
  EXPECT_EQ(admin("POST", "/v1/gates/hold/release?namespace=b"), json({{"released", 1}}));
  EXPECT_EQ(in_b.wait().out, "released\n200");
}

}  // namespace
}  // namespace faultline::fake_server::testing
