#include "detail/h2_session.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <vector>

#include "detail/limits.h"
#include "detail/tls_context.h"

namespace faultline::transport::detail {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

/** How long a closing session may take to flush its GOAWAY before the socket closes. */
constexpr std::chrono::seconds kCloseLinger{1};

/** The socket and buffers, shared with every pending operation's handler so that they
    outlive the session when it is destroyed with operations in flight. */
struct Channel {
  Channel(asio::io_context& io, ssl::context& tls)
      : resolver(io), stream(io, tls), timer(io), ping(io), ping_deadline(io), linger(io) {}

  void close() {
    error_code ignored;
    resolver.cancel();
    timer.cancel();
    ping.cancel();
    ping_deadline.cancel();
    linger.cancel();
    stream.lowest_layer().close(ignored);
  }

  tcp::resolver resolver;
  ssl::stream<tcp::socket> stream;
  asio::steady_timer timer;          ///< connect timeout
  asio::steady_timer ping;           ///< keep-alive
  asio::steady_timer ping_deadline;  ///< the PING in flight must be acknowledged by then
  asio::steady_timer linger;         ///< bounded flush on close
  std::array<std::uint8_t, kReadBuffer> read_buffer{};
  std::vector<std::uint8_t> write_buffer;
  bool writing = false;
  bool close_after_write = false;
};

/** The connection of one session: resolve, connect, TLS and ALPN, then the bytes of its
    H2Protocol both ways, and the connect and keep-alive timers. Owned (shared) by exactly
    one H2SessionHandle, i.e. the pool; asynchronous handlers hold a weak reference to it
    and a strong one to the Channel. */
class H2Connection final : public std::enable_shared_from_this<H2Connection>,
                           private H2ProtocolHost {
 public:
  H2Connection(asio::io_context& io, ssl::context& tls, const H2SessionConfig& config,
               const Url& origin, SessionId id, SessionEvents& events)
      : io_(io),
        config_(config),
        origin_(origin),
        channel_(std::make_shared<Channel>(io, tls)),
        protocol_(config, origin, id, events, *this) {}

  ~H2Connection() override { release_channel(); }

  void start();
  bool submit(const std::shared_ptr<Exchange>& exchange) { return protocol_.submit(exchange); }
  void cancel(const Exchange& exchange) { protocol_.cancel(exchange); }
  void resume(const Exchange& exchange) { protocol_.resume(exchange); }
  /** GOAWAY(NO_ERROR); the destructor (soon: the pool destroys retired sessions from the
      loop) flushes it and closes the socket. */
  void close() { protocol_.close(); }
  /** A request timed out here: a PING, judged after ping_timeout. */
  void check_alive();

 private:
  // H2ProtocolHost
  void signal_write() override;
  void defer(std::function<void()> fn) override;
  void on_settled() override;
  void on_ended() override { channel_->close(); }

  void on_resolved(const error_code& ec, const tcp::resolver::results_type& results);
  void on_connected(const error_code& ec);
  void on_handshake(const error_code& ec);
  void on_connect_timeout(const error_code& ec);
  void do_read();
  void on_read(const error_code& ec, std::size_t n);
  void do_write();
  void on_write(const error_code& ec);
  void finish_if_done();
  void arm_ping();
  void on_ping_timer(const error_code& ec);
  /** Sends a PING (unless one is in flight) and arms its deadline. */
  void ping_now();
  void on_ping_deadline(const error_code& ec);
  /** Ends the session from the connection's side and reports it. */
  void fail(CloseReason reason, errc error, std::string detail);
  /** Reports the protocol's queued events, keeping this connection alive meanwhile (the
      pool may retire it while it reacts). */
  void flush();
  void release_channel();

  template <typename Handler>
  auto bind(Handler handler) {
    return [weak = weak_from_this(), channel = channel_, handler](auto&&... args) {
      if (auto self = weak.lock()) {
        (self.get()->*handler)(std::forward<decltype(args)>(args)...);
      }
    };
  }

  asio::io_context& io_;
  const H2SessionConfig& config_;
  Url origin_;
  std::shared_ptr<Channel> channel_;
  H2Protocol protocol_;
  bool write_posted_ = false;
};

std::string ssl_detail(const error_code& ec) {
  std::string text = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    if (const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) {
      text = reason;
    }
  }
  return text;
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// ---- H2Connection

void H2Connection::start() {
  channel_->timer.expires_after(config_.connect_timeout);
  channel_->timer.async_wait(bind(&H2Connection::on_connect_timeout));
  channel_->resolver.async_resolve(origin_.bare_host(), std::to_string(origin_.port),
                                   bind(&H2Connection::on_resolved));
}

void H2Connection::fail(CloseReason reason, errc error, std::string detail) {
  protocol_.fail(reason, error, std::move(detail));
  flush();
}

void H2Connection::flush() {
  auto keep = shared_from_this();
  protocol_.flush_events();
}

void H2Connection::on_connect_timeout(const error_code& ec) {
  if (ec || protocol_.ready() || protocol_.dead()) {
    return;
  }
  fail(CloseReason::connect_failed, errc::connect_failed,
       "no h2 session within " + std::to_string(config_.connect_timeout.count()) + " ms");
}

void H2Connection::on_resolved(const error_code& ec, const tcp::resolver::results_type& results) {
  if (protocol_.dead()) {
    return;
  }
  if (ec) {
    fail(CloseReason::connect_failed, errc::connect_failed,
         "resolve " + origin_.bare_host() + ": " + ec.message());
    return;
  }
  asio::async_connect(
      channel_->stream.lowest_layer(), results,
      [weak = weak_from_this(), channel = channel_](const error_code& e, const tcp::endpoint&) {
        if (auto self = weak.lock()) {
          self->on_connected(e);
        }
      });
}

void H2Connection::on_connected(const error_code& ec) {
  if (protocol_.dead()) {
    return;
  }
  if (ec) {
    fail(CloseReason::connect_failed, errc::connect_failed,
         "connect " + origin_.authority() + ": " + ec.message());
    return;
  }
  error_code ignored;
  channel_->stream.lowest_layer().set_option(tcp::no_delay(true), ignored);
  SSL* ssl = channel_->stream.native_handle();
  const auto host = origin_.bare_host();
  if (!is_ip_literal(host)) {
    SSL_set_tlsext_host_name(ssl, host.c_str());
  }
  SSL_set_alpn_protos(ssl, kAlpnOffer, sizeof(kAlpnOffer));
  if (config_.verify_peer) {
    channel_->stream.set_verify_callback(ssl::host_name_verification(host));
  }
  channel_->stream.async_handshake(ssl::stream_base::client, bind(&H2Connection::on_handshake));
}

void H2Connection::on_handshake(const error_code& ec) {
  if (protocol_.dead()) {
    return;
  }
  if (ec) {
    const bool refused_h2 = ec.category() == asio::error::get_ssl_category() &&
                            ERR_GET_REASON(static_cast<unsigned long>(ec.value())) ==
                                SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL;
    if (refused_h2) {
      fail(CloseReason::alpn_refused, errc::tls_failed,
           "server refused ALPN h2 (no_application_protocol)");
    } else {
      fail(CloseReason::tls_failed, errc::tls_failed, "TLS handshake: " + ssl_detail(ec));
    }
    return;
  }
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(channel_->stream.native_handle(), &alpn, &alpn_len);
  const std::string_view selected(reinterpret_cast<const char*>(alpn), alpn_len);
  if (selected != "h2") {
    fail(CloseReason::alpn_http11, errc::connect_failed,
         selected.empty() ? "server negotiated no ALPN protocol"
                          : "server selected " + std::string(selected));
    return;
  }
  protocol_.start();
  if (!protocol_.dead()) {
    do_read();
  }
  flush();
}

void H2Connection::on_settled() {
  channel_->timer.cancel();
  arm_ping();
}

void H2Connection::do_read() {
  if (protocol_.dead()) {
    return;
  }
  channel_->stream.async_read_some(asio::buffer(channel_->read_buffer),
                                   bind(&H2Connection::on_read));
}

void H2Connection::on_read(const error_code& ec, std::size_t n) {
  if (protocol_.dead()) {
    return;
  }
  if (ec) {
    const bool eof = ec == asio::error::eof || ec == ssl::error::stream_truncated;
    protocol_.on_transport_lost(eof ? "connection closed by the server" : "read: " + ec.message());
    flush();
    return;
  }
  const bool alive = protocol_.receive({channel_->read_buffer.data(), n});
  flush();
  if (!alive || protocol_.dead()) {
    return;
  }
  signal_write();
  finish_if_done();
  do_read();
}

void H2Connection::signal_write() {
  if (write_posted_ || protocol_.dead() || !protocol_.started()) {
    return;
  }
  write_posted_ = true;
  asio::post(io_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      self->write_posted_ = false;
      self->do_write();
    }
  });
}

void H2Connection::defer(std::function<void()> fn) {
  asio::post(io_, [weak = weak_from_this(), fn = std::move(fn)] {
    if (auto self = weak.lock()) {
      fn();
    }
  });
}

void H2Connection::do_write() {
  if (protocol_.dead() || !protocol_.started() || channel_->writing) {
    return;
  }
  auto& buffer = channel_->write_buffer;
  buffer.clear();
  const bool ok = protocol_.produce_output(buffer, kWriteBatch);
  flush();
  if (!ok || protocol_.dead()) {
    return;
  }
  if (buffer.empty()) {
    finish_if_done();
    return;
  }
  channel_->writing = true;
  asio::async_write(
      channel_->stream, asio::buffer(buffer),
      [weak = weak_from_this(), channel = channel_](const error_code& ec, std::size_t) {
        channel->writing = false;
        if (channel->close_after_write) {
          channel->close();
          return;
        }
        if (auto self = weak.lock()) {
          self->on_write(ec);
        }
      });
}

void H2Connection::on_write(const error_code& ec) {
  if (protocol_.dead()) {
    return;
  }
  if (ec) {
    fail(CloseReason::peer_closed, errc::session_lost, "write: " + ec.message());
    return;
  }
  do_write();
}

void H2Connection::finish_if_done() {
  if (channel_->writing) {
    return;
  }
  protocol_.finish_if_done();
  flush();
}

void H2Connection::arm_ping() {
  if (config_.ping_interval.count() <= 0 || protocol_.dead()) {
    return;
  }
  channel_->ping.expires_after(config_.ping_interval);
  channel_->ping.async_wait(bind(&H2Connection::on_ping_timer));
}

void H2Connection::on_ping_timer(const error_code& ec) {
  if (ec || protocol_.dead() || !protocol_.started()) {
    return;
  }
  ping_now();
  arm_ping();
}

void H2Connection::check_alive() {
  if (protocol_.dead() || !protocol_.started() || !protocol_.ready()) {
    return;
  }
  // Called from inside the pool: the PING goes out from the loop, never re-entering it.
  defer([this] { ping_now(); });
}

void H2Connection::ping_now() {
  if (!protocol_.send_ping()) {
    return;  // one in flight: its deadline stands
  }
  channel_->ping_deadline.expires_after(config_.ping_timeout);
  channel_->ping_deadline.async_wait(bind(&H2Connection::on_ping_deadline));
  flush();
}

void H2Connection::on_ping_deadline(const error_code& ec) {
  if (ec || protocol_.dead()) {
    return;
  }
  protocol_.on_ping_deadline();
  flush();
}

void H2Connection::release_channel() {
  auto channel = channel_;
  channel->resolver.cancel();
  channel->timer.cancel();
  channel->ping.cancel();
  channel->ping_deadline.cancel();
  if (channel->writing) {
    // The write in flight owns the buffer; close once it completes.
    channel->close_after_write = true;
    protocol_.release();
  } else {
    // Flush a final GOAWAY if one is pending (close() submitted it).
    channel->write_buffer.clear();
    protocol_.final_output(channel->write_buffer);
    // Nothing calls back into this session once nghttp2 is gone.
    protocol_.release();
    if (channel->write_buffer.empty() || !channel->stream.lowest_layer().is_open()) {
      channel->close();
      return;
    }
    channel->writing = true;
    channel->close_after_write = true;
    asio::async_write(channel->stream, asio::buffer(channel->write_buffer),
                      [channel](const error_code&, std::size_t) { channel->close(); });
  }
  channel->linger.expires_after(kCloseLinger);
  channel->linger.async_wait([channel](const error_code& ec) {
    if (!ec) {
      channel->close();
    }
  });
}

/** The pool's handle: the one owner of the connection. */
class H2SessionHandle final : public Session {
 public:
  explicit H2SessionHandle(std::shared_ptr<H2Connection> connection)
      : connection_(std::move(connection)) {}
  void start() override { connection_->start(); }
  bool submit(const std::shared_ptr<Exchange>& exchange) override {
    return connection_->submit(exchange);
  }
  void cancel(const Exchange& exchange) override { connection_->cancel(exchange); }
  void resume(const Exchange& exchange) override { connection_->resume(exchange); }
  void close() override { connection_->close(); }
  void check_alive() override { connection_->check_alive(); }

 private:
  std::shared_ptr<H2Connection> connection_;
};

}  // namespace

std::unique_ptr<Session> make_h2_session(asio::io_context& io, ssl::context& tls,
                                         const H2SessionConfig& config, const Url& origin,
                                         SessionId id, SessionEvents& events) {
  return std::make_unique<H2SessionHandle>(
      std::make_shared<H2Connection>(io, tls, config, origin, id, events));
}

}  // namespace faultline::transport::detail
