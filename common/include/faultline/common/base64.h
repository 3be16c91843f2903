// Base64 (RFC 4648 section 4: standard alphabet, '=' padding): scenario bodies and the
// driver protocol's bodies.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace faultline::common {

/** How strictly base64_decode reads its input. */
enum class Base64Padding {
  /** The canonical padded form only: length a multiple of 4, one or two '=' as needed,
      and the bits the padding drops all zero (scenario files: one spelling per body). */
  required,
  /** Trailing '=' may be missing (or extra); dropped bits are ignored (the driver
      protocol: what other languages' encoders write). */
  optional,
};

/** Padded base64 of the bytes. */
[[nodiscard]] std::string base64_encode(std::string_view bytes);

/** The bytes, or nullopt on a character outside the alphabet (whitespace included), a
    bad length, or padding that `padding` does not accept. */
[[nodiscard]] std::optional<std::string> base64_decode(
    std::string_view text, Base64Padding padding = Base64Padding::required);

}  // namespace faultline::common
