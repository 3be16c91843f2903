// Small text helpers shared by the protocol code (ASCII only, as HTTP fields are).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::fake_server::detail {

/** ASCII lower case. */
[[nodiscard]] std::string to_lower(std::string_view text);
/** ASCII case-insensitive equality. */
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;
/** Without leading and trailing spaces and tabs. */
[[nodiscard]] std::string_view trim(std::string_view text) noexcept;
/** A whole string of decimal digits as a number; nullopt otherwise (or on overflow). */
[[nodiscard]] std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept;

}  // namespace faultline::fake_server::detail
