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
  if (body.source()) {
    body_pulled_ = true;
    return body.source()(buffer);
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
  engine_.on_attempt_end(*this, attempt_, std::move(outcome));
}

}  // namespace faultline::transport::detail
