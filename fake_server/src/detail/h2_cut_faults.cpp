#include "detail/h2_cut_faults.h"

#include <algorithm>
#include <variant>

namespace faultline::fake_server::detail {

namespace {

/** How much of a HEADERS block a mid_headers close lets out: the first half. */
std::uint32_t cut_headers_length(std::uint32_t length) {
  return std::max<std::uint32_t>(1, length / 2);
}

/** The first close armed on a stream, if it cuts the HEADERS. */
const scenarios::CloseAction* mid_headers_close(
    const std::vector<const scenarios::Action*>& armed) {
  for (const auto* action : armed) {
    if (const auto* c = std::get_if<scenarios::CloseAction>(action)) {
      return c->at == scenarios::ClosePoint::mid_headers ? c : nullptr;
    }
  }
  return nullptr;
}

}  // namespace

void H2CutFaults::rst(const scenarios::RstStreamAction& rst, const scenarios::Action& action,
                      std::int32_t stream) {
  if (rst.at == scenarios::RstPoint::before_headers) {
    state_.mark_reset(stream);
    state_.reset_stream(stream, static_cast<std::uint32_t>(rst.error));
    return;
  }
  armed_[stream].push_back(&action);
}

void H2CutFaults::arm_close(const scenarios::Action& action, std::int32_t stream) {
  armed_[stream].push_back(&action);
}

bool H2CutFaults::needs_body(std::int32_t id) const {
  auto it = armed_.find(id);
  if (it == armed_.end()) {
    return false;
  }
  for (const auto* action : it->second) {
    if (const auto* rst = std::get_if<scenarios::RstStreamAction>(action);
        rst != nullptr && rst->at != scenarios::RstPoint::before_headers) {
      return true;
    }
    if (const auto* c = std::get_if<scenarios::CloseAction>(action);
        c != nullptr && c->at == scenarios::ClosePoint::mid_body) {
      return true;
    }
  }
  return false;
}

std::optional<std::uint64_t> H2CutFaults::body_budget(std::int32_t id,
                                                      std::optional<std::uint64_t> size) {
  if (cut_.count(id) != 0) {
    return 0;
  }
  auto it = armed_.find(id);
  if (it == armed_.end()) {
    return std::nullopt;
  }
  for (const auto* action : it->second) {
    std::uint64_t after = 0;
    const auto* rst = std::get_if<scenarios::RstStreamAction>(action);
    const auto* c = std::get_if<scenarios::CloseAction>(action);
    if (rst != nullptr && rst->at == scenarios::RstPoint::mid_body) {
      after = rst->after_bytes;
    } else if (c != nullptr && c->at == scenarios::ClosePoint::mid_body) {
      after = c->after_bytes;
    } else if (rst != nullptr && rst->at == scenarios::RstPoint::after_headers) {
      return 0;
    } else {
      continue;
    }
    const std::uint64_t cut = size ? std::min(after, *size == 0 ? 0 : *size - 1) : after;
    const std::uint64_t sent = body_sent_[id];
    if (sent < cut) {
      return cut - sent;
    }
    cut_.insert(id);
    if (rst != nullptr) {
      state_.reset_stream(id, static_cast<std::uint32_t>(rst->error));
      state_.env().host.signal_write();
    } else {
      state_.close(c->mode, "close fault mid_body");
    }
    return 0;
  }
  return std::nullopt;
}

void H2CutFaults::on_body_sent(std::int32_t id, std::size_t n) {
  if (armed_.count(id) != 0) {
    body_sent_[id] += n;
  }
}

std::uint32_t H2CutFaults::bytes_written(const nghttp2_frame& frame) const {
  const auto length = static_cast<std::uint32_t>(frame.hd.length);
  if (frame.hd.type != NGHTTP2_HEADERS) {
    return length;
  }
  const auto it = armed_.find(frame.hd.stream_id);
  if (it == armed_.end() || mid_headers_close(it->second) == nullptr) {
    return length;
  }
  return cut_headers_length(length);
}

void H2CutFaults::on_headers_sent(std::int32_t id) {
  const auto it = armed_.find(id);
  if (it == armed_.end()) {
    return;
  }
  if (const auto* c = mid_headers_close(it->second)) {
    cut_headers_.emplace(id, c->mode);
  }
  for (const auto* action : it->second) {
    if (const auto* rst = std::get_if<scenarios::RstStreamAction>(action);
        rst != nullptr && rst->at == scenarios::RstPoint::after_headers) {
      cut_.insert(id);
      state_.reset_stream(id, static_cast<std::uint32_t>(rst->error));
    }
  }
}

bool H2CutFaults::cut(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t length) {
  // The frame header and the first half of the block, then the close.
  const scenarios::CloseMode mode = cut_headers_->second;
  cut_headers_.reset();
  out.resize(at + kFrameHeaderBytes + cut_headers_length(length));
  state_.discard_raw();  // nothing after the cut
  state_.close(mode, "close fault mid_headers");
  return true;
}

void H2CutFaults::forget(std::int32_t id) {
  armed_.erase(id);
  body_sent_.erase(id);
  cut_.erase(id);
}

}  // namespace faultline::fake_server::detail
