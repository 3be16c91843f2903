#include "detail/router.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "detail/json_text.h"
#include "detail/text.h"
#include "faultline/scenarios/loader.h"

namespace faultline::fake_server::detail {

namespace {

bool has_header(const std::vector<scenarios::Header>& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [name](const scenarios::Header& h) { return h.first == name; });
}

const char* default_content_type(const scenarios::Body& body) {
  switch (body.index()) {
    case 1:
      return "text/plain";  // FixedBody
    case 2:
      return "application/json";  // EchoBody
    case 3:
      return "application/octet-stream";  // RandomBody
    case 4:
      return "text/event-stream";  // SseBody
    default:
      return nullptr;
  }
}

bool is_absolute_url(std::string_view to) {
  return to.rfind("http://", 0) == 0 || to.rfind("https://", 0) == 0;
}

}  // namespace

bool RouteMatch::echo() const noexcept {
  return route != nullptr && !route->respond.redirect &&
         std::holds_alternative<scenarios::EchoBody>(route->respond.body);
}

RouteMatch match_route(std::shared_ptr<const scenarios::Scenario> scenario,
                       std::string_view listener, std::string_view method, std::string_view path,
                       std::uint32_t attempt) {
  RouteMatch match;
  match.route = scenarios::find_route(*scenario, listener, method, path, match.captures, attempt);
  if (method == "HEAD") {
    // HEAD is GET without the body (RFC 9110 9.3.2): the first route taking either.
    scenarios::Captures get_captures;
    const scenarios::Route* get =
        scenarios::find_route(*scenario, listener, "GET", path, get_captures, attempt);
    if (get != nullptr && (match.route == nullptr || get < match.route)) {
      match.route = get;  // routes live in one vector: a lower address comes first
      match.captures = std::move(get_captures);
    }
  }
  match.scenario = std::move(scenario);
  return match;
}

ResponsePlan error_response(int status, std::string_view message) {
  ResponsePlan plan;
  plan.status = status;
  plan.headers.emplace_back("content-type", "application/json");
  plan.body =
      FixedSource::owned(to_json_text(nlohmann::json{{"error", {{"message", message}}}}) + "\n");
  return plan;
}

void ResponsePlan::clear() noexcept {
  status = 200;
  headers.clear();
  trailers.clear();
  informational.clear();
  body.reset();
  hold.reset();
  content_length.reset();
  header_block.reset();
  delay = std::chrono::milliseconds{0};
}

void append_header_fill(std::vector<scenarios::Header>& headers, std::uint32_t bytes) {
  // RFC 9113 6.5.2: a field counts its name, its value and 32.
  constexpr std::size_t kOverhead = 32;
  const std::uint32_t fields = scenarios::header_fill_fields(bytes);
  for (std::uint32_t i = 1; i <= fields; ++i) {
    std::array<char, 12> number{};
    std::snprintf(number.data(), number.size(), "%04u", i);
    std::string name = std::string("x-fill-") + number.data();
    const std::size_t size =
        i < fields ? scenarios::kHeaderFillFieldBytes
                   : bytes - std::size_t{scenarios::kHeaderFillFieldBytes} * (fields - 1);
    std::string value(number.data());
    value.resize(size - kOverhead - name.size(), 'X');
    headers.emplace_back(std::move(name), std::move(value));
  }
}

bool answers_expect_continue(const RouteMatch& match) noexcept {
  return match.route == nullptr || match.route->respond.expect_continue;
}

ResponsePlan plan_response(const RouteMatch& match, const RequestHead& head, EchoRecorder* echo,
                           const Origins& origins) {
  ResponsePlan plan;
  plan_response_into(plan, match, head, echo, origins);
  return plan;
}

void plan_response_into(ResponsePlan& plan, const RouteMatch& match, const RequestHead& head,
                        EchoRecorder* echo, const Origins& origins) {
  if (match.route == nullptr) {
    plan = error_response(404, "no route for " + head.method + " " + head.path);
    return;
  }
  const scenarios::Response& respond = match.route->respond;
  plan.clear();
  plan.status = respond.status;
  plan.hold = respond.hold;
  plan.delay = std::chrono::milliseconds(respond.delay_ms);
  plan.content_length = respond.content_length;
  plan.header_block = respond.header_block;
  plan.headers.reserve(respond.headers.size() + 2);
  for (const auto& [name, value] : respond.headers) {
    plan.headers.emplace_back(to_lower(name), scenarios::expand(value, match.captures));
  }
  for (const auto& [name, value] : respond.trailers) {
    plan.trailers.emplace_back(to_lower(name), scenarios::expand(value, match.captures));
  }
  for (const auto& interim : respond.informational) {
    auto& out = plan.informational.emplace_back();
    out.status = interim.status;
    for (const auto& [name, value] : interim.headers) {
      out.headers.emplace_back(to_lower(name), scenarios::expand(value, match.captures));
    }
  }

  if (respond.header_block) {
    append_header_fill(plan.headers, respond.header_block->bytes);
  }

  if (respond.redirect) {
    const scenarios::Redirect& redirect = *respond.redirect;
    plan.status = redirect.status;
    std::string location = scenarios::expand(redirect.to, match.captures);
    if (!is_absolute_url(location) && !location.empty() && location.front() == '/') {
      location.insert(0, match.prefix);
    }
    if (!is_absolute_url(location) && redirect.listener) {
      auto origin = origins.find(*redirect.listener);
      if (origin != origins.end()) {
        location = origin->second + location;
      }
    }
    plan.headers.emplace_back("location", std::move(location));
    return;
  }

  if (echo != nullptr && match.echo()) {
    plan.body = FixedSource::owned(echo->finish_json(head), respond.chunk_bytes,
                                   std::chrono::milliseconds(respond.chunk_delay_ms));
  } else {
    bool bad_size = false;
    plan.body = make_body_source(respond, match.captures, bad_size);
    if (bad_size) {
      plan = error_response(400, "body size does not resolve for " + head.path);
      return;
    }
  }
  if (const char* type = default_content_type(respond.body);
      type != nullptr && !has_header(plan.headers, "content-type")) {
    plan.headers.emplace_back("content-type", type);
  }
  if (std::holds_alternative<scenarios::SseBody>(respond.body) &&
      !has_header(plan.headers, "cache-control")) {
    plan.headers.emplace_back("cache-control", "no-cache");
  }
}

}  // namespace faultline::fake_server::detail
