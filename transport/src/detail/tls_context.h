// The client TLS context: trust store, verification, TLS 1.2+.
#pragma once

#include <memory>

#include "faultline/transport/options.h"

namespace boost::asio::ssl {
class context;
}

namespace faultline::transport::detail {

/** A client context trusting `options.ca_file`/`ca_pem`, or the system store when both
    are empty. Throws std::invalid_argument naming the file when it cannot be used. */
[[nodiscard]] std::unique_ptr<boost::asio::ssl::context> make_client_tls_context(
    const TlsOptions& options);

/** The ALPN offer in wire format: h2, then http/1.1. */
inline constexpr unsigned char kAlpnOffer[] = {2,   'h', '2', 8,   'h', 't',
                                               't', 'p', '/', '1', '.', '1'};

}  // namespace faultline::transport::detail
