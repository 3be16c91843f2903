// The admin API's logic (docs/admin-api.md): from method, target and body to a JSON
// answer. No sockets here; admin_server.h carries it over HTTP/1.1.
#pragma once

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
  AdminReply put_scenario(std::string_view body);
  AdminReply release_gate(std::string_view name, std::string_view body);
  AdminReply connection(std::string_view rest);
  AdminReply fire(std::string_view body);
  AdminReply apply_action(std::string_view target, std::string_view body);

  ServerContext& context_;
};

/** {"error":{"message":...,"path":...}} ("path" only when non-empty). */
[[nodiscard]] AdminReply admin_error(int status, std::string_view message,
                                     std::string_view path = {});

/** Decodes the %XX escapes of a path segment; malformed escapes stay as they are. */
[[nodiscard]] std::string percent_decode(std::string_view text);

}  // namespace faultline::fake_server::detail
