// Fuzz target: the admin API's request handler (AdminApi::handle) on a server state
// primed like a running server's (the default scenario's listeners bound, one open
// connection with a timeline, a tagged request served, a stream held at a gate).
// Input: up to kMaxRequests requests separated by a line "---"; each is a line
// "METHOD TARGET" followed by the body. Every answer must be a status in 100..599 with
// a JSON body, and the handler must not throw (the admin server would answer 500 with
// the exception's text).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "detail/admin_api.h"
#include "detail/server_context.h"
#include "faultline/scenarios/loader.h"
#include "fuzz_logging.h"

namespace {

namespace detail = faultline::fake_server::detail;
namespace scenarios = faultline::scenarios;

constexpr std::size_t kMaxRequests = 8;
constexpr std::string_view kSeparator = "\n---\n";

const scenarios::Scenario& default_scenario() {
  static const scenarios::Scenario scenario = scenarios::load_builtin_scenario("default");
  return scenario;
}

[[noreturn]] void finding(const std::string& what, std::string_view method,
                          std::string_view target) {
  std::fprintf(stderr, "fuzz_admin_api: %s [%.*s %.*s]\n", what.c_str(),
               static_cast<int>(method.size()), method.data(), static_cast<int>(target.size()),
               target.data());
  std::abort();
}

/** A server's shared state as after start-up and a little traffic. */
void prime(detail::ServerContext& context) {
  for (const auto& listener : default_scenario().listeners) {
    auto state = std::make_unique<detail::ListenerState>();
    state->name = listener.name;
    state->tls = listener.tls;
    state->alpn.store(listener.alpn);
    context.listeners.push_back(std::move(state));
  }
  auto stats = context.stats.open_connection("plain", false);
  stats->set_protocol("", "http/1.1", "");
  stats->on_h1_request("GET", "/health");
  stats->on_request();
  stats->on_served("r1");
  stats->on_h1_response(200);
  context.live.add(
      stats->id(), [] {}, "plain", [](std::shared_ptr<const detail::AdminAction>) {});
  (void)context.gates.hold("hold", [] {});
}

void handle_one(detail::AdminApi& api, std::string_view request) {
  const std::size_t newline = request.find('\n');
  const std::string_view line = request.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view{} : request.substr(newline + 1);
  const std::size_t space = line.find(' ');
  const std::string_view method = line.substr(0, space);
  const std::string_view target =
      space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  detail::AdminReply reply;
  try {
    reply = api.handle(method, target, body);
  } catch (const std::exception& e) {
    finding(std::string("handle() threw: ") + e.what(), method, target);
  }
  if (reply.status < 100 || reply.status > 599) {
    finding("status " + std::to_string(reply.status), method, target);
  }
  if (!nlohmann::json::accept(reply.body)) {
    finding("a body that is not JSON: " + reply.body.substr(0, 200), method, target);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  faultline::fake_server::fuzz::quiet_logs();
  detail::ServerContext context(default_scenario());
  prime(context);
  detail::AdminApi api(context);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (std::size_t n = 0; n < kMaxRequests && !input.empty(); ++n) {
    const std::size_t end = input.find(kSeparator);
    handle_one(api, input.substr(0, end));
    input =
        end == std::string_view::npos ? std::string_view{} : input.substr(end + kSeparator.size());
  }
  return 0;
}
