// JSON spellings of the fault model's enums and variant kinds: one table each, shared
// by the parser, the writer and the public to_string() functions.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "faultline/scenarios/faults.h"

namespace faultline::scenarios::detail {

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

/** Every named value of E with its spelling; specialised for each enum in faults.cpp. */
template <typename E>
[[nodiscard]] std::span<const EnumName<E>> enum_names() noexcept;

template <>
std::span<const EnumName<H2Error>> enum_names<H2Error>() noexcept;
template <>
std::span<const EnumName<FaultScope>> enum_names<FaultScope>() noexcept;
template <>
std::span<const EnumName<RstPoint>> enum_names<RstPoint>() noexcept;
template <>
std::span<const EnumName<ClosePoint>> enum_names<ClosePoint>() noexcept;
template <>
std::span<const EnumName<CloseMode>> enum_names<CloseMode>() noexcept;
template <>
std::span<const EnumName<GateOrder>> enum_names<GateOrder>() noexcept;
template <>
std::span<const EnumName<ViolationKind>> enum_names<ViolationKind>() noexcept;
/** current, previous, max (Kind::number is a JSON integer). */
template <>
std::span<const EnumName<LastStreamId::Kind>> enum_names<LastStreamId::Kind>() noexcept;
/** next_odd, next_even (Kind::number is a JSON integer). */
template <>
std::span<const EnumName<UnknownStreamId::Kind>> enum_names<UnknownStreamId::Kind>() noexcept;

/** The value spelled `name`, or nullopt. */
template <typename E>
[[nodiscard]] std::optional<E> enum_from_name(std::string_view name) noexcept {
  for (const EnumName<E>& entry : enum_names<E>()) {
    if (entry.name == name) {
      return entry.value;
    }
  }
  return std::nullopt;
}

/** The spelling of `value`; empty when it has none. */
template <typename E>
[[nodiscard]] std::string_view enum_name(E value) noexcept {
  for (const EnumName<E>& entry : enum_names<E>()) {
    if (entry.value == value) {
      return entry.name;
    }
  }
  return {};
}

/** "a, b, c": every spelling, for messages. */
template <typename E>
[[nodiscard]] std::string enum_name_list() {
  std::string text;
  for (const EnumName<E>& entry : enum_names<E>()) {
    text += text.empty() ? "" : ", ";
    text += entry.name;
  }
  return text;
}

/** Trigger kinds, in the order of the Trigger variant. */
inline constexpr std::array<std::string_view, 8> kTriggerNames = {
    "streams_opened", "active_streams", "after_ms", "connect",
    "path",           "client_rst",     "admin",    "idle_ms"};
static_assert(kTriggerNames.size() == std::variant_size_v<Trigger>);

/** Action kinds, in the order of the Action variant. */
inline constexpr std::array<std::string_view, 10> kActionNames = {
    "goaway",         "settings",
    "rst_stream",     "data_after_end_stream",
    "data_after_rst", "data_unknown_stream",
    "close",          "ping",
    "storm",          "protocol_violation"};
static_assert(kActionNames.size() == std::variant_size_v<Action>);

}  // namespace faultline::scenarios::detail
