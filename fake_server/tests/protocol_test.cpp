// Protocol negotiation seen by independent clients: curl, nghttp, Node (http2 and tls).
#include <gtest/gtest.h>

#include "process_support.h"

namespace faultline::fake_server::testing {
namespace {

/** curl's negotiated HTTP version ("2", "1.1") for a GET, or "" when it failed. */
std::string curl_version(const TestServer& server, const std::string& url,
                         const std::string& flag) {
  const CommandResult result = run_command({curl(), "-sS", flag, "--cacert", server.ca(), "-o",
                                            "/dev/null", "-w", "%{http_version}", url});
  return result.exit_code == 0 ? result.out : "";
}

/** A TLS handshake offering only `alpn` (Node's tls): "alpn h2", "alpn none" (no
    protocol negotiated) or "error <code>" (e.g. the no_application_protocol alert). */
std::string handshake(const TestServer& server, const std::string& listener,
                      const std::string& alpn) {
  const char* script = R"(
    const tls = require('tls'), fs = require('fs'), [port, ca, alpn] = process.argv.slice(1);
    const s = tls.connect({host: '127.0.0.1', port: +port, ca: fs.readFileSync(ca),
                           servername: 'localhost', ALPNProtocols: [alpn]}, () => {
      console.log('alpn ' + (s.alpnProtocol || 'none'));
      s.end();
    });
    s.on('error', e => console.log('error ' + e.code));
  )";
  const CommandResult result =
      run_command({node(), "-e", script, std::to_string(server.port(listener)), server.ca(), alpn});
  return result.out.empty() ? result.err : result.out.substr(0, result.out.find('\n'));
}

constexpr const char* kAlert = "error ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL";

/** One ALPN policy: what curl negotiates offering h2+http/1.1 and http/1.1 only. */
struct AlpnCase {
  const char* scenario;
  const char* offer_both;     ///< curl --http2
  const char* offer_h1;       ///< curl --http1.1 ("" = handshake fails)
  const char* offer_only_h2;  ///< a handshake offering only h2
  const char* offer_only_h1;  ///< a handshake offering only http/1.1
};

void PrintTo(const AlpnCase& c, std::ostream* out) {
  *out << c.scenario;
}

class AlpnPolicy : public ::testing::TestWithParam<AlpnCase> {};

TEST_P(AlpnPolicy, NegotiatesAsTheScenarioSays) {
  const AlpnCase& c = GetParam();
  auto server = TestServer::start({"--scenario", c.scenario});
  ASSERT_TRUE(server);
  const std::string url = server->https() + "/health";
  EXPECT_EQ(curl_version(*server, url, "--http2"), c.offer_both);
  EXPECT_EQ(curl_version(*server, url, "--http1.1"), c.offer_h1);
  EXPECT_EQ(handshake(*server, "main", "h2"), c.offer_only_h2);
  EXPECT_EQ(handshake(*server, "main", "http/1.1"), c.offer_only_h1);

  // The server's view: each alert is a connection closed for that reason.
  const int expected_alerts = (std::string(c.offer_h1).empty() ? 1 : 0) +
                              (std::string(c.offer_only_h2) == kAlert ? 1 : 0) +
                              (std::string(c.offer_only_h1) == kAlert ? 1 : 0);
  const auto alerts = [&] {
    int count = 0;
    const auto stats = server->stats();
    for (const auto& conn : stats["connections"]) {
      const std::string reason = conn["close_reason"];
      count += reason.find("tls handshake failed: no application protocol") != std::string::npos;
    }
    return count;
  };
  EXPECT_TRUE(
      eventually([&] { return alerts() == expected_alerts; }, 10s, "alerted handshakes counted"));
  EXPECT_EQ(server->stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, AlpnPolicy,
    ::testing::Values(AlpnCase{"default", "2", "1.1", "alpn h2", "alpn http/1.1"},
                      AlpnCase{"h1-only", "1.1", "1.1", "alpn none", "alpn http/1.1"},
                      AlpnCase{"h1-strict", "1.1", "1.1", kAlert, "alpn http/1.1"},
                      AlpnCase{"h2-only", "2", "", "alpn h2", kAlert},
                      AlpnCase{"alpn-none", "1.1", "1.1", "alpn none", "alpn none"}),
    [](const auto& info) {
      std::string name = info.param.scenario;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

class Protocol : public SharedServerTest {};

TEST_F(Protocol, H1OnlyListenerServesCurlOverH1) {
  EXPECT_EQ(curl_version(*server_, server_->origin("h1only") + "/health", "--http2"), "1.1");
}

TEST_F(Protocol, CleartextListenerSpeaksH1AndH2cByPreface) {
  const std::string url = server_->http() + "/health";
  EXPECT_EQ(curl_version(*server_, url, "--http1.1"), "1.1");
  EXPECT_EQ(curl_version(*server_, url, "--http2-prior-knowledge"), "2");
}

TEST_F(Protocol, NghttpSeesTheScenarioSettingsAndTrailers) {
  const CommandResult result =
      run_command({FAULTLINE_NGHTTP, "-v", "-n", server_->https() + "/trailers"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string& log = result.out;
  EXPECT_NE(log.find("SETTINGS_INITIAL_WINDOW_SIZE(0x04):65535"), std::string::npos) << log;
  EXPECT_NE(log.find("SETTINGS_MAX_FRAME_SIZE(0x05):16384"), std::string::npos) << log;
  // Trailers: a HEADERS frame after the DATA, with END_STREAM.
  const std::size_t data = log.find("recv DATA frame <length=19");
  const std::size_t trailer = log.find("x-trailer: yes");
  ASSERT_NE(data, std::string::npos) << log;
  ASSERT_NE(trailer, std::string::npos) << log;
  EXPECT_LT(data, trailer);
  EXPECT_NE(log.find("; END_STREAM", trailer), std::string::npos);
}

TEST(ProtocolSettings, CustomSettingsReachTheWire) {
  const auto file = write_temp_file("settings.json", R"({
    "name": "settings",
    "settings": {"max_concurrent_streams": 7, "initial_window_size": 1048576,
                 "max_frame_size": 32768, "header_table_size": 1024,
                 "max_header_list_size": 20000},
    "routes": [{"match": {"path": "/x"}, "respond": {"body": "x"}}]})");
  auto server = TestServer::start({"--scenario", file.string()});
  ASSERT_TRUE(server);
  const CommandResult result = run_command({FAULTLINE_NGHTTP, "-v", "-n", server->https() + "/x"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* setting :
       {"SETTINGS_MAX_CONCURRENT_STREAMS(0x03):7", "SETTINGS_INITIAL_WINDOW_SIZE(0x04):1048576",
        "SETTINGS_MAX_FRAME_SIZE(0x05):32768", "SETTINGS_HEADER_TABLE_SIZE(0x01):1024",
        "SETTINGS_MAX_HEADER_LIST_SIZE(0x06):20000"}) {
    EXPECT_NE(result.out.find(setting), std::string::npos) << setting << "\n" << result.out;
  }
}

// The connection's flow counters, seen by an independent client: nghttp downloads 256 KiB
// through a 64 KiB stream window, so the server sends the window, waits for credit, and
// sends the rest as nghttp grants it.
TEST(ProtocolFlow, FlowCountersFollowAnIndependentClientsWindow) {
  const auto file = write_temp_file("flow.json", R"({
    "name": "flow",
    "routes": [{"match": {"path": "/big"},
                "respond": {"body": {"random_bytes": 262144, "seed": 3}}}]})");
  auto server = TestServer::start({"--scenario", file.string()});
  ASSERT_TRUE(server);
  // -w 16: a stream window of 2^16-1 bytes.
  const CommandResult result =
      run_command({FAULTLINE_NGHTTP, "-n", "-w", "16", server->https() + "/big"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto stats = server->stats();
  ASSERT_FALSE(stats["connections"].empty()) << stats.dump();
  const auto flow = stats["connections"][0].value("flow", nlohmann::json::object());
  long data_out = 0;
  long credit = 0;
  for (const auto& [stream, f] : flow.items()) {
    data_out += f.value("data_out", 0L);
    credit += f.value("credit_in", 0L);
  }
  EXPECT_EQ(data_out, 262144) << flow.dump();
  // Everything beyond the first window came from the client's WINDOW_UPDATEs.
  EXPECT_GE(credit, 262144 - 65535) << flow.dump();
}

TEST_F(Protocol, NodeHttp2Client) {
  const char* script = R"(
    const http2 = require('http2'), fs = require('fs');
    const session = http2.connect(process.argv[1], {ca: fs.readFileSync(process.argv[2])});
    session.on('error', e => { console.log('error ' + e.code); process.exit(1); });
    const req = session.request({':path': '/health', 'x-faultline-request-id': 'node-1'});
    let body = '';
    req.on('response', h => { body += h[':status'] + ' ' + session.alpnProtocol + ' '; });
    req.on('data', d => body += d);
    req.on('end', () => { console.log(body); session.close(); });
  )";
  const CommandResult result = run_command({node(), "-e", script, server_->https(), server_->ca()});
  EXPECT_EQ(result.out, "200 h2 ok\n") << result.err;
  EXPECT_EQ(server_->admin_call("GET", "/v1/requests/node-1").body["served"], 1);
}

TEST(ProtocolStrict, NodeOfferingOnlyH2GetsTheAlert) {
  // Node's http2.connect offers h2 only: an h1-strict listener must alert.
  auto server = TestServer::start({"--scenario", "h1-strict"});
  ASSERT_TRUE(server);
  const char* script = R"(
    const http2 = require('http2'), fs = require('fs');
    const session = http2.connect(process.argv[1], {ca: fs.readFileSync(process.argv[2])});
    session.on('error', e => { console.log(e.code); process.exit(0); });
    session.on('connect', () => { console.log('connected ' + session.alpnProtocol); process.exit(0); });
  )";
  const CommandResult result = run_command({node(), "-e", script, server->https(), server->ca()});
  EXPECT_EQ(result.out, "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL\n") << result.err;
}

}  // namespace
}  // namespace faultline::fake_server::testing
