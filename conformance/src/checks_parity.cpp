// PARITY-WIRE: the same request reaches the server with the same fields whichever
// protocol carries it.
#include <set>

#include "checks_groups.h"
#include "faultline/common/sha256.h"

namespace faultline::conformance::detail {

namespace {

/** Fields whose presence or value is the protocol's business, not the request's: the
    authority (:authority on h2, Host on HTTP/1.1, with each listener's port), message
    framing (content-length is optional on h2, RFC 9113 8.1.1) and HTTP/1.1 connection
    management (RFC 9110 7.6.1). The echo shows them; parity leaves them out. */
const std::set<std::string> kProtocolFields = {"host", "content-length", "connection", "keep-alive",
                                               "transfer-encoding"};

nlohmann::json parity_scenario() {
  nlohmann::json echo_route = {{"match", {{"path", "/echo"}}},
                               {"respond", {{"body", {{"echo", true}}}}}};
  nlohmann::json main = {{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}};
  nlohmann::json h1only = {{"name", "h1only"}, {"tls", true}, {"alpn", "h1-only"}};
  return {{"name", "conformance-parity-wire"},
          {"listeners", nlohmann::json::array({main, h1only})},
          {"routes", nlohmann::json::array({echo_route})}};
}

struct Echoed {
  std::string protocol;
  nlohmann::json echo;
};

/** Sends `request` to `listener` and returns the server's echo of it. */
Echoed send_echo(CheckRun& run, harness::Request request, const std::string& listener) {
  request.url = run.url("/echo", listener);
  const std::string what = request.method + " " + request.url;
  auto r = run.send(request)->wait_done(kWait);
  require(r.ok && r.response.status == 200, what + ": " + r.description);
  auto echo = nlohmann::json::parse(r.response.body, nullptr, false);
  require(!echo.is_discarded() && echo.contains("headers"),
          what + ": echo is not JSON: " + r.response.body.substr(0, 200));
  return {r.response.protocol, std::move(echo)};
}

/** The echoed request fields minus the protocol's own, as "name: value" lines. */
std::map<std::string, std::string> request_fields(const nlohmann::json& echo) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : echo["headers"].items()) {
    if (kProtocolFields.count(name) == 0) {
      out[name] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  return out;
}

std::string fields_text(const std::map<std::string, std::string>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    out += (out.empty() ? "" : ", ") + name + ": " + value;
  }
  return out.empty() ? "(none)" : out;
}

/** One request shape over both listeners: the same fields arrive, and the body. */
void compare(CheckRun& run, const harness::Request& request, const std::string& shape) {
  const auto main = send_echo(run, request, "main");
  const auto h1 = send_echo(run, request, "h1only");
  const auto a = request_fields(main.echo);
  const auto b = request_fields(h1.echo);
  const std::string over = " (" + (main.protocol.empty() ? "?" : main.protocol) + " vs " +
                           (h1.protocol.empty() ? "?" : h1.protocol) + ")";
  require(a == b, shape + ": the fields differ between the listeners" + over + ": main got " +
                      fields_text(a) + "; h1-only got " + fields_text(b));
  if (request.body) {
    const auto digest = common::sha256_hex(*request.body);
    for (const auto* e : {&main, &h1}) {
      require(e->echo.value("sha256", "") == digest,
              shape + ": the body arrived as " + std::to_string(e->echo.value("body_bytes", -1L)) +
                  " bytes over " + e->protocol + " (sent " + std::to_string(request.body->size()) +
                  ")");
    }
  }
  // Nothing the caller did not ask for.
  if (!harness::find_header(request.headers, "content-type")) {
    for (const auto* fields : {&a, &b}) {
      const auto added = fields->find("content-type");
      if (added != fields->end()) {
        fail(shape + ": a content-type the caller did not set arrived: " + added->second + over);
      }
    }
  }
  if (harness::find_header(request.headers, "te")) {
    for (const auto* fields : {&a, &b}) {
      const auto te = fields->find("te");
      require(te != fields->end() && te->second == "trailers",
              shape + ": te: trailers was not kept" + over + "; fields: " + fields_text(*fields));
    }
  }
}

// RFC 9110 (the request's semantics do not depend on the version that carries it),
// RFC 9113 8.2.2 (TE: trailers is the one TE an h2 request carries; gRPC needs it):
// the same request from the caller reaches an h2 listener and an HTTP/1.1-only one with
// the same fields: nothing added on one side only (Content-Type on a POST, Accept,
// Expect), the same user-agent and accept-encoding, te: trailers kept on both.
std::string parity_wire_steps(CheckRun& run) {
  harness::Request get = run.request("/echo", "parity");
  compare(run, get, "GET");
  harness::Request post = get;
  post.method = "POST";
  post.body = std::string("a=1&b=2 exactly these bytes");
  compare(run, post, "POST without content-type");
  harness::Request typed = post;
  typed.headers.emplace_back("content-type", "application/grpc");
  typed.headers.emplace_back("te", "trailers");
  typed.headers.emplace_back("x-custom", "one");
  compare(run, typed, "POST with content-type and te: trailers");
  harness::Request empty = get;
  empty.method = "POST";
  empty.body = std::string();
  compare(run, empty, "POST with an empty body");
  return "GET, POST with and without content-type and te: trailers, empty POST: the same "
         "fields over both listeners, nothing added";
}

}  // namespace

Verdict parity_wire(const DriverSpec& d) {
  return judge_on(d, parity_scenario(), parity_wire_steps);
}

}  // namespace faultline::conformance::detail
