#include "detail/body_source.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "faultline/scenarios/loader.h"

namespace faultline::fake_server::detail {

PacedSource::PacedSource(std::uint64_t total, std::uint32_t chunk_bytes,
                         std::chrono::milliseconds chunk_delay) noexcept
    : total_(total),
      chunk_bytes_(std::max<std::uint32_t>(chunk_bytes, 1)),
      chunk_delay_(chunk_delay) {}

std::chrono::milliseconds PacedSource::take_delay() noexcept {
  return std::exchange(owed_, std::chrono::milliseconds{0});
}

std::size_t PacedSource::read(std::span<std::uint8_t> out) {
  if (piece_left_ == 0) {
    piece_left_ = std::min<std::uint64_t>(chunk_bytes_, total_ - sent_);
  }
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), piece_left_));
  generate(out.first(n));
  sent_ += n;
  piece_left_ -= n;
  if (piece_left_ == 0 && sent_ < total_) {
    owed_ = chunk_delay_;
  }
  return n;
}

FixedSource::FixedSource(std::string owned, std::string_view view, std::uint32_t chunk_bytes,
                         std::chrono::milliseconds chunk_delay)
    : PacedSource(owned.empty() ? view.size() : owned.size(), chunk_bytes, chunk_delay),
      owned_(std::move(owned)) {
  data_ = owned_.empty() ? view : std::string_view(owned_);
}

std::unique_ptr<FixedSource> FixedSource::owned(std::string data, std::uint32_t chunk_bytes,
                                                std::chrono::milliseconds chunk_delay) {
  return std::unique_ptr<FixedSource>(
      new FixedSource(std::move(data), {}, chunk_bytes, chunk_delay));
}

std::unique_ptr<FixedSource> FixedSource::view(std::string_view data, std::uint32_t chunk_bytes,
                                               std::chrono::milliseconds chunk_delay) {
  return std::unique_ptr<FixedSource>(new FixedSource({}, data, chunk_bytes, chunk_delay));
}

void FixedSource::generate(std::span<std::uint8_t> out) {
  std::memcpy(out.data(), data_.data() + sent(), out.size());
}

RandomSource::RandomSource(std::uint64_t size, std::uint64_t seed, std::uint32_t chunk_bytes,
                           std::chrono::milliseconds chunk_delay) noexcept
    : PacedSource(size, chunk_bytes, chunk_delay), bytes_(seed), seed_(seed) {}

void RandomSource::generate(std::span<std::uint8_t> out) {
  const std::uint64_t at = sent();
  if (at + out.size() <= kRandomPrefixBytes) {
    const std::span<const std::uint8_t> prefix = random_prefix(seed_);
    std::memcpy(out.data(), prefix.data() + at, out.size());
    return;
  }
  if (at != generated_) {
    bytes_.seek(seed_, at);  // the bytes before came from the prefix
  }
  bytes_.fill(out);
  generated_ = at + out.size();
}

}  // namespace faultline::fake_server::detail

namespace faultline::fake_server::detail {

std::string encode_sse_event(const scenarios::SseBody& sse, std::uint32_t index,
                             const scenarios::Captures& captures) {
  scenarios::Captures vars = captures;
  vars.insert_or_assign("i", std::to_string(index));
  const std::string data = scenarios::expand(sse.data, vars);
  std::string out = "id: " + std::to_string(index) + "\n";
  if (!sse.event.empty()) {
    out += "event: " + sse.event + "\n";
  }
  std::size_t start = 0;
  for (;;) {
    const std::size_t eol = data.find('\n', start);
    out += "data: ";
    out.append(data, start, eol == std::string::npos ? std::string::npos : eol - start);
    out += '\n';
    if (eol == std::string::npos) {
      break;
    }
    start = eol + 1;
  }
  out += '\n';
  return out;
}

SseSource::SseSource(const scenarios::SseBody& sse, scenarios::Captures captures,
                     std::uint32_t chunk_bytes, std::chrono::milliseconds chunk_delay)
    : sse_(sse),
      captures_(std::move(captures)),
      chunk_bytes_(std::max<std::uint32_t>(chunk_bytes, 1)),
      chunk_delay_(chunk_delay) {}

bool SseSource::done() const noexcept {
  return next_event_ >= sse_.events && event_pos_ == event_.size();
}

std::chrono::milliseconds SseSource::take_delay() noexcept {
  return std::exchange(owed_, std::chrono::milliseconds{0});
}

void SseSource::start_event() {
  event_ = encode_sse_event(sse_, next_event_++, captures_);
  event_pos_ = 0;
  split_index_ = 0;
}

std::size_t SseSource::read(std::span<std::uint8_t> out) {
  if (event_pos_ == event_.size()) {
    if (next_event_ >= sse_.events) {
      return 0;
    }
    start_event();
  }
  if (piece_left_ == 0) {
    std::size_t piece = chunk_bytes_;
    if (!sse_.split.empty()) {
      piece = std::max<std::uint32_t>(sse_.split[split_index_++ % sse_.split.size()], 1);
    }
    piece_left_ = std::min(piece, event_.size() - event_pos_);
  }
  const std::size_t n = std::min(out.size(), piece_left_);
  std::memcpy(out.data(), event_.data() + event_pos_, n);
  event_pos_ += n;
  piece_left_ -= n;
  if (piece_left_ == 0) {
    if (event_pos_ < event_.size()) {
      owed_ = chunk_delay_;
    } else if (next_event_ < sse_.events) {
      owed_ = std::chrono::milliseconds(sse_.interval_ms);
    }
  }
  return n;
}

std::unique_ptr<BodySource> make_body_source(const scenarios::Response& response,
                                             const scenarios::Captures& captures, bool& bad_size) {
  bad_size = false;
  const std::chrono::milliseconds chunk_delay(response.chunk_delay_ms);
  return std::visit(
      [&](const auto& body) -> std::unique_ptr<BodySource> {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, scenarios::FixedBody>) {
          return FixedSource::view(body.data, response.chunk_bytes, chunk_delay);
        } else if constexpr (std::is_same_v<T, scenarios::RandomBody>) {
          const auto size = scenarios::resolve(body.size, captures);
          if (!size) {
            bad_size = true;
            return nullptr;
          }
          return std::make_unique<RandomSource>(*size, body.seed, response.chunk_bytes,
                                                chunk_delay);
        } else if constexpr (std::is_same_v<T, scenarios::SseBody>) {
          return std::make_unique<SseSource>(body, captures, response.chunk_bytes, chunk_delay);
        } else {
          return nullptr;  // none, echo
        }
      },
      response.body);
}

}  // namespace faultline::fake_server::detail
