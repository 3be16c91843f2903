// faultline-server's command line (docs/admin-api.md, "CLI").
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detail/log.h"

namespace faultline::fake_server::detail {

/** HOST:PORT ("127.0.0.1:0", "[::1]:8443"). */
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

/** Parses HOST:PORT; nullopt when malformed. */
[[nodiscard]] std::optional<HostPort> parse_host_port(std::string_view text);

/** The parsed command line. */
struct CliOptions {
  std::string scenario = "default";
  HostPort listen{"127.0.0.1", 0};
  HostPort admin{"127.0.0.1", 0};
  std::optional<std::string> admin_token;  ///< --admin-token (main falls back to the environment)
  std::optional<std::chrono::milliseconds> admin_idle_timeout;
  std::optional<std::size_t> max_connections, max_held_streams, admin_max_connections;
  unsigned threads = 1;
  std::optional<std::filesystem::path> cert, key, ca, cert_dir;
  LogLevel log_level = LogLevel::info;
  bool help = false;
};

/** Parses the arguments after the program name ("--opt value" or "--opt=value").
    Throws ServerError(invalid_argument) with a one-line message. */
[[nodiscard]] CliOptions parse_cli(const std::vector<std::string>& args);

/** The --help text. */
[[nodiscard]] std::string cli_usage();

}  // namespace faultline::fake_server::detail
