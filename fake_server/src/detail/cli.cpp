#include "detail/cli.h"

#include <charconv>

#include "detail/server_limits.h"
#include "faultline/fake_server/errc.h"

namespace faultline::fake_server::detail {

std::optional<HostPort> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return std::nullopt;  // IPv6 needs brackets
    }
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      value > 65535) {
    return std::nullopt;
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

std::string cli_usage() {
  return R"(Usage: faultline-server [OPTIONS]

The Faultline fake HTTP/2 + HTTP/1.1 server. Binds the scenario's listeners and the
admin API, prints one JSON ready line on stdout, logs on stderr, stops on SIGTERM/SIGINT.

Options:
  --scenario FILE|NAME  scenario file, or a built-in scenario name (default: default)
  --listen HOST:PORT    address of the first listener (default 127.0.0.1:0); the other
                        listeners bind port 0 on the same host
  --admin HOST:PORT     address of the admin API (default 127.0.0.1:0); an address
                        that is not loopback needs --admin-token
  --admin-token TOKEN   every admin call must send "Authorization: Bearer TOKEN"
                        (default: $FAULTLINE_ADMIN_TOKEN; prefer it: argv is public)
  --admin-idle-timeout-ms MS
                        close an admin connection silent for MS ms (default 30000)
  --admin-max-connections N
                        admin connections open at once; above it new ones are closed
                        at accept (default 64; 0: no cap)
  --max-connections N   connections open at once; above it new ones are closed at
                        accept (default 10000; 0: no cap)
  --max-held-streams N  streams held at gates over the whole server; beyond it a
                        request that would be held gets 503 (default 10000; 0: no cap)
  --threads N           I/O threads (default 1)
  --cert FILE           serve this certificate (PEM; with --key) instead of a generated one
  --key FILE            the certificate's private key (PEM)
  --ca FILE             the CA clients should trust (default: the certificate itself)
  --cert-dir DIR        write ca.pem, cert.pem and key.pem here (default: a private
                        temporary directory, removed at exit)
  --log-level LEVEL     trace, debug, info, warn, error or off (default info)
  --help                this text

Ready line: {"event":"ready","https":...,"http":...,"admin":...,"ca":...,"pid":N,
             "scenario":...,"listeners":{...}}
Start-up errors: one line "faultline-server: error: ..." on stderr, exit status 2.
See docs/admin-api.md for the admin API.
)";
}

namespace {

/** A decimal integer in min..2^31-1 for option `name`; throws naming the option. */
std::uint32_t parse_count(const std::string& name, const std::string& text, std::uint32_t min) {
  constexpr std::uint32_t kMax = 0x7fffffff;
  std::uint32_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size() || number < min || number > kMax) {
    throw ServerError(errc::invalid_argument, name + ": expected an integer in " +
                                                  std::to_string(min) + ".." +
                                                  std::to_string(kMax) + ", got \"" + text + "\"");
  }
  return number;
}

}  // namespace

CliOptions parse_cli(const std::vector<std::string>& args) {
  CliOptions options;
  auto fail = [](const std::string& message) {
    throw ServerError(errc::invalid_argument, message);
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> inline_value;
    if (const std::size_t eq = name.find('=');
        name.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "--help" || name == "-h") {
      options.help = true;
      continue;
    }
    auto value = [&]() -> std::string {
      if (inline_value) {
        return *inline_value;
      }
      if (i + 1 >= args.size()) {
        fail(name + ": missing value");
      }
      return args[++i];
    };
    if (name == "--scenario") {
      options.scenario = value();
    } else if (name == "--listen" || name == "--admin") {
      const std::string text = value();
      auto parsed = parse_host_port(text);
      if (!parsed) {
        fail(name + ": expected HOST:PORT, got \"" + text + "\"");
      }
      (name == "--listen" ? options.listen : options.admin) = *parsed;
    } else if (name == "--admin-token") {
      options.admin_token = value();
      if (options.admin_token->empty()) {
        fail("--admin-token: must not be empty");
      }
    } else if (name == "--admin-idle-timeout-ms") {
      options.admin_idle_timeout = std::chrono::milliseconds(parse_count(name, value(), 1));
    } else if (name == "--admin-max-connections") {
      options.admin_max_connections = parse_count(name, value(), 0);
    } else if (name == "--max-connections") {
      options.max_connections = parse_count(name, value(), 0);
    } else if (name == "--max-held-streams") {
      options.max_held_streams = parse_count(name, value(), 0);
    } else if (name == "--threads") {
      const std::string text = value();
      unsigned threads = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), threads);
      if (ec != std::errc() || end != text.data() + text.size() || threads == 0 ||
          threads > kMaxThreads) {
        fail("--threads: expected an integer in 1.." + std::to_string(kMaxThreads) + ", got \"" +
             text + "\"");
      }
      options.threads = threads;
    } else if (name == "--cert") {
      options.cert = value();
    } else if (name == "--key") {
      options.key = value();
    } else if (name == "--ca") {
      options.ca = value();
    } else if (name == "--cert-dir") {
      options.cert_dir = value();
    } else if (name == "--log-level") {
      const std::string text = value();
      auto level = parse_log_level(text);
      if (!level) {
        fail("--log-level: expected trace|debug|info|warn|error|off, got \"" + text + "\"");
      }
      options.log_level = *level;
    } else {
      fail("unknown option \"" + args[i] + "\" (try --help)");
    }
  }
  if (options.cert.has_value() != options.key.has_value()) {
    fail("--cert and --key go together");
  }
  if (options.ca && !options.cert) {
    fail("--ca needs --cert and --key");
  }
  return options;
}

}  // namespace faultline::fake_server::detail
