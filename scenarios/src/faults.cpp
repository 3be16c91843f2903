#include "faultline/scenarios/faults.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <numeric>
#include <random>

#include "detail/fault_names.h"

namespace faultline::scenarios {
namespace detail {
namespace {

constexpr std::array kH2Errors = {
    EnumName<H2Error>{H2Error::no_error, "NO_ERROR"},
    EnumName<H2Error>{H2Error::protocol_error, "PROTOCOL_ERROR"},
    EnumName<H2Error>{H2Error::internal_error, "INTERNAL_ERROR"},
    EnumName<H2Error>{H2Error::flow_control_error, "FLOW_CONTROL_ERROR"},
    EnumName<H2Error>{H2Error::settings_timeout, "SETTINGS_TIMEOUT"},
    EnumName<H2Error>{H2Error::stream_closed, "STREAM_CLOSED"},
    EnumName<H2Error>{H2Error::frame_size_error, "FRAME_SIZE_ERROR"},
    EnumName<H2Error>{H2Error::refused_stream, "REFUSED_STREAM"},
    EnumName<H2Error>{H2Error::cancel, "CANCEL"},
    EnumName<H2Error>{H2Error::compression_error, "COMPRESSION_ERROR"},
    EnumName<H2Error>{H2Error::connect_error, "CONNECT_ERROR"},
    EnumName<H2Error>{H2Error::enhance_your_calm, "ENHANCE_YOUR_CALM"},
    EnumName<H2Error>{H2Error::inadequate_security, "INADEQUATE_SECURITY"},
    EnumName<H2Error>{H2Error::http_1_1_required, "HTTP_1_1_REQUIRED"},
};

constexpr std::array kScopes = {
    EnumName<FaultScope>{FaultScope::connection, "connection"},
    EnumName<FaultScope>{FaultScope::server, "server"},
};

constexpr std::array kRstPoints = {
    EnumName<RstPoint>{RstPoint::before_headers, "before_headers"},
    EnumName<RstPoint>{RstPoint::after_headers, "after_headers"},
    EnumName<RstPoint>{RstPoint::mid_body, "mid_body"},
};

constexpr std::array kClosePoints = {
    EnumName<ClosePoint>{ClosePoint::now, "now"},
    EnumName<ClosePoint>{ClosePoint::mid_headers, "mid_headers"},
    EnumName<ClosePoint>{ClosePoint::mid_body, "mid_body"},
};

constexpr std::array kCloseModes = {
    EnumName<CloseMode>{CloseMode::fin, "fin"},
    EnumName<CloseMode>{CloseMode::reset, "reset"},
    EnumName<CloseMode>{CloseMode::close_notify, "close_notify"},
    EnumName<CloseMode>{CloseMode::black_hole, "black_hole"},
};

constexpr std::array kGateOrders = {
    EnumName<GateOrder>{GateOrder::arrival, "arrival"},
    EnumName<GateOrder>{GateOrder::reverse, "reverse"},
    EnumName<GateOrder>{GateOrder::random, "random"},
};

constexpr std::array kLastStreamKinds = {
    EnumName<LastStreamId::Kind>{LastStreamId::Kind::current, "current"},
    EnumName<LastStreamId::Kind>{LastStreamId::Kind::previous, "previous"},
    EnumName<LastStreamId::Kind>{LastStreamId::Kind::max, "max"},
};

constexpr std::array kUnknownStreamKinds = {
    EnumName<UnknownStreamId::Kind>{UnknownStreamId::Kind::next_odd, "next_odd"},
    EnumName<UnknownStreamId::Kind>{UnknownStreamId::Kind::next_even, "next_even"},
};

constexpr std::array kViolationKinds = {
    EnumName<ViolationKind>{ViolationKind::garbage, "garbage"},
    EnumName<ViolationKind>{ViolationKind::push_promise, "push_promise"},
    EnumName<ViolationKind>{ViolationKind::bad_hpack, "bad_hpack"},
    EnumName<ViolationKind>{ViolationKind::bad_status, "bad_status"},
    EnumName<ViolationKind>{ViolationKind::forbidden_field, "forbidden_field"},
};

}  // namespace

template <>
std::span<const EnumName<ViolationKind>> enum_names<ViolationKind>() noexcept {
  return kViolationKinds;
}
template <>
std::span<const EnumName<H2Error>> enum_names<H2Error>() noexcept {
  return kH2Errors;
}
template <>
std::span<const EnumName<FaultScope>> enum_names<FaultScope>() noexcept {
  return kScopes;
}
template <>
std::span<const EnumName<RstPoint>> enum_names<RstPoint>() noexcept {
  return kRstPoints;
}
template <>
std::span<const EnumName<ClosePoint>> enum_names<ClosePoint>() noexcept {
  return kClosePoints;
}
template <>
std::span<const EnumName<CloseMode>> enum_names<CloseMode>() noexcept {
  return kCloseModes;
}
template <>
std::span<const EnumName<GateOrder>> enum_names<GateOrder>() noexcept {
  return kGateOrders;
}
template <>
std::span<const EnumName<LastStreamId::Kind>> enum_names<LastStreamId::Kind>() noexcept {
  return kLastStreamKinds;
}
template <>
std::span<const EnumName<UnknownStreamId::Kind>> enum_names<UnknownStreamId::Kind>() noexcept {
  return kUnknownStreamKinds;
}

}  // namespace detail

namespace {

/** The spelling of an enum with a complete table, as a C string (the literals are
    NUL-terminated). */
template <typename E>
const char* c_name(E value) noexcept {
  const std::string_view name = detail::enum_name(value);
  return name.empty() ? "unknown" : name.data();
}

}  // namespace

std::string to_string(H2Error code) {
  if (const std::string_view name = detail::enum_name(code); !name.empty()) {
    return std::string(name);
  }
  std::array<char, 16> hex{};
  std::snprintf(hex.data(), hex.size(), "0x%x", static_cast<unsigned>(code));
  return hex.data();
}

std::optional<H2Error> h2_error_from_string(std::string_view name) noexcept {
  return detail::enum_from_name<H2Error>(name);
}

const char* to_string(FaultScope scope) noexcept {
  return c_name(scope);
}
const char* to_string(RstPoint point) noexcept {
  return c_name(point);
}
const char* to_string(ClosePoint point) noexcept {
  return c_name(point);
}
const char* to_string(CloseMode mode) noexcept {
  return c_name(mode);
}
const char* to_string(GateOrder order) noexcept {
  return c_name(order);
}
const char* to_string(ViolationKind kind) noexcept {
  return c_name(kind);
}

bool attempt_matches(const Attempts& attempts, std::uint32_t attempt) noexcept {
  switch (attempts.mode) {
    case Attempts::Mode::always:
      return true;
    case Attempts::Mode::first:
      return attempt >= 1 && attempt <= attempts.first;
    case Attempts::Mode::list:
      return std::binary_search(attempts.list.begin(), attempts.list.end(), attempt);
  }
  return false;
}

std::string_view trigger_name(const Trigger& trigger) noexcept {
  return detail::kTriggerNames[trigger.index()];
}

std::string_view action_name(const Action& action) noexcept {
  return detail::kActionNames[action.index()];
}

bool has_h1_meaning(const Action& action) noexcept {
  return std::holds_alternative<GoawayAction>(action) ||
         std::holds_alternative<RstStreamAction>(action) ||
         std::holds_alternative<CloseAction>(action);
}

bool is_stream_bound(const Action& action) noexcept {
  if (const auto* close = std::get_if<CloseAction>(&action)) {
    return close->at != ClosePoint::now;
  }
  return std::holds_alternative<RstStreamAction>(action) ||
         std::holds_alternative<DataAfterEndStreamAction>(action) ||
         std::holds_alternative<DataAfterRstAction>(action) ||
         std::holds_alternative<ProtocolViolationAction>(action);
}

bool is_server_wide(const Action& action) noexcept {
  if (const auto* close = std::get_if<CloseAction>(&action)) {
    return close->all_connections;
  }
  return std::holds_alternative<StormAction>(action);
}

std::vector<std::size_t> release_order(const GateConfig& gate, std::size_t held) {
  std::vector<std::size_t> order(held);
  std::iota(order.begin(), order.end(), std::size_t{0});
  switch (gate.order) {
    case GateOrder::arrival:
      break;
    case GateOrder::reverse:
      std::reverse(order.begin(), order.end());
      break;
    case GateOrder::random: {
      // Spelled out rather than std::shuffle, whose algorithm is unspecified: the same
      // seed must give the same order everywhere.
      std::mt19937_64 rng(gate.seed);
      for (std::size_t i = held; i > 1; --i) {
        const std::size_t j = static_cast<std::size_t>(rng() % i);
        std::swap(order[i - 1], order[j]);
      }
      break;
    }
  }
  return order;
}

}  // namespace faultline::scenarios
