// faultline-server: the fake server's command line (docs/admin-api.md).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "detail/cli.h"
#include "faultline/fake_server/server.h"
#include "faultline/scenarios/loader.h"

namespace {

int fail(const std::string& message) {
  std::cerr << "faultline-server: error: " << message << std::endl;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = faultline::fake_server;
  std::signal(SIGPIPE, SIG_IGN);
  try {
    const fs::detail::CliOptions cli =
        fs::detail::parse_cli(std::vector<std::string>(argv + 1, argv + argc));
    if (cli.help) {
      std::cout << fs::detail::cli_usage();
      return 0;
    }
    fs::detail::logger().set_level(cli.log_level);

    fs::Options options;
    try {
      options.scenario = faultline::scenarios::load_scenario(cli.scenario);
    } catch (const faultline::scenarios::ScenarioError& e) {
      return fail(e.what());
    }
    options.listen_host = cli.listen.host;
    options.listen_port = cli.listen.port;
    options.admin_host = cli.admin.host;
    options.admin_port = cli.admin.port;
    if (cli.admin_token) {
      options.admin_token = *cli.admin_token;
    } else if (const char* token = std::getenv("FAULTLINE_ADMIN_TOKEN"); token != nullptr) {
      options.admin_token = token;
    }
    if (cli.admin_idle_timeout) {
      options.admin_idle_timeout = *cli.admin_idle_timeout;
    }
    if (cli.admin_max_connections) {
      options.admin_max_connections = *cli.admin_max_connections;
    }
    if (cli.max_connections) {
      options.max_connections = *cli.max_connections;
    }
    if (cli.max_held_streams) {
      options.max_held_streams = *cli.max_held_streams;
    }
    options.threads = cli.threads;
    if (cli.cert) {
      options.cert_files = fs::CertFiles{*cli.cert, *cli.key, cli.ca};
    }
    options.cert_dir = cli.cert_dir;
    options.stop_on_signals = true;

    fs::Server server(std::move(options));
    // The ready line: exactly one line, flushed, after every socket is bound.
    std::cout << fs::ready_line(server.ready()) << std::endl;
    server.run();
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
