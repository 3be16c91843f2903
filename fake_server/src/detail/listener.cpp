#include "detail/listener.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "detail/connection.h"
#include "detail/log.h"
#include "detail/server_limits.h"
#include "faultline/fake_server/errc.h"

namespace faultline::fake_server::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(asio::io_context& io, ServerContext& context, const ListenerState& state,
                   const tcp::endpoint& endpoint, asio::ssl::context* tls)
    : io_(io),
      context_(context),
      state_(state),
      tls_(tls),
      acceptor_(asio::make_strand(io)),
      backoff_timer_(acceptor_.get_executor()) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    throw ServerError(errc::bind_failed, "cannot listen on " + endpoint.address().to_string() +
                                             ":" + std::to_string(endpoint.port()) + " (listener " +
                                             state.name + "): " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
}

void Listener::start() {
  do_accept();
}

void Listener::stop() {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    backoff_timer_.cancel();
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(asio::make_strand(io_),
                         [this](const boost::system::error_code& ec, tcp::socket socket) {
                           on_accept(ec, std::move(socket));
                         });
}

void Listener::on_accept(const boost::system::error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
    return;
  }
  if (ec == asio::error::no_descriptors ||
      ec == boost::system::errc::too_many_files_open_in_system ||
      ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
    back_off(ec);
    return;
  }
  backoff_ = std::chrono::milliseconds(0);
  if (ec) {
    FAULTLINE_LOG(warn, (LogTag{"listener"}), state_.name << ": accept failed: " << ec.message());
  } else if (const std::size_t cap = context_.caps.max_connections;
             cap != 0 && context_.live.size() >= cap) {
    // Refused: closed before any byte is read (the peer sees a FIN, or a reset).
    context_.stats.count_guard("connection_limit");
    if (!over_limit_) {
      over_limit_ = true;
      FAULTLINE_LOG(
          warn, (LogTag{"listener"}),
          state_.name << ": " << cap << " connections open (--max-connections): refusing new ones");
    }
    boost::system::error_code ignored;
    socket.close(ignored);
  } else {
    if (over_limit_) {
      over_limit_ = false;
      FAULTLINE_LOG(info, (LogTag{"listener"}), state_.name << ": accepting again");
    }
    if (tls_ != nullptr) {
      start_tls_connection(context_, state_, std::move(socket), *tls_);
    } else {
      start_plain_connection(context_, state_, std::move(socket));
    }
  }
  do_accept();
}

void Listener::back_off(const boost::system::error_code& ec) {
  backoff_ =
      backoff_.count() == 0 ? kAcceptBackoffFirst : std::min(backoff_ * 2, kAcceptBackoffLast);
  context_.stats.count_guard("accept_backoff");
  log_rate_limited("accept failed: " + ec.message() + "; pausing accepts");
  backoff_timer_.expires_after(backoff_);
  backoff_timer_.async_wait([this](const boost::system::error_code& wait_ec) {
    if (!wait_ec && acceptor_.is_open()) {
      do_accept();
    }
  });
}

void Listener::log_rate_limited(const std::string& what) {
  const auto now = std::chrono::steady_clock::now();
  if (last_log_ != std::chrono::steady_clock::time_point{} &&
      now - last_log_ < kAcceptLogInterval) {
    ++unlogged_;
    return;
  }
  FAULTLINE_LOG(
      warn, (LogTag{"listener"}),
      state_.name << ": " << what
                  << (unlogged_ ? " (" + std::to_string(unlogged_) + " more since the last line)"
                                : std::string()));
  last_log_ = now;
  unlogged_ = 0;
}

}  // namespace faultline::fake_server::detail
