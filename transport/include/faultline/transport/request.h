// What a caller sends: method, URL, headers, body, deadline, redirect mode, abort signal.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "faultline/transport/http.h"

namespace faultline::transport {

namespace detail {
struct AbortState;
}

/** What a pull source returns for one call. */
struct PullResult {
  std::size_t size = 0;  ///< bytes written into the buffer
  bool end = false;      ///< no more bytes after these
  bool failed = false;   ///< the source broke; the request fails with errc::body_source_failed
};

/** Produces the request body piece by piece, on the I/O thread, when the protocol can
    send more. Must fill at most buffer.size() bytes and must not block. A body from a
    pull source is never replayed: a request that needs it again (retry, 307/308) fails. */
using PullSource = std::function<PullResult(std::span<char> buffer)>;

/** A request body: none, bytes held in memory (replayable), or a pull source. */
class Body {
 public:
  /** No body. */
  Body() = default;
  /** A body held in memory; replayed on retries and 307/308 redirects. */
  static Body bytes(std::string data);
  /** A streamed body; `length` becomes content-length when known, and the source is
      held to it: more bytes, or its end before `length`, fail the request with
      errc::body_source_failed before anything beyond `length` is sent. */
  static Body pull(PullSource source, std::optional<std::uint64_t> length = std::nullopt);

  [[nodiscard]] bool empty() const noexcept { return !source_ && data_.empty(); }
  [[nodiscard]] bool replayable() const noexcept { return !source_; }
  [[nodiscard]] const std::string& data() const noexcept { return data_; }
  [[nodiscard]] const PullSource& source() const noexcept { return source_; }
  /** Length when known: the bytes' size, or the pull source's declared length. */
  [[nodiscard]] std::optional<std::uint64_t> length() const noexcept;

 private:
  std::string data_;
  PullSource source_;
  std::optional<std::uint64_t> source_length_;
};

/** Read side of an AbortController; copy it into as many requests as you like. */
class AbortSignal {
 public:
  AbortSignal() = default;
  /** True once the controller aborted. A default-constructed signal never aborts. */
  [[nodiscard]] bool aborted() const noexcept;

  /** Calls `fn` once when the signal fires (at once if it already fired), on the thread
      that calls abort(). Returns a token for remove_listener; 0 if the signal is empty.
      Used by the transport; `fn` must be quick and must not call back into the signal. */
  std::uint64_t add_listener(std::function<void()> fn) const;
  /** After this returns, the listener will not be called. */
  void remove_listener(std::uint64_t token) const noexcept;

 private:
  friend class AbortController;
  std::shared_ptr<detail::AbortState> state_;
};

/** Aborts every request that carries its signal. Thread safe: abort() may be called from
    any thread, any number of times. */
class AbortController {
 public:
  AbortController();
  void abort() noexcept;
  [[nodiscard]] bool aborted() const noexcept { return signal_.aborted(); }
  [[nodiscard]] AbortSignal signal() const noexcept { return signal_; }

 private:
  AbortSignal signal_;
};

/** What happens when the response is a redirect (301, 302, 303, 307, 308 with Location). */
enum class RedirectMode {
  follow,  ///< follow up to max_redirects, with the Fetch method/body/credential rules
  manual,  ///< return the 3xx response as it is
  error,   ///< fail with errc::redirect_not_allowed
};

/** One HTTP request. */
struct Request {
  std::string method = "GET";
  /** Absolute http:// or https:// URL. */
  std::string url;
  Headers headers;
  Body body;
  /** Absolute deadline covering queueing, connecting, retries, redirects and the whole
      response body. When unset, `timeout` (or Options::request_timeout) applies. */
  std::optional<std::chrono::steady_clock::time_point> deadline;
  /** Relative deadline from send(); zero: Options::request_timeout. */
  std::chrono::milliseconds timeout{0};
  RedirectMode redirect = RedirectMode::follow;
  std::uint32_t max_redirects = 20;
  AbortSignal abort;
};

}  // namespace faultline::transport
