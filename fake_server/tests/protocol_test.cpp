// Protocol negotiation seen by independent clients: curl, openssl s_client, nghttp, Node.
#include <gtest/gtest.h>

#include "server_process.h"

namespace faultline::fake_server::testing {
namespace {

/** curl's negotiated HTTP version ("2", "1.1") for a GET, or "" when it failed. */
std::string curl_version(const ServerProcess& server, const std::string& url,
                         const std::string& flag) {
  const CommandResult result = run_command({curl(), "-sS", flag, "--cacert", server.ca(), "-o",
                                            "/dev/null", "-w", "%{http_version}", url});
  return result.exit_code == 0 ? result.out : "";
}

/** openssl s_client's handshake report when offering only `alpn`. */
CommandResult s_client(const ServerProcess& server, const std::string& listener,
                       const std::string& alpn) {
  return run_command({FAULTLINE_OPENSSL, "s_client", "-connect",
                      "127.0.0.1:" + std::to_string(server.port(listener)), "-servername",
                      "localhost", "-CAfile", server.ca(), "-alpn", alpn},
                     30s);
}

bool alerted_no_application_protocol(const CommandResult& result) {
  return result.err.find("no application protocol") != std::string::npos;
}

/** One ALPN policy: what curl negotiates offering h2+http/1.1 and http/1.1 only. */
struct AlpnCase {
  const char* scenario;
  const char* offer_both;     ///< curl --http2
  const char* offer_h1;       ///< curl --http1.1 ("" = handshake fails)
  bool h2_only_offer_alerts;  ///< openssl -alpn h2
  bool h1_only_offer_alerts;  ///< openssl -alpn http/1.1
};

class AlpnPolicy : public ::testing::TestWithParam<AlpnCase> {};

TEST_P(AlpnPolicy, NegotiatesAsTheScenarioSays) {
  const AlpnCase& c = GetParam();
  auto server = ServerProcess::start({"--scenario", c.scenario});
  ASSERT_TRUE(server);
  const std::string url = server->https() + "/health";
  EXPECT_EQ(curl_version(*server, url, "--http2"), c.offer_both);
  EXPECT_EQ(curl_version(*server, url, "--http1.1"), c.offer_h1);

  const CommandResult h2 = s_client(*server, "main", "h2");
  EXPECT_EQ(alerted_no_application_protocol(h2), c.h2_only_offer_alerts) << h2.err;
  if (!c.h2_only_offer_alerts) {
    // Handshake completed: h2 selected, or no protocol at all.
    const bool h2_selected = std::string(c.offer_both) == "2";
    EXPECT_NE(h2.out.find(h2_selected ? "ALPN protocol: h2" : "No ALPN negotiated"),
              std::string::npos)
        << h2.out;
  }
  const CommandResult h1 = s_client(*server, "main", "http/1.1");
  EXPECT_EQ(alerted_no_application_protocol(h1), c.h1_only_offer_alerts) << h1.err;

  // The server's view: the connections it saw and what they negotiated.
  const auto stats = server->stats();
  bool saw_failed_handshake = false;
  for (const auto& conn : stats["connections"]) {
    saw_failed_handshake |=
        conn["close_reason"].get<std::string>().find("tls handshake failed") != std::string::npos;
  }
  EXPECT_EQ(saw_failed_handshake, c.h2_only_offer_alerts || c.h1_only_offer_alerts);
  EXPECT_EQ(server->stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, AlpnPolicy,
                         ::testing::Values(AlpnCase{"default", "2", "1.1", false, false},
                                           AlpnCase{"h1-only", "1.1", "1.1", false, false},
                                           AlpnCase{"h1-strict", "1.1", "1.1", true, false},
                                           AlpnCase{"h2-only", "2", "", false, true},
                                           AlpnCase{"alpn-none", "1.1", "1.1", false, false}),
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
  auto server = ServerProcess::start({"--scenario", file.string()});
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
  auto server = ServerProcess::start({"--scenario", "h1-strict"});
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
