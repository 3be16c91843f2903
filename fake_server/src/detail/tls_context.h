// The TLS context of one listener: certificates, TLS 1.2-1.3, the ALPN policy.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>

#include "detail/server_context.h"
#include "faultline/certs/certs.h"

namespace faultline::fake_server::detail {

/** Builds a server context for `listener`. The ALPN callback reads listener.alpn at
    every handshake (so a policy change applies to new connections); the listener must
    outlive the context. Throws ServerError(tls_failed). */
[[nodiscard]] std::unique_ptr<boost::asio::ssl::context> make_tls_context(
    const certs::Bundle& bundle, const ListenerState& listener);

}  // namespace faultline::fake_server::detail
