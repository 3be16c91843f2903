// A small synchronous client of the fake server's admin API (docs: docs/admin-api.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "faultline/harness/limits.h"

namespace faultline::harness {

/** One admin API answer. `error` is set when there is no usable answer at all (connect
    failure, timeout, a body that is not JSON); otherwise status and body are the server's. */
struct AdminResponse {
  int status = 0;
  nlohmann::json body;
  std::string error;
  std::string request_line;  ///< "GET /v1/stats", for describe()

  /** A 2xx answer with a JSON body. */
  [[nodiscard]] bool ok() const noexcept { return error.empty() && status >= 200 && status < 300; }
  explicit operator bool() const noexcept { return ok(); }
  /** The server's error.message, or our own error, or "". */
  [[nodiscard]] std::string error_message() const;
  /** The server's error.path (the JSON path of the field at fault), or "". */
  [[nodiscard]] std::string error_path() const;
  /** One line for a failure message: "GET /v1/stats -> 200 {...}" style. */
  [[nodiscard]] std::string describe() const;
};

/** HTTP/1.1 JSON client of the admin API over libcurl easy; one transfer per call, each
    bounded by the client's timeout. Thread-safe (no shared transfer state). */
class AdminClient {
 public:
  /** `base_url` is the ready line's "admin" origin, e.g. "http://127.0.0.1:40123". */
  explicit AdminClient(std::string base_url,
                       std::chrono::milliseconds timeout = kDefaultAdminTimeout);

  /** Sends "Authorization: Bearer <token>" with every call (a server started with
      --admin-token); empty: no Authorization. */
  void set_token(std::string token) { token_ = std::move(token); }

  [[nodiscard]] const std::string& base_url() const noexcept { return base_url_; }

  /** The same client scoped to namespace `ns` (docs/admin-api.md, "Namespaces"): reset,
      stats, connections, request, gates and release then see that namespace only. A
      test's requests join it by the path prefix namespace_prefix(ns) or the header
      x-faultline-namespace. */
  [[nodiscard]] AdminClient in_namespace(std::string ns) const;
  /** The namespace this client is scoped to, "" for the default one. */
  [[nodiscard]] const std::string& ns() const noexcept { return ns_; }
  [[nodiscard]] std::chrono::milliseconds timeout() const noexcept { return timeout_; }
  void set_timeout(std::chrono::milliseconds timeout) noexcept { timeout_ = timeout; }

  AdminResponse health() const;
  AdminResponse scenario() const;
  /** Replaces the scenario; a 400 answer carries the offending field's path (error_path()). */
  AdminResponse put_scenario(const nlohmann::json& scenario) const;
  /** Same with raw text (to test how the server treats malformed JSON). */
  AdminResponse put_scenario_text(std::string_view text) const;
  AdminResponse reset() const;
  AdminResponse stats() const;
  AdminResponse connections() const;
  AdminResponse connection(std::uint64_t id) const;
  AdminResponse timeline(std::uint64_t connection_id) const;
  /** How many times the request tagged `x-faultline-request-id: id` was served. */
  AdminResponse request(std::string_view request_id) const;
  AdminResponse gates() const;
  /** Releases `count` held streams of a gate, or all of them. */
  AdminResponse release(std::string_view gate, std::optional<int> count = std::nullopt) const;

  /** Any call: method, path under the base URL ("/v1/..."), optional JSON text body. */
  AdminResponse call(std::string_view method, std::string_view path,
                     std::optional<std::string_view> body = std::nullopt,
                     std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;

 private:
  std::string base_url_;
  std::chrono::milliseconds timeout_;
  std::string token_;
  std::string ns_;

  /** `path` with "?namespace=" when scoped. */
  [[nodiscard]] std::string scoped(std::string path) const;
};

/** "/n/<ns>", and "/n/<ns>/s/<scenario>" with a scenario: the path prefix that puts a
    request in a namespace (and makes it use that scenario). */
[[nodiscard]] std::string namespace_prefix(std::string_view ns, std::string_view scenario = {});

/** Percent-encodes one URL path segment (unreserved characters stay as they are). */
[[nodiscard]] std::string encode_path_segment(std::string_view segment);

}  // namespace faultline::harness
