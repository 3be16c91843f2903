// faultline-server as users run it: --help, the ready line, SIGTERM, start-up errors.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "process_support.h"

namespace faultline::fake_server::testing {
namespace {

namespace fs = std::filesystem;

CommandResult run_server(const std::vector<std::string>& args) {
  std::vector<std::string> argv{FAULTLINE_SERVER_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, 30s);
}

/** A start-up failure: exit 2, no ready line, exactly one line on stderr. */
::testing::AssertionResult fails_to_start(const CommandResult& result) {
  if (result.exit_code != 2) {
    return ::testing::AssertionFailure()
           << "exit " << result.exit_code << ", stderr: " << result.err;
  }
  if (!result.out.empty()) {
    return ::testing::AssertionFailure() << "stdout: " << result.out;
  }
  if (result.err.rfind("faultline-server: error: ", 0) != 0 ||
      result.err.find('\n') != result.err.size() - 1) {
    return ::testing::AssertionFailure() << "not one error line: " << result.err;
  }
  return ::testing::AssertionSuccess();
}

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(Cli, HelpExitsZero) {
  const CommandResult result = run_server({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("Usage: faultline-server"), std::string::npos);
  EXPECT_NE(result.out.find("--scenario"), std::string::npos);
}

TEST(Cli, ReadyLineThenSigtermExitsZero) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  const auto& ready = server->ready();
  // The contract's fields (docs/admin-api.md).
  EXPECT_EQ(ready["scenario"], "default");
  EXPECT_EQ(ready["pid"], server->pid());
  EXPECT_EQ(server->https(), server->origin("main"));
  EXPECT_EQ(server->http(), server->origin("plain"));
  EXPECT_EQ(server->origin("h1only").rfind("https://127.0.0.1:", 0), 0u);
  EXPECT_EQ(server->admin().rfind("http://127.0.0.1:", 0), 0u);
  // Certificates in a private directory: ca 0644, key 0600.
  const fs::path ca = server->ca();
  ASSERT_TRUE(fs::exists(ca));
  EXPECT_EQ(mode_of(ca), 0644u);
  EXPECT_EQ(mode_of(ca.parent_path() / "key.pem"), 0600u);
  EXPECT_EQ(mode_of(ca.parent_path()), 0700u);
  EXPECT_EQ(server->admin_call("GET", "/v1/health").body, nlohmann::json({{"ok", true}}));
  // Exactly one line on stdout; SIGTERM: exit 0, the private directory is gone.
  EXPECT_EQ(server->extra_stdout(), "");
  EXPECT_EQ(server->stop(), 0) << server->stderr_text();
  EXPECT_FALSE(fs::exists(ca.parent_path()));
}

TEST(Cli, InvalidScenarioFileNamesThePath) {
  const auto file = write_temp_file(
      "bad.json", R"({"name":"bad","routes":[{"match":{"path":"/x"},"respond":{"status":1000}}]})");
  const CommandResult result = run_server({"--scenario", file.string()});
  ASSERT_TRUE(fails_to_start(result));
  EXPECT_NE(result.err.find("error: $.routes[0].respond.status"), std::string::npos) << result.err;
}

TEST(Cli, UnknownScenarioName) {
  const CommandResult result = run_server({"--scenario", "no-such-scenario"});
  ASSERT_TRUE(fails_to_start(result));
  EXPECT_NE(result.err.find("no-such-scenario"), std::string::npos);
}

TEST(Cli, PortInUse) {
  // Hold a listening port, then ask the server for it.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t length = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const CommandResult listen = run_server({"--listen", "127.0.0.1:" + port});
  const CommandResult admin = run_server({"--admin", "127.0.0.1:" + port});
  ::close(fd);
  ASSERT_TRUE(fails_to_start(listen));
  EXPECT_NE(listen.err.find("127.0.0.1:" + port), std::string::npos) << listen.err;
  ASSERT_TRUE(fails_to_start(admin));
  EXPECT_NE(admin.err.find("admin"), std::string::npos) << admin.err;
}

TEST(Cli, BadCertNamesTheFile) {
  const auto key = write_temp_file("key.pem", "not a key\n");
  const auto cert = write_temp_file("cert.pem", "not a certificate\n");
  const CommandResult result = run_server({"--cert", cert.string(), "--key", key.string()});
  ASSERT_TRUE(fails_to_start(result));
  EXPECT_NE(result.err.find(cert.filename().string()), std::string::npos) << result.err;
  const CommandResult missing = run_server({"--cert", "/nonexistent/c.pem", "--key", key.string()});
  ASSERT_TRUE(fails_to_start(missing));
  EXPECT_NE(missing.err.find("/nonexistent/c.pem"), std::string::npos) << missing.err;
}

TEST(Cli, BadOptions) {
  EXPECT_TRUE(fails_to_start(run_server({"--threads", "zero"})));
  EXPECT_TRUE(fails_to_start(run_server({"--frobnicate"})));
  EXPECT_TRUE(fails_to_start(run_server({"--cert", "only-cert.pem"})));
}

TEST(Cli, OwnCertificatesAndCertDir) {
  // A first server writes its generated files; a second serves them as --cert/--key/--ca.
  const fs::path dir =
      fs::temp_directory_path() / ("faultline-certdir-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto first = TestServer::start({"--cert-dir", dir.string()});
  ASSERT_TRUE(first);
  EXPECT_EQ(fs::path(first->ca()), dir / "ca.pem");
  ASSERT_EQ(first->stop(), 0);
  ASSERT_TRUE(fs::exists(dir / "cert.pem"));  // --cert-dir is kept

  auto second =
      TestServer::start({"--cert", (dir / "cert.pem").string(), "--key", (dir / "key.pem").string(),
                         "--ca", (dir / "ca.pem").string(), "--threads", "3"});
  ASSERT_TRUE(second);
  const CommandResult result = run_command(
      {curl(), "-sS", "--cacert", (dir / "ca.pem").string(), second->https() + "/health"});
  EXPECT_EQ(result.out, "ok") << result.err;
  EXPECT_EQ(second->stop(), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace faultline::fake_server::testing
