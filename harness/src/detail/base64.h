// Base64 (RFC 4648, standard alphabet, padded) for the driver protocol's bodies.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace faultline::harness::detail {

[[nodiscard]] std::string base64_encode(std::string_view bytes);
/** nullopt on a character outside the alphabet or a bad length; padding is optional. */
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

}  // namespace faultline::harness::detail
