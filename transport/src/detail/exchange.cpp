#include "detail/exchange.h"

#include <algorithm>
#include <cstring>

#include "detail/engine.h"

namespace faultline::transport::detail {

Exchange::Exchange(Engine& engine, std::uint64_t id_, Request request, Url url_, Handlers handlers_)
    : id(id_),
      method(std::move(request.method)),
      url(std::move(url_)),
      headers(std::move(request.headers)),
      body(std::move(request.body)),
      redirect_mode(request.redirect),
      max_redirects(request.max_redirects),
      signal(std::move(request.abort)),
      handlers(std::move(handlers_)),
      engine_(engine) {}

PullResult Exchange::read_body(std::span<char> buffer) {
  const PullResult result = read_next(buffer);
  body_ended_ = body_ended_ || result.end;
  return result;
}

PullResult Exchange::read_next(std::span<char> buffer) {
  if (body.source()) {
    body_pulled_ = true;
    const auto declared = body.length();
    Hooks* hooks = engine_.hooks();
    if (!declared || (hooks != nullptr && !hooks->enforce_declared_body_length())) {
      return body.source()(buffer);
    }
    return read_declared(buffer, *declared);
  }
  const auto& data = body.data();
  const auto n = std::min<std::uint64_t>(buffer.size(), data.size() - body_offset_);
  std::memcpy(buffer.data(), data.data() + body_offset_, n);
  body_offset_ += n;
  return {static_cast<std::size_t>(n), body_offset_ == data.size(), false};
}

void Exchange::on_informational(std::uint32_t attempt_, int status, Headers headers_,
                                Protocol protocol) {
  engine_.on_informational(*this, attempt_, status, std::move(headers_), protocol);
}

Hooks* Exchange::hooks() const noexcept {
  return engine_.hooks();
}

PullResult Exchange::read_declared(std::span<char> buffer, std::uint64_t declared) {
  // One byte more than is left, so that a source running past its length shows it here,
  // before any of it is sent (RFC 9112 6.3 / RFC 9113 8.1.1: the length frames the body).
  const auto left = declared - body_offset_;
  const auto room = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), left + 1));
  auto result = body.source()(buffer.first(room));
  if (result.failed) {
    return result;
  }
  if (result.size > left) {
    body_error_ =
        "the body source yielded more than its declared " + std::to_string(declared) + " bytes";
    return {0, false, true};
  }
  body_offset_ += result.size;
  if (result.end && body_offset_ < declared) {
    body_error_ = "the body source ended after " + std::to_string(body_offset_) +
                  " of its declared " + std::to_string(declared) + " bytes";
    return {0, false, true};
  }
  return result;
}

void Exchange::on_head(std::uint32_t attempt_, int status, Headers headers_, Protocol protocol) {
  engine_.on_head(*this, attempt_, status, std::move(headers_), protocol);
}

void Exchange::on_data(std::uint32_t attempt_, std::string_view chunk) {
  engine_.on_data(*this, attempt_, chunk);
}

void Exchange::on_trailers(std::uint32_t attempt_, Headers trailers) {
  engine_.on_trailers(*this, attempt_, std::move(trailers));
}

void Exchange::on_attempt_end(std::uint32_t attempt_, Outcome outcome) {
  Hooks* h = hooks();
  if (h != nullptr && outcome.kind == Outcome::Kind::completed && !body.empty() && !body_ended_ &&
      !h->deliver_response_before_upload_end()) {
    outcome = Outcome::failed_with(errc::session_lost,
                                   "the response ended before the request body was sent");
  }
  engine_.on_attempt_end(*this, attempt_, std::move(outcome));
}

}  // namespace faultline::transport::detail
