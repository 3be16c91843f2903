// A listening socket of the scenario: accepts connections, each on its own strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <memory>

#include "server_context.h"

namespace faultline::fake_server::detail {

/** Binds at construction (throws ServerError(bind_failed) naming the address) and
    accepts once started, until stopped. */
class Listener {
 public:
  /** tls: nullptr for a cleartext listener; must outlive the listener. */
  Listener(boost::asio::io_context& io, ServerContext& context, const ListenerState& state,
           const boost::asio::ip::tcp::endpoint& endpoint, boost::asio::ssl::context* tls);

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  void start();
  /** Closes the acceptor (thread safe: posted to its strand). */
  void stop();

 private:
  void do_accept();

  boost::asio::io_context& io_;
  ServerContext& context_;
  const ListenerState& state_;
  boost::asio::ssl::context* tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
};

}  // namespace faultline::fake_server::detail
