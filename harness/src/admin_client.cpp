#include "faultline/harness/admin_client.h"

#include <string>

#include "detail/curl_util.h"

namespace faultline::harness {
namespace {

using nlohmann::json;

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

}  // namespace

/** A string field of the server's {"error":{...}} object, or "". */
static std::string error_field(const nlohmann::json& body, const char* name) {
  if (!body.is_object()) {
    return {};
  }
  auto e = body.find("error");
  if (e == body.end() || !e->is_object()) {
    return {};
  }
  auto f = e->find(name);
  return f != e->end() && f->is_string() ? f->get<std::string>() : std::string{};
}

std::string AdminResponse::error_message() const {
  return error.empty() ? error_field(body, "message") : error;
}

std::string AdminResponse::error_path() const {
  return error_field(body, "path");
}

std::string AdminResponse::describe() const {
  std::string out = request_line + " -> ";
  if (!error.empty()) {
    return out + "failed: " + error;
  }
  std::string text = body.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 500) {
    text = text.substr(0, 500) + "...";
  }
  return out + std::to_string(status) + " " + text;
}

AdminClient::AdminClient(std::string base_url, std::chrono::milliseconds timeout)
    : base_url_(std::move(base_url)), timeout_(timeout) {
  while (!base_url_.empty() && base_url_.back() == '/') {
    base_url_.pop_back();
  }
}

AdminResponse AdminClient::call(std::string_view method, std::string_view path,
                                std::optional<std::string_view> body,
                                std::optional<std::chrono::milliseconds> timeout) const {
  detail::curl_global_once();
  AdminResponse r;
  r.request_line = std::string(method) + " " + std::string(path);
  detail::EasyHandle easy(curl_easy_init());
  if (!easy) {
    r.error = "curl_easy_init failed";
    return r;
  }
  const std::string url = base_url_ + std::string(path);
  const std::string method_text(method);
  std::string received;
  char error_buffer[CURL_ERROR_SIZE] = {};
  detail::Slist headers;
  detail::slist_append(headers, "accept: application/json");
  if (!token_.empty()) {
    detail::slist_append(headers, ("authorization: Bearer " + token_).c_str());
  }
  CURL* h = easy.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.value_or(timeout_).count()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &received);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  if (body) {
    detail::slist_append(headers, "content-type: application/json");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data());
  } else if (method == "POST" || method == "PUT") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t{0});
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    const std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
    r.error = (rc == CURLE_OPERATION_TIMEDOUT ? "timed out: " : "unreachable: ") + detail + " (" +
              url + ")";
    return r;
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  r.status = static_cast<int>(status);
  if (received.empty()) {
    r.body = json::object();
    return r;
  }
  r.body = json::parse(received, nullptr, false);
  if (r.body.is_discarded()) {
    r.body = received;
    r.error = "answer " + std::to_string(status) + " is not JSON: " +
              (received.size() > 200 ? received.substr(0, 200) + "..." : received);
  }
  return r;
}

AdminResponse AdminClient::health() const {
  return call("GET", "/v1/health");
}
AdminResponse AdminClient::scenario() const {
  return call("GET", "/v1/scenario");
}
AdminResponse AdminClient::put_scenario(const nlohmann::json& scenario) const {
  return put_scenario_text(scenario.dump());
}
AdminResponse AdminClient::put_scenario_text(std::string_view text) const {
  return call("PUT", "/v1/scenario", text);
}
AdminResponse AdminClient::reset() const {
  return call("POST", scoped("/v1/reset"));
}
AdminResponse AdminClient::stats() const {
  return call("GET", scoped("/v1/stats"));
}
AdminResponse AdminClient::connections() const {
  return call("GET", scoped("/v1/connections"));
}
AdminResponse AdminClient::connection(std::uint64_t id) const {
  return call("GET", "/v1/connections/" + std::to_string(id));
}
AdminResponse AdminClient::timeline(std::uint64_t connection_id) const {
  return call("GET", "/v1/connections/" + std::to_string(connection_id) + "/timeline");
}
AdminResponse AdminClient::request(std::string_view request_id) const {
  return call("GET", scoped("/v1/requests/" + encode_path_segment(request_id)));
}
AdminResponse AdminClient::gates() const {
  return call("GET", scoped("/v1/gates"));
}
AdminResponse AdminClient::release(std::string_view gate, std::optional<int> count) const {
  const std::string path = scoped("/v1/gates/" + encode_path_segment(gate) + "/release");
  if (!count) {
    return call("POST", path);
  }
  return call("POST", path, json{{"count", *count}}.dump());
}

AdminClient AdminClient::in_namespace(std::string ns) const {
  AdminClient scoped_client = *this;
  scoped_client.ns_ = std::move(ns);
  return scoped_client;
}

std::string AdminClient::scoped(std::string path) const {
  if (!ns_.empty()) {
    path += "?namespace=" + encode_path_segment(ns_);
  }
  return path;
}

std::string namespace_prefix(std::string_view ns, std::string_view scenario) {
  std::string prefix = "/n/" + encode_path_segment(ns);
  if (!scenario.empty()) {
    prefix += "/s/" + encode_path_segment(scenario);
  }
  return prefix;
}

std::string encode_path_segment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : segment) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace faultline::harness
