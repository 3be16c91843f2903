// The admin API's logic (docs/admin-api.md): from method, target and body to a JSON
// answer. No sockets here; admin_server.h carries it over HTTP/1.1.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "detail/server_context.h"

namespace faultline::fake_server::detail {

/** An admin answer: status and JSON body. */
struct AdminReply {
  int status = 200;
  std::string body;
};

/** Serves the admin endpoints against a server's shared state. Thread safe (every
    piece of state it touches is). */
class AdminApi {
 public:
  explicit AdminApi(ServerContext& context) : context_(context) {}

  [[nodiscard]] AdminReply handle(std::string_view method, std::string_view target,
                                  std::string_view body);

 private:
  /** A request's `?namespace=NAME` (docs/admin-api.md, "Namespaces"): unset for the
      default namespace; `ns` is nullptr while nothing has used it. */
  struct Scope {
    std::optional<std::string> name;
    std::shared_ptr<Namespace> ns;
  };

  AdminReply put_scenario(std::string_view body);
  AdminReply reset(const Scope& scope);
  AdminReply stats(const Scope& scope);
  AdminReply release_gate(std::string_view name, std::string_view body, const Scope& scope);
  AdminReply connection(std::string_view rest);
  AdminReply fire(std::string_view body, const Scope& scope);
  AdminReply apply_action(std::string_view target, std::string_view body, const Scope& scope);
  /** Whether connection `id` may be acted on in `scope` (named: bound to it). */
  [[nodiscard]] std::function<bool(std::uint64_t)> in_scope(const Scope& scope) const;

  ServerContext& context_;
};

/** {"error":{"message":...,"path":...}} ("path" only when non-empty). */
[[nodiscard]] AdminReply admin_error(int status, std::string_view message,
                                     std::string_view path = {});

/** Decodes the %XX escapes of a path segment; malformed escapes stay as they are. */
[[nodiscard]] std::string percent_decode(std::string_view text);

/** The value of `key` in a request target's query ("a=1&b=2"), percent-decoded; nullopt
    when absent. */
[[nodiscard]] std::optional<std::string> query_value(std::string_view target, std::string_view key);

}  // namespace faultline::fake_server::detail
