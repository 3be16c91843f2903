#include "detail/alpn.h"

#include <optional>

namespace faultline::fake_server::detail {

namespace {

/** The entry of the wire-format list equal to `name`, as a view into the list. */
std::optional<std::string_view> offered(std::string_view offer, std::string_view name) {
  std::size_t i = 0;
  while (i < offer.size()) {
    const std::size_t length = static_cast<unsigned char>(offer[i]);
    if (i + 1 + length > offer.size()) {
      return std::nullopt;  // malformed: stop
    }
    const std::string_view entry = offer.substr(i + 1, length);
    if (entry == name) {
      return entry;
    }
    i += 1 + length;
  }
  return std::nullopt;
}

AlpnDecision pick(std::optional<std::string_view> chosen, AlpnAnswer otherwise) {
  if (chosen) {
    return {AlpnAnswer::select, *chosen};
  }
  return {otherwise, {}};
}

}  // namespace

AlpnDecision decide_alpn(scenarios::AlpnPolicy policy, std::string_view offer) {
  using scenarios::AlpnPolicy;
  switch (policy) {
    case AlpnPolicy::h2_h1: {
      if (auto h2 = offered(offer, "h2")) {
        return {AlpnAnswer::select, *h2};
      }
      return pick(offered(offer, "http/1.1"), AlpnAnswer::no_protocol);
    }
    case AlpnPolicy::h1_only:
      return pick(offered(offer, "http/1.1"), AlpnAnswer::no_protocol);
    case AlpnPolicy::h1_strict:
      return pick(offered(offer, "http/1.1"), AlpnAnswer::reject);
    case AlpnPolicy::h2_only:
      return pick(offered(offer, "h2"), AlpnAnswer::reject);
    case AlpnPolicy::none:
      break;
  }
  return {AlpnAnswer::no_protocol, {}};
}

}  // namespace faultline::fake_server::detail
