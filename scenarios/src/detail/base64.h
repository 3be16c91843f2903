// Standard base64 (RFC 4648 section 4, with padding) for fixed bodies.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace faultline::scenarios::detail {

[[nodiscard]] std::string base64_encode(std::string_view bytes);

/** nullopt unless text is canonical padded base64 (no whitespace). */
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

}  // namespace faultline::scenarios::detail
