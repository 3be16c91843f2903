#include "faultline/harness/exchange.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

namespace faultline::harness {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string format_ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  return buf;
}

}  // namespace

std::optional<std::string> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::aborted:
      return "aborted";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::network:
      return "network";
    case ErrorKind::protocol:
      return "protocol";
    case ErrorKind::other:
      return "other";
    case ErrorKind::driver:
      return "driver";
  }
  return "?";
}

std::optional<ErrorKind> parse_error_kind(std::string_view text) noexcept {
  for (auto kind : {ErrorKind::aborted, ErrorKind::timeout, ErrorKind::network, ErrorKind::protocol,
                    ErrorKind::other, ErrorKind::driver}) {
    if (to_string(kind) == text) {
      return kind;
    }
  }
  return std::nullopt;
}

std::string_view to_string(RedirectMode mode) noexcept {
  switch (mode) {
    case RedirectMode::follow:
      return "follow";
    case RedirectMode::manual:
      return "manual";
    case RedirectMode::error:
      return "error";
  }
  return "?";
}

std::string_view to_string(Event::Type type) noexcept {
  switch (type) {
    case Event::Type::informational:
      return "informational";
    case Event::Type::headers:
      return "headers";
    case Event::Type::data:
      return "data";
    case Event::Type::end:
      return "end";
    case Event::Type::error:
      return "error";
  }
  return "?";
}

std::string Response::describe() const {
  std::string out;
  if (!informational.empty()) {
    out += std::to_string(informational.size()) + " informational head(s) (";
    for (std::size_t i = 0; i < informational.size(); ++i) {
      out += (i > 0 ? " " : "") + std::to_string(informational[i].first);
    }
    out += "), ";
  }
  if (has_headers) {
    out += std::to_string(status);
    if (!protocol.empty()) {
      out += " " + protocol;
    }
    out += " at " + format_ms(headers_ms);
  } else {
    out += "no headers";
  }
  out += ", " + std::to_string(data_events) + " data events (" + std::to_string(body.size()) +
         " bytes)";
  if (ended) {
    out += ", end at " + format_ms(done_ms);
    if (!trailers.empty()) {
      out += " with " + std::to_string(trailers.size()) + " trailer field(s)";
    }
  }
  if (error) {
    out += ", error " + std::string(to_string(error->kind)) + " at " + format_ms(done_ms) + ": " +
           error->message;
  }
  if (!done()) {
    out += ", not done";
  }
  return out;
}

Exchange::Exchange(Request request) : request_(std::move(request)) {}

bool Exchange::push(Event event) {
  {
    std::lock_guard lock(mutex_);
    if (done_) {
      return false;
    }
    if (event.type == Event::Type::headers) {
      has_headers_ = true;
    }
    if (event.type == Event::Type::data) {
      body_bytes_ += event.data.size();
    }
    if (event.terminal()) {
      done_ = true;
    }
    events_.push_back(std::move(event));
  }
  cv_.notify_all();
  return true;
}

NextResult Exchange::next(Deadline deadline) {
  std::unique_lock lock(mutex_);
  if (!cv_.wait_until(lock, deadline.at(), [&] { return cursor_ < events_.size(); })) {
    std::string seen =
        done_ ? "the exchange is done (terminal event already returned)" : "no further event";
    return {std::nullopt, "request " + std::to_string(request_.id) + ": " + seen +
                              "; so far: " + snapshot_locked().describe()};
  }
  return {events_[cursor_++], {}};
}

template <class Pred>
WaitResult Exchange::wait_for(Pred pred, std::string_view what, Deadline deadline) {
  const auto start = Deadline::Clock::now();
  std::unique_lock lock(mutex_);
  const bool met = cv_.wait_until(lock, deadline.at(), [&] { return pred() || done_; }) && pred();
  WaitResult result;
  result.response = snapshot_locked();
  result.ok = met;
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(Deadline::Clock::now() - start).count();
  result.description = "request " + std::to_string(request_.id) + " (" + request_.method + " " +
                       request_.url + ") " +
                       (met ? "got " : "waited " + std::to_string(waited) + " ms for ") +
                       std::string(what) + "; saw " + result.response.describe();
  return result;
}

WaitResult Exchange::wait_headers(Deadline deadline) {
  return wait_for([&] { return has_headers_; }, "headers", deadline);
}

WaitResult Exchange::wait_body(std::size_t bytes, Deadline deadline) {
  return wait_for([&] { return body_bytes_ >= bytes; }, std::to_string(bytes) + " body bytes",
                  deadline);
}

WaitResult Exchange::wait_done(Deadline deadline) {
  return wait_for(
      [&] { return done_ && !events_.empty() && events_.back().type == Event::Type::end; },
      "a successful end", deadline);
}

WaitResult Exchange::wait_error(ErrorKind kind, Deadline deadline) {
  return wait_for(
      [&] {
        return done_ && !events_.empty() && events_.back().type == Event::Type::error &&
               events_.back().kind == kind;
      },
      "an error of kind " + std::string(to_string(kind)), deadline);
}

Response Exchange::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_locked();
}

Response Exchange::snapshot_locked() const {
  Response r;
  r.body.reserve(body_bytes_);
  for (const auto& e : events_) {
    switch (e.type) {
      case Event::Type::informational:
        r.informational.emplace_back(e.status, e.headers);
        break;
      case Event::Type::headers:
        r.has_headers = true;
        r.status = e.status;
        r.headers = e.headers;
        r.protocol = e.protocol;
        r.headers_ms = e.t_ms;
        break;
      case Event::Type::data:
        r.body += e.data;
        r.first_data_ms = r.data_events == 0 ? e.t_ms : r.first_data_ms;
        r.last_data_ms = e.t_ms;
        ++r.data_events;
        break;
      case Event::Type::end:
        r.ended = true;
        r.trailers = e.trailers;
        r.done_ms = e.t_ms;
        break;
      case Event::Type::error:
        r.error = e;
        r.done_ms = e.t_ms;
        break;
    }
  }
  return r;
}

std::vector<Event> Exchange::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

bool Exchange::done() const {
  std::lock_guard lock(mutex_);
  return done_;
}

BatchResult wait_all(const std::vector<std::shared_ptr<Exchange>>& exchanges, Deadline deadline) {
  constexpr std::size_t kExamples = 5;
  BatchResult result;
  std::map<std::string_view, std::size_t> by_kind;
  std::vector<std::string> examples;
  for (const auto& exchange : exchanges) {
    // A wait for an error that never matches returns as soon as the exchange is done.
    const WaitResult r = exchange->wait_error(ErrorKind::driver, deadline);
    if (r.response.ended) {
      ++result.succeeded;
      continue;
    }
    if (r.response.error) {
      ++result.failed;
      ++by_kind[to_string(r.response.error->kind)];
    } else {
      ++result.pending;
    }
    if (examples.size() < kExamples) {
      examples.push_back("request " + std::to_string(exchange->id()) + " (" +
                         exchange->request().method + " " + exchange->request().url +
                         "): " + r.response.describe());
    }
  }
  result.ok = result.succeeded == exchanges.size();
  result.description = std::to_string(result.succeeded) + "/" + std::to_string(exchanges.size()) +
                       " succeeded, " + std::to_string(result.failed) + " failed";
  for (const auto& [kind, n] : by_kind) {
    result.description += " (" + std::string(kind) + ": " + std::to_string(n) + ")";
  }
  result.description += ", " + std::to_string(result.pending) + " not done by the deadline";
  for (const auto& e : examples) {
    result.description += "\n  " + e;
  }
  return result;
}

}  // namespace faultline::harness
