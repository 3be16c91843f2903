// TLS straight over the socket: OpenSSL reads and writes the file descriptor itself,
// Asio only waits for readiness. The connection's TLS stream (connection_impl.h).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <memory>
#include <utility>

struct ssl_st;

namespace faultline::fake_server::detail {

/** What an attempt of a TLS operation left to do: nothing (it ended, well or not), or
    wait until the socket is readable or writable and try again. */
enum class TlsWant { done, read, write };

/** A server-side TLS stream with the operations of `asio::ssl::stream` the connection
    uses: handshake, read_some, write_some (so `asio::async_write` composes over it),
    shutdown, `native_handle()` and `next_layer()`.

    Unlike `asio::ssl::stream` it keeps no buffers of its own: OpenSSL is given the socket
    (SSL_set_fd, the socket non-blocking) and releases its record buffers whenever they
    are empty (SSL_MODE_RELEASE_BUFFERS). An idle connection so holds no TLS buffer, where
    `asio::ssl::stream` holds two 17 KiB ones plus a BIO pair, and no byte is copied
    between the socket and OpenSSL. See docs/architecture.md.

    Errors are those `asio::ssl::stream` reports: `asio::error::eof` after the peer's
    close_notify, `asio::ssl::error::stream_truncated` when the peer ended without one,
    OpenSSL's errors in Asio's SSL category, socket errors in the system category.

    At most one read, one write and one handshake or shutdown pending at once, all on the
    socket's executor (a strand); a completion never runs inside the call that started it.
    The object must outlive its pending operations (the connection that owns it does). */
class TlsSocket {
 public:
  using tcp = boost::asio::ip::tcp;
  using executor_type = tcp::socket::executor_type;

  TlsSocket(tcp::socket socket, boost::asio::ssl::context& context);
  TlsSocket(TlsSocket&&) noexcept = default;
  TlsSocket& operator=(TlsSocket&&) = delete;
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;
  ~TlsSocket() = default;

  [[nodiscard]] executor_type get_executor() { return socket_.get_executor(); }
  [[nodiscard]] tcp::socket& next_layer() { return socket_; }
  [[nodiscard]] ssl_st* native_handle() { return ssl_.get(); }

  /** The server side only: the handshake type is there to match `asio::ssl::stream`. */
  template <class Handler>
  void async_handshake(boost::asio::ssl::stream_base::handshake_type /*server*/,
                       Handler&& handler) {
    run([this](boost::system::error_code& ec, std::size_t&) { return try_handshake(ec); },
        [handler = std::forward<Handler>(handler)](const boost::system::error_code& ec,
                                                   std::size_t) mutable { handler(ec); });
  }

  /** Fills as much of the buffer as OpenSSL has or the socket gives without waiting;
      waits only when nothing at all is there. */
  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    const boost::asio::mutable_buffer buffer = first_buffer(buffers);
    run([this, buffer](boost::system::error_code& ec,
                       std::size_t& n) { return try_read(buffer, ec, n); },
        std::forward<Handler>(handler));
  }

  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    const boost::asio::const_buffer buffer = first_buffer(buffers);
    run([this, buffer](boost::system::error_code& ec,
                       std::size_t& n) { return try_write(buffer, ec, n); },
        std::forward<Handler>(handler));
  }

  /** Sends close_notify, then reads until the peer's (success), its FIN
      (`stream_truncated` or `eof`) or anything else (an error). */
  template <class Handler>
  void async_shutdown(Handler&& handler) {
    run([this](boost::system::error_code& ec, std::size_t&) { return try_shutdown(ec); },
        [handler = std::forward<Handler>(handler)](const boost::system::error_code& ec,
                                                   std::size_t) mutable { handler(ec); });
  }

 private:
  struct SslFree {
    void operator()(ssl_st* ssl) const;
  };

  template <class Buffers>
  static auto first_buffer(const Buffers& buffers) {
    return *boost::asio::buffer_sequence_begin(buffers);
  }

  TlsWant try_handshake(boost::system::error_code& ec);
  TlsWant try_read(boost::asio::mutable_buffer buffer, boost::system::error_code& ec,
                   std::size_t& n);
  TlsWant try_write(boost::asio::const_buffer buffer, boost::system::error_code& ec,
                    std::size_t& n);
  TlsWant try_shutdown(boost::system::error_code& ec);
  /** Reads or writes (`call(done, max)`, an SSL_read or SSL_write) until `size` bytes
      moved or OpenSSL would wait; an error after some bytes is kept in `sticky`. */
  template <class Call>
  TlsWant transfer(std::size_t size, boost::system::error_code& sticky, Call call,
                   boost::system::error_code& ec, std::size_t& n);
  /** After an OpenSSL call returned `result` <= 0: what to wait for, or the error. */
  TlsWant failed(int result, boost::system::error_code& ec);

  /** Attempts now; completes by a post when the attempt ended, else waits for the socket
      and attempts again from the wait's completion. */
  template <class Attempt, class Handler>
  void run(Attempt attempt, Handler&& handler) {
    boost::system::error_code ec;
    std::size_t n = 0;
    const TlsWant want = attempt(ec, n);
    if (want == TlsWant::done) {
      boost::asio::post(socket_.get_executor(), [handler = std::forward<Handler>(handler), ec,
                                                 n]() mutable { handler(ec, n); });
      return;
    }
    wait(want, std::move(attempt), std::forward<Handler>(handler));
  }

  template <class Attempt, class Handler>
  void wait(TlsWant want, Attempt attempt, Handler&& handler) {
    socket_.async_wait(
        want == TlsWant::read ? tcp::socket::wait_read : tcp::socket::wait_write,
        [this, attempt = std::move(attempt), handler = std::forward<Handler>(handler)](
            const boost::system::error_code& wait_error) mutable {
          if (wait_error) {
            handler(wait_error, 0);
            return;
          }
          boost::system::error_code ec;
          std::size_t n = 0;
          const TlsWant again = attempt(ec, n);
          if (again == TlsWant::done) {
            handler(ec, n);
            return;
          }
          wait(again, std::move(attempt), std::move(handler));
        });
  }

  tcp::socket socket_;
  std::unique_ptr<ssl_st, SslFree> ssl_;
  /** An error that ended a read or write that had moved bytes: reported by the next. */
  boost::system::error_code read_error_;
  boost::system::error_code write_error_;
};

}  // namespace faultline::fake_server::detail
