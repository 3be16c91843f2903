// The admin API over HTTP/1.1 (Beast), on its own thread and io_context so that it
// answers even while the data plane is saturated.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "detail/admin_access.h"
#include "detail/server_context.h"
#include "detail/server_limits.h"
#include "faultline/fake_server/server.h"

namespace faultline::fake_server::detail {

/** How the admin listener guards itself (docs/admin-api.md, "Access"). */
struct AdminServerOptions {
  AdminAccessPolicy access;
  /** A connection that sends no complete request for this long is closed. */
  std::chrono::milliseconds idle_timeout = kDefaultAdminIdleTimeout;
  /** Connections open at once; above it a new one is closed at accept. 0: no cap. */
  std::size_t max_connections = kDefaultAdminMaxConnections;
};

/** Binds at construction (throws ServerError(bind_failed)); serves from start() until
    stop() (which joins its thread). */
class AdminServer {
 public:
  AdminServer(ServerContext& context, const std::string& host, std::uint16_t port,
              AdminServerOptions options);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  void start();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::fake_server::detail
