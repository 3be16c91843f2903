// H2Session's per-stream state, shared by h2_session.cpp (the request side) and
// h2_session_respond.cpp (the response side).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "detail/h2_session.h"
#include "detail/tenant.h"

namespace faultline::fake_server::detail {

/** A request/response exchange on one stream. */
struct H2Session::Stream {
  std::int32_t id = 0;
  RequestHead head;
  std::string request_id;    ///< x-faultline-request-id, empty when untagged
  std::string content_type;  ///< the request's
  std::optional<std::uint64_t> content_length;
  std::size_t header_bytes = 0;
  /** Fields received so far: on_header assigns head.headers[header_count], reusing the
      strings of an earlier request on this Stream; the HEADERS frame trims the rest. */
  std::size_t header_count = 0;
  bool headers_too_large = false;
  bool counted = false;    ///< counted as opened in the stats (refused streams are not)
  bool rejected = false;   ///< answered early (413/431); the rest of the body is dropped
  bool head_only = false;  ///< HEAD: headers (with content-length) but no body
  bool early = false;      ///< answered on its head (respond.early); the body is dropped
  std::uint64_t body_bytes = 0;
  RouteMatch match;
  std::unique_ptr<EchoRecorder> echo;
  ResponsePlan plan;
  std::optional<GateRegistry::Ticket> ticket;
  std::string ns_header, scenario_header;  ///< x-faultline-namespace, x-faultline-scenario
  Tenant tenant;                           ///< what it chose (docs/admin-api.md, "Namespaces")
  std::optional<TenantError> tenant_error;

  /** Back to a fresh stream, keeping the strings' storage for the next request. */
  void reset() {
    head.method.clear();
    head.path.clear();
    head.query.clear();
    header_count = 0;  // head.headers keeps its strings for the next request
    request_id.clear();
    content_type.clear();
    content_length.reset();
    header_bytes = 0;
    headers_too_large = counted = rejected = head_only = early = false;
    body_bytes = 0;
    match = RouteMatch{};
    ns_header.clear();
    scenario_header.clear();
    tenant = Tenant{};
    tenant_error.reset();
    echo.reset();
    plan.clear();
    ticket.reset();
  }
};

}  // namespace faultline::fake_server::detail
