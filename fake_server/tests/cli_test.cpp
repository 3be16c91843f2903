// faultline-server's argument parsing and the ready line.
#include "detail/cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "faultline/fake_server/errc.h"
#include "faultline/fake_server/server.h"

namespace faultline::fake_server::detail {
namespace {

TEST(HostPort, Forms) {
  auto v4 = parse_host_port("127.0.0.1:8443");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8443);
  auto v6 = parse_host_port("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_FALSE(parse_host_port("127.0.0.1"));
  EXPECT_FALSE(parse_host_port("::1:80"));
  EXPECT_FALSE(parse_host_port("host:99999"));
  EXPECT_FALSE(parse_host_port(":80"));
}

TEST(Cli, Defaults) {
  const CliOptions options = parse_cli({});
  EXPECT_EQ(options.scenario, "default");
  EXPECT_EQ(options.listen.port, 0);
  EXPECT_EQ(options.threads, 1u);
  EXPECT_FALSE(options.help);
}

TEST(Cli, EveryOption) {
  const CliOptions options =
      parse_cli({"--scenario", "tiny", "--listen=127.0.0.1:1234", "--admin", "[::1]:0", "--threads",
                 "4", "--cert", "c.pem", "--key", "k.pem", "--ca", "ca.pem", "--cert-dir", "/tmp/x",
                 "--log-level", "debug", "--help"});
  EXPECT_EQ(options.scenario, "tiny");
  EXPECT_EQ(options.listen.port, 1234);
  EXPECT_EQ(options.admin.host, "::1");
  EXPECT_EQ(options.threads, 4u);
  EXPECT_EQ(options.cert->string(), "c.pem");
  EXPECT_EQ(options.ca->string(), "ca.pem");
  EXPECT_EQ(options.cert_dir->string(), "/tmp/x");
  EXPECT_EQ(options.log_level, LogLevel::debug);
  EXPECT_TRUE(options.help);
}

TEST(Cli, AdminAccessAndServerCaps) {
  const CliOptions options =
      parse_cli({"--admin-token", "t0k", "--admin-idle-timeout-ms=250", "--max-connections", "0",
                 "--max-held-streams", "50", "--admin-max-connections", "3"});
  EXPECT_EQ(options.admin_token, "t0k");
  EXPECT_EQ(options.admin_idle_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(options.max_connections, 0u);  // 0: no cap
  EXPECT_EQ(options.max_held_streams, 50u);
  EXPECT_EQ(options.admin_max_connections, 3u);
  const CliOptions none = parse_cli({});
  EXPECT_FALSE(none.admin_token.has_value());  // main falls back to FAULTLINE_ADMIN_TOKEN
  EXPECT_FALSE(none.max_connections.has_value());
  EXPECT_FALSE(none.admin_max_connections.has_value());
}

TEST(Cli, ErrorsAreOneLineInvalidArgument) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--threads", "0"},
                                             {"--listen", "nonsense"},
                                             {"--cert", "c.pem"},
                                             {"--bogus"},
                                             {"--scenario"},
                                             {"--log-level", "loud"},
                                             {"--admin-token", ""},
                                             {"--admin-idle-timeout-ms", "0"},
                                             {"--max-connections", "-1"},
                                             {"--max-held-streams", "many"}}) {
    try {
      (void)parse_cli(args);
      ADD_FAILURE() << "accepted " << args[0];
    } catch (const ServerError& e) {
      EXPECT_EQ(e.code(), make_error_code(errc::invalid_argument));
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
}

TEST(ReadyLine, ContractFields) {
  ReadyInfo info;
  info.https = "https://127.0.0.1:1";
  info.admin = "http://127.0.0.1:3";
  info.ca = "/tmp/ca.pem";
  info.pid = 42;
  info.scenario = "default";
  info.listeners = {{"main", "https://127.0.0.1:1"}};
  const std::string line = ready_line(info);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.rfind("{\"event\":\"ready\"", 0), 0u) << line;
  const auto json = nlohmann::json::parse(line);
  EXPECT_FALSE(json.contains("http"));  // no cleartext listener
  EXPECT_EQ(json["pid"], 42);
  EXPECT_EQ(json["listeners"]["main"], "https://127.0.0.1:1");
}

}  // namespace
}  // namespace faultline::fake_server::detail
