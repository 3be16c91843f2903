// From a request to a response plan: route matching, template expansion, redirects,
// bodies. Shared by both protocols; no I/O.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detail/body_source.h"
#include "detail/echo.h"
#include "detail/server_context.h"
#include "faultline/scenarios/scenario.h"

namespace faultline::fake_server::detail {

/** The route a request matched when its headers arrived. Holds the scenario snapshot,
    so the route stays valid even if the admin API swaps the scenario meanwhile. */
struct RouteMatch {
  std::shared_ptr<const scenarios::Scenario> scenario;
  const scenarios::Route* route = nullptr;  ///< nullptr: no route (404)
  scenarios::Captures captures;
  /** The namespace and scenario prefixes the request's path carried ("/n/t1/s/tiny"):
      a redirect to a path on this server keeps them. */
  std::string prefix;

  /** The route answers with a description of the request (the body must be digested). */
  [[nodiscard]] bool echo() const noexcept;
};

/** The first route for the request (its attempt number `attempt`, for routes that
    match on it); HEAD also takes GET routes. */
[[nodiscard]] RouteMatch match_route(std::shared_ptr<const scenarios::Scenario> scenario,
                                     std::string_view listener, std::string_view method,
                                     std::string_view path, std::uint32_t attempt = 1);

/** What to send back, in order: wait at the gate (hold), wait delay, then the 1xx heads,
    the status and headers, the body pieces, the trailers. */
/** One interim (1xx) head, expanded. */
struct InterimHead {
  int status = 103;
  std::vector<scenarios::Header> headers;  ///< lower-case names
};

struct ResponsePlan {
  /** Sent in order right before the final head. */
  std::vector<InterimHead> informational;
  int status = 200;
  std::vector<scenarios::Header> headers;  ///< lower-case names, no content-length
  std::vector<scenarios::Header> trailers;
  std::unique_ptr<BodySource> body;  ///< nullptr: empty body
  std::optional<std::string> hold;
  std::chrono::milliseconds delay{0};

  /** Back to an empty 200, keeping the vectors' storage. */
  void clear() noexcept;
  /** respond.content_length: what the head declares instead of the body's size. */
  std::optional<scenarios::DeclaredLength> content_length;
  /** respond.header_block: its filler fields are in `headers` already; h2 frames the
      block by it. */
  std::optional<scenarios::HeaderBlock> header_block;
};

/** Appends the filler fields of a header block of `bytes` (scenarios::HeaderBlock). */
void append_header_fill(std::vector<scenarios::Header>& headers, std::uint32_t bytes);

/** Whether a request whose head says `expect: 100-continue` gets `100 Continue` at once
    (routes' respond.expect_continue; a request that matched no route gets it). */
[[nodiscard]] bool answers_expect_continue(const RouteMatch& match) noexcept;

/** The response for a matched request. `echo` is the recorder that digested the body
    when match.echo(). */
[[nodiscard]] ResponsePlan plan_response(const RouteMatch& match, const RequestHead& head,
                                         EchoRecorder* echo, const Origins& origins);

/** plan_response into `plan`, reusing its storage (the per-stream hot path). */
void plan_response_into(ResponsePlan& plan, const RouteMatch& match, const RequestHead& head,
                        EchoRecorder* echo, const Origins& origins);

/** A JSON error answer: {"error":{"message":...}} with the given status. */
[[nodiscard]] ResponsePlan error_response(int status, std::string_view message);

}  // namespace faultline::fake_server::detail
