#include "detail/tls_socket.h"

#include <boost/asio/ssl/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <climits>
#include <stdexcept>

namespace faultline::fake_server::detail {

namespace asio = boost::asio;

namespace {

int clamp_to_int(std::size_t n) {
  return n > INT_MAX ? INT_MAX : static_cast<int>(n);
}

}  // namespace

void TlsSocket::SslFree::operator()(ssl_st* ssl) const {
  SSL_free(ssl);
}

TlsSocket::TlsSocket(tcp::socket socket, asio::ssl::context& context)
    : socket_(std::move(socket)), ssl_(SSL_new(context.native_handle())) {
  if (!ssl_) {
    throw std::runtime_error("SSL_new failed");
  }
  socket_.non_blocking(true);  // throws when the socket is gone, as SSL_new does when out of memory
  if (SSL_set_fd(ssl_.get(), static_cast<int>(socket_.native_handle())) != 1) {
    throw std::runtime_error("SSL_set_fd failed");
  }
  SSL_set_accept_state(ssl_.get());
  // Partial writes and a moving buffer as asio::ssl::stream sets them; the record buffers
  // are freed whenever empty, so an idle connection holds none; read-ahead lets one
  // read(2) bring several records.
  SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                               SSL_MODE_RELEASE_BUFFERS);
  SSL_set_read_ahead(ssl_.get(), 1);
}

TlsWant TlsSocket::failed(int result, boost::system::error_code& ec) {
  const int saved_errno = errno;
  const int error = SSL_get_error(ssl_.get(), result);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      return TlsWant::read;
    case SSL_ERROR_WANT_WRITE:
      return TlsWant::write;
    case SSL_ERROR_ZERO_RETURN:
      ec = asio::error::eof;
      return TlsWant::done;
    case SSL_ERROR_SYSCALL: {
      const unsigned long queued = ERR_get_error();
      if (queued != 0) {
        ec = boost::system::error_code(static_cast<int>(queued), asio::error::get_ssl_category());
      } else if (result < 0 && saved_errno != 0) {
        ec = boost::system::error_code(saved_errno, boost::system::system_category());
      } else if ((SSL_get_shutdown(ssl_.get()) & SSL_RECEIVED_SHUTDOWN) != 0) {
        ec = asio::error::eof;
      } else {
        ec = asio::ssl::error::stream_truncated;  // a FIN without close_notify
      }
      return TlsWant::done;
    }
    default: {
      const unsigned long queued = ERR_get_error();
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
      if (ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ec = asio::ssl::error::stream_truncated;
        return TlsWant::done;
      }
#endif
      ec = boost::system::error_code(static_cast<int>(queued), asio::error::get_ssl_category());
      return TlsWant::done;
    }
  }
}

TlsWant TlsSocket::try_handshake(boost::system::error_code& ec) {
  ERR_clear_error();
  errno = 0;
  const int result = SSL_do_handshake(ssl_.get());
  if (result == 1) {
    return TlsWant::done;
  }
  return failed(result, ec);
}

template <class Call>
TlsWant TlsSocket::transfer(std::size_t size, boost::system::error_code& sticky, Call call,
                            boost::system::error_code& ec, std::size_t& n) {
  if (sticky) {
    ec = sticky;
    return TlsWant::done;
  }
  while (n < size) {
    ERR_clear_error();
    errno = 0;
    const int result = call(n, clamp_to_int(size - n));
    if (result > 0) {
      n += static_cast<std::size_t>(result);
      continue;
    }
    boost::system::error_code error;
    const TlsWant want = failed(result, error);
    if (n > 0) {
      // The bytes moved are the answer now; an error waits for the next call (empty
      // when OpenSSL would only wait). A record that could not be sent yet stays pending
      // in OpenSSL: the caller writes the same bytes again from n, as a retried
      // SSL_write needs.
      sticky = error;
      return TlsWant::done;
    }
    ec = error;
    return want;
  }
  return TlsWant::done;
}

TlsWant TlsSocket::try_read(asio::mutable_buffer buffer, boost::system::error_code& ec,
                            std::size_t& n) {
  auto* data = static_cast<unsigned char*>(buffer.data());
  return transfer(
      buffer.size(), read_error_,
      [&](std::size_t at, int max) { return SSL_read(ssl_.get(), data + at, max); }, ec, n);
}

TlsWant TlsSocket::try_write(asio::const_buffer buffer, boost::system::error_code& ec,
                             std::size_t& n) {
  const auto* data = static_cast<const unsigned char*>(buffer.data());
  return transfer(
      buffer.size(), write_error_,
      [&](std::size_t at, int max) { return SSL_write(ssl_.get(), data + at, max); }, ec, n);
}

TlsWant TlsSocket::try_shutdown(boost::system::error_code& ec) {
  ERR_clear_error();
  errno = 0;
  int result = SSL_shutdown(ssl_.get());
  if (result == 0) {
    // Our close_notify is out: the second call waits for the peer's.
    ERR_clear_error();
    errno = 0;
    result = SSL_shutdown(ssl_.get());
  }
  if (result == 1) {
    return TlsWant::done;
  }
  if (result == 0) {
    return TlsWant::read;
  }
  return failed(result, ec);
}

}  // namespace faultline::fake_server::detail
