#include "admin_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <thread>

#include "admin_api.h"
#include "faultline/fake_server/errc.h"
#include "io_loop.h"
#include "log.h"
#include "server_limits.h"

namespace faultline::fake_server::detail {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

/** One admin client connection: read a request, answer, repeat while keep-alive. */
class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(tcp::socket socket, AdminApi& api) : stream_(std::move(socket)), api_(api) {}

  void start() { do_read(); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(kMaxAdminBodyBytes);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    AdminReply reply;
    bool keep_alive = false;
    if (ec == http::error::body_limit) {
      reply = admin_error(413, "request body too large");
    } else if (ec) {
      return;  // garbage or a reset: drop the connection
    } else {
      const auto& request = parser_->get();
      keep_alive = request.keep_alive();
      try {
        reply = api_.handle(
            std::string_view(request.method_string().data(), request.method_string().size()),
            std::string_view(request.target().data(), request.target().size()), request.body());
      } catch (const std::exception& e) {
        // A bug, not the caller's fault: the details go to the log, not to the client.
        FAULTLINE_LOG(error, (LogTag{"admin"}), "internal error: " << e.what());
        reply = admin_error(500, "internal error (the server log has the details)");
      }
    }
    response_.emplace(static_cast<http::status>(reply.status), 11);
    response_->set(http::field::content_type, "application/json");
    response_->keep_alive(keep_alive);
    response_->body() = std::move(reply.body);
    response_->body() += '\n';
    response_->prepare_payload();
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        if (ec)
                          return;
                        if (keep_alive) {
                          self->do_read();
                        } else {
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
                        }
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  AdminApi& api_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

}  // namespace

struct AdminServer::Impl {
  Impl(ServerContext& context) : api(context), acceptor(io) {}

  void do_accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open())
        return;
      if (!ec)
        std::make_shared<AdminSession>(std::move(socket), api)->start();
      do_accept();
    });
  }

  AdminApi api;
  asio::io_context io{1};
  tcp::acceptor acceptor;
  std::thread thread;
  std::uint16_t port = 0;
};

AdminServer::AdminServer(ServerContext& context, const std::string& host, std::uint16_t port)
    : impl_(std::make_unique<Impl>(context)) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec)
    throw ServerError(errc::invalid_argument, "--admin: not an IP address: " + host);
  const tcp::endpoint endpoint(address, port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec)
    acceptor.bind(endpoint, ec);
  if (!ec)
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw ServerError(errc::bind_failed, "cannot listen on " + host + ":" + std::to_string(port) +
                                             " (admin): " + ec.message());
  }
  impl_->port = acceptor.local_endpoint().port();
}

AdminServer::~AdminServer() {
  stop();
}

std::uint16_t AdminServer::port() const noexcept {
  return impl_->port;
}

void AdminServer::start() {
  impl_->do_accept();
  impl_->thread = std::thread([this] { run_io_loop(impl_->io, "admin"); });
}

void AdminServer::stop() {
  if (!impl_->thread.joinable())
    return;
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->io.stop();
  });
  impl_->thread.join();
}

}  // namespace faultline::fake_server::detail
