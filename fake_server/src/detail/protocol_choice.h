// Which session an accepted connection gets: HTTP/2 or HTTP/1.1, from ALPN (TLS) or
// from its first bytes (cleartext).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "faultline/scenarios/scenario.h"

struct ssl_st;

namespace faultline::fake_server::detail {

class ConnectionStats;

/** Cleartext: true when the first bytes are the HTTP/2 preface (h2c with prior
    knowledge), false when they cannot be, nullopt while they are still a prefix of it. */
[[nodiscard]] std::optional<bool> starts_with_h2_preface(std::string_view first_bytes);

/** What a TLS handshake settled. */
struct TlsChoice {
  std::string alpn;     ///< the protocol ALPN selected, empty when none
  bool h2 = false;      ///< ALPN "h2", or no ALPN under the h2-only policy
  std::string version;  ///< "TLSv1.3", ...
};
[[nodiscard]] TlsChoice tls_choice(ssl_st* ssl, scenarios::AlpnPolicy policy);

/** Bytes TLS moved through the socket (records, not plaintext), into the stats. */
void record_tls_socket_bytes(ssl_st* ssl, ConnectionStats& stats);

}  // namespace faultline::fake_server::detail
