// Names shared by the parser, the writer and to_string(): one table each.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "faultline/scenarios/scenario.h"

namespace faultline::scenarios::detail {

struct AlpnName {
  AlpnPolicy policy;
  std::string_view name;
};

/** Every ALPN policy with its JSON spelling ("h2+h1", "h1-only", ...). */
[[nodiscard]] std::span<const AlpnName> alpn_names() noexcept;

/** The policy spelled `name`, or nullopt. */
[[nodiscard]] std::optional<AlpnPolicy> alpn_from_name(std::string_view name) noexcept;

}  // namespace faultline::scenarios::detail
