#include "listener.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "connection.h"
#include "faultline/fake_server/errc.h"
#include "log.h"

namespace faultline::fake_server::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(asio::io_context& io, ServerContext& context, const ListenerState& state,
                   const tcp::endpoint& endpoint, asio::ssl::context* tls)
    : io_(io), context_(context), state_(state), tls_(tls), acceptor_(asio::make_strand(io)) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec)
    acceptor_.bind(endpoint, ec);
  if (!ec)
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
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
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](const boost::system::error_code& ec,
                                                        tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open())
      return;
    if (ec) {
      FAULTLINE_LOG(warn, (LogTag{"listener"}), state_.name << ": accept failed: " << ec.message());
    } else if (tls_ != nullptr) {
      start_tls_connection(context_, state_, std::move(socket), *tls_);
    } else {
      start_plain_connection(context_, state_, std::move(socket));
    }
    do_accept();
  });
}

}  // namespace faultline::fake_server::detail
