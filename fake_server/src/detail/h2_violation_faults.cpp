#include "detail/h2_violation_faults.h"

#include <vector>

namespace faultline::fake_server::detail {
namespace {

/** HPACK's indexed field with index 0, which RFC 7541 section 6.1 forbids. */
constexpr std::uint8_t kIndexZero = 0x80;
/** The :authority of the promised request. */
constexpr std::string_view kPromisedAuthority = "localhost";

}  // namespace

void H2ViolationFaults::violate(const scenarios::ProtocolViolationAction& action,
                                std::int32_t stream) {
  const auto id = static_cast<std::uint32_t>(stream);
  switch (action.kind) {
    case scenarios::ViolationKind::garbage: {
      const auto* p = reinterpret_cast<const std::uint8_t*>(kGarbageBytes.data());
      state_.raw().bytes({p, kGarbageBytes.size()});
      record(EventType::unknown_frame, 0, 0, kGarbageBytes.size());
      break;
    }
    case scenarios::ViolationKind::push_promise: {
      const auto* request = state_.request(stream);
      std::vector<std::uint8_t> block;
      append_hpack_literal(block, ":method", "GET");
      append_hpack_literal(block, ":scheme", "https");
      append_hpack_literal(block, ":authority", kPromisedAuthority);
      append_hpack_literal(block, ":path", request != nullptr ? request->path : "/");
      state_.raw().push_promise(id, kPromisedStreamId, block);
      record(EventType::push_promise, frame_flag::kEndHeaders, stream, 4 + block.size());
      break;
    }
    case scenarios::ViolationKind::bad_hpack: {
      const std::uint8_t block[] = {kIndexZero};
      constexpr std::uint8_t kFlags = frame_flag::kEndStream | frame_flag::kEndHeaders;
      state_.raw().headers(id, block, kFlags);
      record(EventType::headers, kFlags, stream, sizeof block);
      break;
    }
    case scenarios::ViolationKind::bad_status:
    case scenarios::ViolationKind::forbidden_field:
      response_head(action, stream);
      break;
  }
  state_.env().host.signal_write();
}

void H2ViolationFaults::response_head(const scenarios::ProtocolViolationAction& action,
                                      std::int32_t stream) {
  std::vector<std::uint8_t> block;
  if (action.kind == scenarios::ViolationKind::forbidden_field) {
    append_hpack_literal(block, ":status", "200");
    append_hpack_literal(block, action.name, action.value);
  } else if (!action.status.empty()) {
    append_hpack_literal(block, ":status", action.status);
  }
  append_hpack_literal(block, "content-length", "0");
  constexpr std::uint8_t kFlags = frame_flag::kEndStream | frame_flag::kEndHeaders;
  state_.raw().headers(static_cast<std::uint32_t>(stream), block, kFlags);
  record(EventType::headers, kFlags, stream, block.size());
}

void H2ViolationFaults::record(EventType type, std::uint8_t flags, std::int32_t stream,
                               std::size_t length) {
  FrameFacts facts;
  facts.dir = Direction::out;
  facts.type = type;
  facts.flags = flags;
  facts.stream = stream;
  facts.length = static_cast<std::uint32_t>(length);
  state_.record_raw(facts, false);
}

}  // namespace faultline::fake_server::detail
