// A listening socket of the scenario: accepts connections, each on its own strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>

#include "detail/server_context.h"

namespace faultline::fake_server::detail {

/** Binds at construction (throws ServerError(bind_failed) naming the address) and
    accepts once started, until stopped. Above the server's max_connections a new
    connection is closed at once; out of file descriptors, accepting pauses (backing
    off) instead of spinning; each logs once per kAcceptLogInterval. */
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
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
  /** Out of descriptors: retry after a pause that doubles up to kAcceptBackoffLast. */
  void back_off(const boost::system::error_code& ec);
  /** One log line per interval for a repeating condition; counts what it swallowed. */
  void log_rate_limited(const std::string& what);

  boost::asio::io_context& io_;
  ServerContext& context_;
  const ListenerState& state_;
  boost::asio::ssl::context* tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_timer_;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point last_log_{};
  std::uint64_t unlogged_ = 0;  ///< occurrences since the last log line
  bool over_limit_ = false;     ///< refusing for max_connections (logged at the start)
  std::uint16_t port_ = 0;
};

}  // namespace faultline::fake_server::detail
