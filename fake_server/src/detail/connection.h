// Accepted sockets become connections: TLS handshake (or cleartext sniffing for the
// h2c preface), then an HTTP/2 or HTTP/1.1 session driven by the socket.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "detail/server_context.h"

namespace faultline::fake_server::detail {

/** Starts serving a cleartext socket: h2c with prior knowledge when the client opens
    with the HTTP/2 preface, HTTP/1.1 otherwise. The socket's executor is its strand. */
void start_plain_connection(ServerContext& context, const ListenerState& listener,
                            boost::asio::ip::tcp::socket socket);

/** Starts serving a TLS socket: handshake, then h2 when ALPN selected it (or, with the
    h2-only policy, when the client offered no ALPN), HTTP/1.1 otherwise. */
void start_tls_connection(ServerContext& context, const ListenerState& listener,
                          boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls);

}  // namespace faultline::fake_server::detail
