#include "faultline/scenarios/scenario.h"

#include <array>

#include "detail/names.h"

namespace faultline::scenarios {
namespace detail {
namespace {

constexpr std::array kAlpnNames = {
    AlpnName{AlpnPolicy::h2_h1, "h2+h1"},         AlpnName{AlpnPolicy::h1_only, "h1-only"},
    AlpnName{AlpnPolicy::h1_strict, "h1-strict"}, AlpnName{AlpnPolicy::h2_only, "h2-only"},
    AlpnName{AlpnPolicy::none, "none"},
};

}  // namespace

std::span<const AlpnName> alpn_names() noexcept {
  return kAlpnNames;
}

std::optional<AlpnPolicy> alpn_from_name(std::string_view name) noexcept {
  for (const AlpnName& entry : kAlpnNames) {
    if (entry.name == name) {
      return entry.policy;
    }
  }
  return std::nullopt;
}

}  // namespace detail

const char* to_string(AlpnPolicy policy) noexcept {
  for (const detail::AlpnName& entry : detail::kAlpnNames) {
    if (entry.policy == policy) {
      return entry.name.data();  // the literals are NUL-terminated
    }
  }
  return "unknown";
}

bool can_speak_h2(const Listener& listener) noexcept {
  return !listener.tls || listener.alpn == AlpnPolicy::h2_h1 ||
         listener.alpn == AlpnPolicy::h2_only;
}

}  // namespace faultline::scenarios
