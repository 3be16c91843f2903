// The production HTTP/2 client session: resolve, TCP, TLS (ALPN h2,http/1.1), timers,
// carrying the bytes of an H2Protocol (detail/h2_protocol.h: nghttp2 and the streams).
#pragma once

#include <memory>

#include "detail/h2_protocol.h"
#include "detail/session.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace faultline::transport::detail {

/** A session to `origin` on `io` over `tls`, configured by `config` (which must outlive
    it), reporting to `events` under `id`. Call start() to connect. */
[[nodiscard]] std::unique_ptr<Session> make_h2_session(boost::asio::io_context& io,
                                                       boost::asio::ssl::context& tls,
                                                       const H2SessionConfig& config,
                                                       const Url& origin, SessionId id,
                                                       SessionEvents& events);

}  // namespace faultline::transport::detail
