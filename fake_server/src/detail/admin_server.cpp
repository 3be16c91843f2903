#include "detail/admin_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <thread>

#include "detail/admin_access.h"
#include "detail/admin_api.h"
#include "detail/io_loop.h"
#include "detail/log.h"
#include "detail/server_limits.h"
#include "faultline/fake_server/errc.h"

namespace faultline::fake_server::detail {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

/** The header fields check_admin_access looks at. */
AdminRequestFacts facts_of(const http::request_parser<http::string_body>& parser) {
  const auto& request = parser.get();
  auto field = [&](http::field name) -> std::optional<std::string_view> {
    const auto it = request.find(name);
    if (it == request.end()) {
      return std::nullopt;
    }
    return std::string_view(it->value().data(), it->value().size());
  };
  AdminRequestFacts facts;
  facts.method = std::string_view(request.method_string().data(), request.method_string().size());
  facts.host = field(http::field::host);
  facts.origin = field(http::field::origin);
  facts.authorization = field(http::field::authorization);
  facts.content_type = field(http::field::content_type);
  if (const auto it = request.find("sec-fetch-site"); it != request.end()) {
    facts.sec_fetch_site = std::string_view(it->value().data(), it->value().size());
  }
  // Chunked or unknown length: assume a body, so that it must be declared JSON.
  facts.body_bytes = parser.content_length().value_or(parser.chunked() ? 1 : 0);
  return facts;
}

/** The body limit of a request to `target`: scenarios may be large, nothing else is. */
std::size_t body_limit_for(std::string_view target) {
  return target.substr(0, target.find('?')) == "/v1/scenario" ? kMaxAdminScenarioBytes
                                                              : kMaxAdminBodyBytes;
}

/** One admin client connection: read a request, answer, repeat while keep-alive. Each
    request (from the first byte of its head to its last body byte) must arrive within
    the idle timeout; a connection silent that long is closed. */
class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  /** `open` counts the sessions alive (the admin thread's only): one more while this one
      lives. */
  AdminSession(tcp::socket socket, AdminApi& api, const AdminServerOptions& options,
               std::size_t& open)
      : stream_(std::move(socket)), api_(api), options_(options), open_(open) {
    ++open_;
  }
  ~AdminSession() { --open_; }
  AdminSession(const AdminSession&) = delete;
  AdminSession& operator=(const AdminSession&) = delete;

  void start() { do_read_header(); }

 private:
  void do_read_header() {
    parser_.emplace();
    parser_->body_limit(kMaxAdminScenarioBytes);
    stream_.expires_after(options_.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) {
      on_read_error(ec);
      return;
    }
    // Access is decided on the head: a refused caller cannot make the server buffer a body.
    if (auto refused = check_admin_access(options_.access, facts_of(*parser_))) {
      FAULTLINE_LOG(warn, (LogTag{"admin"}),
                    "refused (" << refused->status << "): " << refused->body);
      reply(std::move(*refused), false);
      return;
    }
    const auto& target = parser_->get().target();
    const std::size_t limit = body_limit_for(std::string_view(target.data(), target.size()));
    // Beast checks a Content-Length against the limit while parsing the head (when the
    // limit was the largest one); chunked bodies are checked as they arrive.
    if (parser_->content_length().value_or(0) > limit) {
      reply(admin_error(413, "request body too large"), false);
      return;
    }
    parser_->body_limit(limit);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      reply(admin_error(413, "request body too large"), false);
      return;
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    if (ec == beast::error::timeout) {
      FAULTLINE_LOG(debug, (LogTag{"admin"}), "idle connection closed");
    }
    // Garbage, a reset or a timeout: drop the connection.
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      on_read_error(ec);
      return;
    }
    const auto& request = parser_->get();
    AdminReply answer;
    try {
      answer = api_.handle(
          std::string_view(request.method_string().data(), request.method_string().size()),
          std::string_view(request.target().data(), request.target().size()), request.body());
    } catch (const std::exception& e) {
      // A bug, not the caller's fault: the details go to the log, not to the client.
      FAULTLINE_LOG(error, (LogTag{"admin"}), "internal error: " << e.what());
      answer = admin_error(500, "internal error (the server log has the details)");
    }
    reply(std::move(answer), request.keep_alive());
  }

  void reply(AdminReply answer, bool keep_alive) {
    response_.emplace(static_cast<http::status>(answer.status), 11);
    response_->set(http::field::content_type, "application/json");
    if (answer.status == 401) {
      response_->set(http::field::www_authenticate, "Bearer");
    }
    response_->keep_alive(keep_alive);
    response_->body() = std::move(answer.body);
    response_->body() += '\n';
    response_->prepare_payload();
    stream_.expires_after(options_.idle_timeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        if (ec) {
                          return;
                        }
                        if (keep_alive) {
                          self->do_read_header();
                        } else {
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
                        }
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  AdminApi& api_;
  const AdminServerOptions& options_;
  std::size_t& open_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

}  // namespace

struct AdminServer::Impl {
  Impl(ServerContext& server, AdminServerOptions opts)
      : context(server), api(server), options(std::move(opts)), acceptor(io) {}

  void do_accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) {
        return;
      }
      if (ec) {
        // Out of descriptors (or any other accept failure): pause rather than spin.
        retry.expires_after(kAcceptBackoffLast);
        retry.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec && acceptor.is_open()) {
            do_accept();
          }
        });
        return;
      }
      if (options.max_connections != 0 && open >= options.max_connections) {
        refuse(std::move(socket));
      } else {
        if (over_limit) {
          over_limit = false;
          FAULTLINE_LOG(info, (LogTag{"admin"}), "accepting connections again");
        }
        std::make_shared<AdminSession>(std::move(socket), api, options, open)->start();
      }
      do_accept();
    });
  }

  /** Above --admin-max-connections: closed before any byte is read; logged when refusing
      starts (once until a slot frees), counted in guards.admin_connection_limit. */
  void refuse(tcp::socket socket) {
    context.stats.count_guard("admin_connection_limit");
    if (!over_limit) {
      over_limit = true;
      FAULTLINE_LOG(warn, (LogTag{"admin"}),
                    open << " admin connections open (--admin-max-connections): refusing new ones");
    }
    beast::error_code ignored;
    socket.close(ignored);
  }

  ServerContext& context;
  AdminApi api;
  const AdminServerOptions options;
  std::size_t open = 0;     ///< AdminSessions alive (admin thread only)
  bool over_limit = false;  ///< refusing for max_connections (logged at the start)
  asio::io_context io{1};
  tcp::acceptor acceptor;
  asio::steady_timer retry{io};
  std::thread thread;
  std::uint16_t port = 0;
};

AdminServer::AdminServer(ServerContext& context, const std::string& host, std::uint16_t port,
                         AdminServerOptions options)
    : impl_(std::make_unique<Impl>(context, std::move(options))) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    throw ServerError(errc::invalid_argument, "--admin: not an IP address: " + host);
  }
  const tcp::endpoint endpoint(address, port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
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
  if (!impl_->thread.joinable()) {
    return;
  }
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->retry.cancel();
    impl_->io.stop();
  });
  impl_->thread.join();
}

}  // namespace faultline::fake_server::detail
