// The ALPN decision of a listener's policy, separate from OpenSSL's callback so it
// is tested on plain byte strings.
#pragma once

#include <string_view>

#include "faultline/scenarios/scenario.h"

namespace faultline::fake_server::detail {

/** What the server answers to an ALPN offer. */
enum class AlpnAnswer {
  select,       ///< protocol selected (SSL_TLSEXT_ERR_OK)
  no_protocol,  ///< negotiate no protocol, continue the handshake (SSL_TLSEXT_ERR_NOACK)
  reject,       ///< fail with the no_application_protocol alert (SSL_TLSEXT_ERR_ALERT_FATAL)
};

/** The protocol to select ("h2" / "http/1.1") or none, per policy:
    h2+h1: h2 if offered, else http/1.1 if offered, else no protocol;
    h1-only: http/1.1 if offered, else no protocol (served as h1);
    h1-strict: http/1.1 if offered, else the alert; h2-only: h2 if offered, else the alert;
    none: no protocol. `offer` is the client's wire-format list (length-prefixed names). */
struct AlpnDecision {
  AlpnAnswer answer = AlpnAnswer::no_protocol;
  std::string_view protocol;  ///< a view into `offer` when selected
};

[[nodiscard]] AlpnDecision decide_alpn(scenarios::AlpnPolicy policy, std::string_view offer);

}  // namespace faultline::fake_server::detail
