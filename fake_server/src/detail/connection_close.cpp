// Connection's ways out (connection_impl.h): the server's stop, a black hole, a close
// fault's RST or FIN, the graceful close (close_notify, FIN, the input drained), the close.
#include <boost/asio/post.hpp>

#include "detail/connection_impl.h"
#include "detail/memory_trim.h"

namespace faultline::fake_server::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

template <class Stream>
void Connection<Stream>::stop() {
  if (closed_) {
    return;
  }
  if (draining_) {
    close(close_reason_);  // its goodbye is out already
    return;
  }
  if (!session_ || black_holed_) {
    close("server stopped");
    return;
  }
  close_reason_ = "server stopped";
  guarded([&] { session_->shutdown(); });
  after_activity();
}

template <class Stream>
void Connection<Stream>::enter_black_hole(const std::string& reason) {
  black_holed_ = true;
  close_reason_ = "black hole (" + reason + ")";
  FAULTLINE_LOG(debug, tag(), "black-holed: " << reason);
  stats_->count_guard("black_hole");
  timers_.clear();
  phase_timer_.cancel();
  if (read_paused_) {
    read_paused_ = false;
    do_read();
    paused_self_.reset();
  }
}

template <class Stream>
void Connection<Stream>::finish_close() {
  if (closed_ || closing_) {
    return;
  }
  const scenarios::CloseMode mode = *pending_close_;
  const std::string reason = close_reason_;
  if (mode == scenarios::CloseMode::reset) {
    boost::system::error_code ignored;
    socket().set_option(tcp::socket::linger(true, 0), ignored);
    closed_ = true;
    FAULTLINE_LOG(debug, tag(), "closed (TCP reset): " << reason);
    timers_.clear();
    phase_timer_.cancel();
    release_paused_self();
    socket().close(ignored);
    finish_stats(reason);
    return;
  }
  if constexpr (kTls) {
    if (mode == scenarios::CloseMode::close_notify) {
      // close_notify goes out; the peer's answer is not awaited for long.
      closing_ = true;
      run_after(kCloseNotifyWait, [this, reason] { close(reason); });
      stream_.async_shutdown([self = this->shared_from_this(),
                              reason](const boost::system::error_code&) { self->close(reason); });
      return;
    }
  }
  close(reason);
}

template <class Stream>
void Connection<Stream>::close_gracefully(const std::string& reason) {
  if (closed_ || draining_) {
    return;
  }
  draining_ = true;
  close_reason_ = reason;
  FAULTLINE_LOG(debug, tag(), "draining before the close: " << reason);
  timers_.clear();
  read_paused_ = false;
  release_paused_self();
  // The whole goodbye is bounded: a TLS shutdown would wait for the peer forever.
  phase_timer_.expires_after(kDrainTimeout);
  phase_timer_.async_wait([self = this->shared_from_this(),
                           generation = ++phase_generation_](const boost::system::error_code& ec) {
    if (!ec && !self->closed_ && generation == self->phase_generation_) {
      self->close(self->close_reason_);
    }
  });
  if (reading_) {
    // The drain reads the socket itself (and TLS shuts down): the pending read ends
    // first, on_read goes on with the drain.
    boost::system::error_code ignored;
    socket().cancel(ignored);
    return;
  }
  continue_drain();
}

template <class Stream>
void Connection<Stream>::continue_drain() {
  if constexpr (kTls) {
    stream_.async_shutdown([self = this->shared_from_this()](const boost::system::error_code& ec) {
      self->on_tls_shutdown(ec);
    });
  } else {
    drain_input();
  }
}

template <class Stream>
void Connection<Stream>::on_tls_shutdown(const boost::system::error_code& ec) {
  if (closed_) {
    return;
  }
  count_bytes(0, 0);
  if (!ec || ec == asio::error::eof) {
    close(close_reason_);  // the peer's close_notify, or its FIN: nothing more comes
    return;
  }
  drain_input();  // the peer sent more after our close_notify
}

template <class Stream>
void Connection<Stream>::drain_input() {
  boost::system::error_code ignored;
  socket().shutdown(tcp::socket::shutdown_send, ignored);
  drain_.start(this->shared_from_this(), kDrainBytes, kDrainTimeout,
               [this](InputDrain::End end, std::size_t drained) {
                 if constexpr (!kTls) {
                   count_bytes(drained, 0);
                 }
                 FAULTLINE_LOG(debug, tag(),
                               "drained " << drained << " bytes until " << to_string(end));
                 close(close_reason_);
               });
}

template <class Stream>
void Connection<Stream>::close(const std::string& reason) {
  if (closed_) {
    return;
  }
  closed_ = true;
  FAULTLINE_LOG(debug, tag(), "closed: " << reason);
  drain_.cancel();
  timers_.clear();
  phase_timer_.cancel();
  release_paused_self();
  boost::system::error_code ignored;
  discard_available_input(socket());
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
  finish_stats(reason);
}

template <class Stream>
void Connection<Stream>::release_paused_self() {
  if (paused_self_) {
    asio::post(executor(), [self = std::move(paused_self_)] {});
  }
}

template <class Stream>
void Connection<Stream>::finish_stats(const std::string& reason) {
  try {
    if (session_) {
      session_->on_closed(reason);
    } else {
      stats_->close(reason);
    }
  } catch (const std::exception& e) {
    FAULTLINE_LOG(error, tag(), "internal error while closing: " << e.what());
  }
  context_.live.remove(stats_->id());
  if (context_.live.size() == 0) {
    trim_after_last_close(executor(), context_.live);
  }
}

// The members above for both kinds of connection (connection.cpp instantiates the rest).
template void Connection<tcp::socket>::stop();
template void Connection<tcp::socket>::enter_black_hole(const std::string&);
template void Connection<tcp::socket>::finish_close();
template void Connection<tcp::socket>::close_gracefully(const std::string&);
template void Connection<tcp::socket>::continue_drain();
template void Connection<tcp::socket>::on_tls_shutdown(const boost::system::error_code&);
template void Connection<tcp::socket>::drain_input();
template void Connection<tcp::socket>::close(const std::string&);
template void Connection<tcp::socket>::release_paused_self();
template void Connection<tcp::socket>::finish_stats(const std::string&);
template void Connection<TlsStream>::stop();
template void Connection<TlsStream>::enter_black_hole(const std::string&);
template void Connection<TlsStream>::finish_close();
template void Connection<TlsStream>::close_gracefully(const std::string&);
template void Connection<TlsStream>::continue_drain();
template void Connection<TlsStream>::on_tls_shutdown(const boost::system::error_code&);
template void Connection<TlsStream>::drain_input();
template void Connection<TlsStream>::close(const std::string&);
template void Connection<TlsStream>::release_paused_self();
template void Connection<TlsStream>::finish_stats(const std::string&);

}  // namespace faultline::fake_server::detail
