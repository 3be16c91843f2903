// ASCII helpers for header names and URLs (locale-independent).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace faultline::transport::detail {

[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) {
      return false;
    }
  }
  return true;
}

[[nodiscard]] inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = ascii_lower(c);
  }
  return out;
}

/** RFC 9110 token characters (method and header names). */
[[nodiscard]] constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) {
      return false;
    }
  }
  return true;
}

/** A field value without CR, LF or NUL. */
[[nodiscard]] constexpr bool is_field_value(std::string_view s) noexcept {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return false;
    }
  }
  return true;
}

/** A three-digit status code from 100 to 599, as `:status` or a status line carries it. */
[[nodiscard]] constexpr std::optional<int> parse_status_code(std::string_view digits) noexcept {
  if (digits.size() != 3) {
    return std::nullopt;
  }
  int code = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    code = code * 10 + (c - '0');
  }
  if (code < 100 || code > 599) {
    return std::nullopt;
  }
  return code;
}

}  // namespace faultline::transport::detail
