// Close faults on the wire: how a connection ends (TLS close_notify, plain FIN, TCP RST)
// seen by close_probe.py and by openssl s_client, an h2 response cut mid-body seen by
// curl, an idle HTTP/1.1 keep-alive connection closed by a goaway's close_after_ms, and
// an HTTP/1.1 response head cut in half (raw bytes and Node's http); each cross-checked
// with the server's stats and timeline.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fault_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

/** Waits until the server has exactly one connection and knows its protocol; its id. */
std::uint64_t one_ready_connection(const TestServer& server, const std::string& protocol) {
  std::uint64_t id = 0;
  EXPECT_TRUE(eventually(
      [&] {
        const json conns = server.stats()["connections"];
        if (conns.size() != 1 || conns[0]["protocol"] != protocol) {
          return false;
        }
        id = conns[0]["id"].get<std::uint64_t>();
        return true;
      },
      20s, "one " + protocol + " connection ready"));
  return id;
}

/** The connection's stats once the server has closed it. */
json closed_connection(const TestServer& server, std::uint64_t id) {
  json conn;
  EXPECT_TRUE(eventually(
      [&] {
        conn = server.admin_call("GET", "/v1/connections/" + std::to_string(id)).body;
        return conn.is_object() && conn.value("open", true) == false;
      },
      20s, "connection " + std::to_string(id) + " closed"));
  return conn;
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct CloseCase {
  std::string mode;           ///< the close action's mode
  std::string alpn;           ///< what the client offers (and the server selects)
  bool close_notify;          ///< a TLS close_notify alert reaches the client
  std::string tcp_end;        ///< "fin" or "reset"
  std::string s_client_says;  ///< what `openssl s_client -msg` prints about the end
};

// openssl s_client -msg: the alert it received ("<<<"), or its read error.
constexpr const char* kReceivedCloseNotify =
    "<<< TLS 1.3, Alert [length 0002], warning close_notify";
constexpr const char* kUnexpectedEof = "unexpected eof while reading";
constexpr const char* kConnectionReset = "read:errno=104";  // ECONNRESET

void PrintTo(const CloseCase& c, std::ostream* os) {
  *os << c.mode << " over " << c.alpn;
}

class FaultTlsClose : public ::testing::TestWithParam<CloseCase> {};

TEST_P(FaultTlsClose, TheClientSeesTheModesEnding) {
  const CloseCase& c = GetParam();
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  // The probe completes the handshake and then only reads.
  auto probe = close_probe_background(server->port("main"),
                                      {{"tls", true}, {"ca", server->ca()}, {"alpn", {c.alpn}}});
  ASSERT_TRUE(probe);
  const std::uint64_t id = one_ready_connection(*server, c.alpn == "h2" ? "h2" : "http/1.1");
  ASSERT_NE(id, 0u);

  // Close it now, in the mode under test.
  EXPECT_TRUE(apply_to_one(*server, {{"close", {{"mode", c.mode}, {"at", "now"}}}}, id));

  // On the wire: close_notify (a clean TLS end) only for close_notify, and the TCP end.
  const json seen = raw_result(probe->wait());
  ASSERT_TRUE(seen.is_object());
  EXPECT_TRUE(seen["connected"].get<bool>()) << seen.dump();
  EXPECT_EQ(seen["alpn"], c.alpn);
  EXPECT_EQ(seen["close_notify"], c.close_notify) << seen.dump();
  EXPECT_EQ(seen["tcp_end"], c.tcp_end) << seen.dump();
  EXPECT_EQ(seen["error"], "") << seen.dump();
  if (c.alpn == "http/1.1") {
    EXPECT_EQ(seen["received"], "");  // nothing before the end
  }

  // The server agrees: closed by the fault, and the close is the timeline's last event.
  const json conn = closed_connection(*server, id);
  EXPECT_EQ(conn["close_reason"], "close fault");
  EXPECT_EQ(conn["tls_version"], seen["tls_version"]);
  const json events =
      server->admin_call("GET", "/v1/connections/" + std::to_string(id) + "/timeline")
          .body["events"];
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["type"], "close");
  EXPECT_EQ(events.back()["detail"], "close fault");
}

TEST_P(FaultTlsClose, OpensslSClientSeesTheModesEnding) {
  const CloseCase& c = GetParam();
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  // s_client keeps the connection open on its empty stdin (-ign_eof) and logs every
  // TLS message (-msg), the server's alerts included.
  const auto openssl = tool_path(FAULTLINE_OPENSSL, "openssl");
  ASSERT_TRUE(openssl);
  BackgroundCommand client(
      {*openssl, "s_client", "-connect", "127.0.0.1:" + std::to_string(server->port("main")),
       "-alpn", c.alpn, "-CAfile", server->ca(), "-msg", "-ign_eof"},
      60s);
  const std::uint64_t id = one_ready_connection(*server, c.alpn == "h2" ? "h2" : "http/1.1");
  ASSERT_NE(id, 0u);
  EXPECT_TRUE(apply_to_one(*server, {{"close", {{"mode", c.mode}}}}, id));
  const CommandResult result = client.wait();
  ASSERT_FALSE(result.timed_out) << result.out << result.err;
  const std::string said = result.out + result.err;
  EXPECT_NE(said.find(c.s_client_says), std::string::npos) << said;
  EXPECT_EQ(said.find("<<< TLS 1.3, Alert") != std::string::npos, c.close_notify) << said;
  // A clean end is a clean exit; a truncation or reset is an error.
  EXPECT_EQ(result.exit_code == 0, c.close_notify) << result.exit_code << "\n" << said;
  EXPECT_EQ(closed_connection(*server, id)["close_reason"], "close fault");
}

INSTANTIATE_TEST_SUITE_P(
    Modes, FaultTlsClose,
    ::testing::Values(CloseCase{"close_notify", "http/1.1", true, "fin", kReceivedCloseNotify},
                      CloseCase{"fin", "http/1.1", false, "fin", kUnexpectedEof},
                      CloseCase{"reset", "http/1.1", false, "reset", kConnectionReset},
                      CloseCase{"close_notify", "h2", true, "fin", kReceivedCloseNotify},
                      CloseCase{"fin", "h2", false, "fin", kUnexpectedEof},
                      CloseCase{"reset", "h2", false, "reset", kConnectionReset}),
    [](const ::testing::TestParamInfo<CloseCase>& info) {
      return info.param.mode + (info.param.alpn == "h2" ? "_h2" : "_http11");
    });

TEST(FaultClose, MidBodyOnHttp2TruncatesTheBodyThenLosesTheConnection) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  ASSERT_TRUE(install_faults(
      *server, json::array({{{"name", "cut"},
                             {"on", {{"path", "/bytes/65536"}}},
                             {"do", {{"close", {{"at", "mid_body"}, {"after_bytes", 20000}}}}}}})));
  // curl over h2 gets part of the 64 KiB body, then the connection is gone.
  const auto file = write_temp_file("faultline-h2-mid-body", "");
  const CommandResult result =
      run_command({curl(), "-sS", "--http2", "--cacert", server->ca(), "-o", file.string(), "-w",
                   "%{http_version} %{http_code}", server->https() + "/bytes/65536"});
  EXPECT_FALSE(result.timed_out);
  // 16: HTTP/2 framing layer, 18: partial file, 56: receive failure, 92: stream error.
  EXPECT_TRUE(result.exit_code == 16 || result.exit_code == 18 || result.exit_code == 56 ||
              result.exit_code == 92)
      << "curl exit " << result.exit_code << ": " << result.err;
  EXPECT_EQ(result.out, "2 200");
  const std::string body = read_bytes(file);
  EXPECT_GT(body.size(), 0u);
  EXPECT_LT(body.size(), 65536u);
  // The server cuts after exactly after_bytes; what came is the documented body's prefix.
  EXPECT_EQ(body.size(), 20000u);
  EXPECT_EQ(body, splitmix_bytes(7, body.size()));

  // The server agrees: one firing, closed mid-body, 20000 DATA bytes sent on stream 1,
  // none with END_STREAM.
  const json conn = closed_connection(*server, 1);
  EXPECT_EQ(conn["close_reason"], "close fault mid_body");
  EXPECT_EQ(conn["faults_fired"], json({{"cut", 1}}));
  EXPECT_EQ(server->stats()["faults_fired"], json({{"cut", 1}}));
  std::uint64_t sent = 0;
  for (const auto& data : timeline_events(*server, 1, "out", "DATA")) {
    EXPECT_EQ(data["stream"], 1);
    EXPECT_EQ(data["flags"], json::array()) << data.dump();
    sent += data["length"].get<std::uint64_t>();
  }
  EXPECT_EQ(sent, body.size());
}

TEST(FaultClose, IdleHttp1KeepAliveClosesAfterTheGoawaysDelay) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  // One request on a TLS HTTP/1.1 keep-alive connection; the probe then reads to the end.
  // A HEAD request: its exchange is over when the server records the response, so the
  // connection is idle by the time the action below arrives.
  auto probe = close_probe_background(
      server->port("main"), {{"tls", true},
                             {"ca", server->ca()},
                             {"alpn", {"http/1.1"}},
                             {"send", "HEAD /echo HTTP/1.1\r\nhost: fault-test\r\n\r\n"}});
  ASSERT_TRUE(probe);
  const std::uint64_t id = one_ready_connection(*server, "http/1.1");
  ASSERT_TRUE(eventually([&] { return !timeline_events(*server, id, "out", "response").empty(); },
                         20s, "response sent"));
  // Answered and idle: keep-alive holds it open.
  EXPECT_EQ(server->stats()["connections_open"], 1);

  // goaway on HTTP/1.1: no response in progress, so the idle connection closes
  // close_after_ms later (close_notify, then FIN).
  const auto start = Clock::now();
  EXPECT_TRUE(apply_to_one(*server, {{"goaway", {{"close_after_ms", 300}}}}, id));
  const json seen = raw_result(probe->wait());
  const auto waited = Clock::now() - start;
  ASSERT_TRUE(seen.is_object());
  EXPECT_GE(waited, 300ms);
  const std::string received = seen["received"];
  EXPECT_EQ(received.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << received;
  EXPECT_TRUE(received.ends_with("\r\n\r\n")) << received;  // a head, no body
  EXPECT_EQ(received.find("connection: close"), std::string::npos) << received;
  EXPECT_TRUE(seen["close_notify"].get<bool>()) << seen.dump();
  EXPECT_EQ(seen["tcp_end"], "fin") << seen.dump();

  // The server agrees: closed by the delay, at least 300 ms after the response.
  const json conn = closed_connection(*server, id);
  EXPECT_EQ(conn["close_reason"], "goaway: close_after_ms");
  EXPECT_EQ(conn["requests"], 1);
  const auto response = timeline_events(*server, id, "out", "response");
  const auto close = timeline_events(*server, id, "out", "close");
  ASSERT_EQ(response.size(), 1u);
  ASSERT_EQ(close.size(), 1u);
  EXPECT_GE(close[0]["t_ms"].get<double>() - response[0]["t_ms"].get<double>(), 300.0);
}

TEST(FaultClose, Http1MidHeadersCutsTheResponseHeadInHalf) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  // Attempts 2 and 3 of GET /health are cut; the first is served whole.
  ASSERT_TRUE(
      install_faults(*server, json::array({{{"name", "cut-head"},
                                            {"on", {{"path", "/health"}, {"attempt", {2, 3}}}},
                                            {"do", {{"close", {{"at", "mid_headers"}}}}},
                                            {"times", "always"}}})));
  const std::string url = server->http() + "/health";

  // 1. The whole head, as curl received it.
  const CommandResult whole = run_command({curl(), "-sS", "--http1.1", "-D", "-", url});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const std::string head = whole.out.substr(0, whole.out.find("\r\n\r\n") + 4);
  ASSERT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << whole.out;

  // 2. The raw bytes of a cut one: exactly the first half of that head, then FIN.
  const json seen = close_probe(
      server->port("plain"),
      {{"send", "GET /health HTTP/1.1\r\nhost: " + server->http().substr(7) + "\r\n\r\n"}});
  ASSERT_TRUE(seen.is_object());
  EXPECT_EQ(seen["received"], head.substr(0, head.size() / 2)) << seen.dump();
  EXPECT_EQ(seen["tcp_end"], "fin") << seen.dump();

  // 3. Node's HTTP/1.1 parser: no response, the socket hung up. (curl 7.88 is no witness
  //    here: it takes a status line followed by EOF as a complete, empty 200.)
  const std::string script = R"(
    const req = require('http').get(process.argv[1], (res) => {
      console.log(JSON.stringify({status: res.statusCode}));
      process.exit(0);
    });
    req.on('error', (e) => { console.log(JSON.stringify({error: e.code || String(e)})); });
  )";
  const CommandResult cut = run_command({node(), "-e", script, url}, 60s);
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  const json parsed = json::parse(cut.out, nullptr, false);
  EXPECT_EQ(parsed, json({{"error", "ECONNRESET"}})) << cut.out;

  // The server agrees: two firings, each cut connection closed mid-headers and no
  // response recorded there.
  EXPECT_EQ(server->stats()["faults_fired"], json({{"cut-head", 2}}));
  for (std::uint64_t id : {2, 3}) {
    const json conn = closed_connection(*server, id);
    EXPECT_EQ(conn["close_reason"], "close fault mid_headers");
    EXPECT_EQ(conn["faults_fired"], json({{"cut-head", 1}}));
    EXPECT_EQ(timeline_events(*server, id, "in", "request").size(), 1u);
    EXPECT_TRUE(timeline_events(*server, id, "out", "response").empty());
  }
  EXPECT_EQ(server->stats()["connections"][0]["faults_fired"], json::object());
}

}  // namespace
}  // namespace faultline::fake_server::testing
