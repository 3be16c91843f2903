#include "detail/connection.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

#include <memory>

#include "detail/connection_impl.h"
#include "detail/h1_session.h"
#include "detail/h2_session.h"
#include "detail/protocol_choice.h"

namespace faultline::fake_server::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

template <class Stream>
Connection<Stream>::Connection(ServerContext& context, const ListenerState& listener, Stream stream)
    : context_(context),
      listener_(listener),
      stream_(std::move(stream)),
      stats_(context.stats.open_connection(listener.name, kTls)),
      limits_(context.scenarios.current()->limits),
      phase_timer_(stream_.get_executor()) {}

template <class Stream>
void Connection<Stream>::start() {
  auto weak = this->weak_from_this();
  context_.live.add(
      stats_->id(),
      [weak] {
        if (auto self = weak.lock()) {
          asio::post(self->executor(), [self] { self->stop(); });
        }
      },
      listener_.name,
      [weak](std::shared_ptr<const AdminAction> action) {
        if (auto self = weak.lock()) {
          asio::post(self->executor(), [self, action = std::move(action)] {
            self->run_step([&] {
              if (self->session_) {
                self->session_->apply_admin(*action);
              }
            });
          });
        }
      });
  FAULTLINE_LOG(debug, tag(), "accepted on " << listener_.name);
  update_phase();  // the header timeout runs from here
  if constexpr (kTls) {
    const std::uint32_t delay = listener_.handshake_delay_ms.load();
    if (delay > 0) {
      FAULTLINE_LOG(debug, tag(), "TLS handshake delayed " << delay << " ms");
      run_after(std::chrono::milliseconds(delay), [this] { do_handshake(); });
    } else {
      do_handshake();
    }
  } else {
    do_read();
  }
}

template <class Stream>
void Connection<Stream>::signal_write() {
  if (writing_ || write_posted_ || closed_) {
    return;
  }
  write_posted_ = true;
  asio::post(executor(), [self = this->shared_from_this()] {
    self->write_posted_ = false;
    self->do_write();
  });
}

template <class Stream>
void Connection<Stream>::run_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (closed_ || draining_) {
    return;
  }
  if (delay.count() <= 0) {
    asio::post(executor(),
               [self = this->shared_from_this(), fn = std::move(fn)] { self->run_step(fn); });
    return;
  }
  const std::uint64_t id = next_timer_++;
  auto timer = std::make_unique<asio::steady_timer>(executor(), delay);
  asio::steady_timer& ref = *timer;
  timers_.emplace(id, std::move(timer));
  ref.async_wait([self = this->shared_from_this(), id,
                  fn = std::move(fn)](const boost::system::error_code& ec) {
    self->timers_.erase(id);
    if (!ec) {
      self->run_step(fn);
    }
  });
}

template <class Stream>
void Connection<Stream>::close_transport(scenarios::CloseMode mode, bool after_flush,
                                         std::string reason) {
  if (closed_ || draining_ || pending_close_ || black_holed_) {
    return;
  }
  if (mode == scenarios::CloseMode::black_hole) {
    enter_black_hole(reason);
    return;
  }
  pending_close_ = mode;
  close_reason_ = std::move(reason);
  if (!after_flush) {
    finish_close();
    return;
  }
  // Possibly called from inside produce_output: the write loop picks it up.
  signal_write();
}

template <class Stream>
std::function<void()> Connection<Stream>::make_waker(std::function<void()> fn) {
  return [weak = this->weak_from_this(), fn = std::move(fn)] {
    auto self = weak.lock();
    if (!self) {
      return;
    }
    asio::post(self->executor(), [self, fn] { self->run_step(fn); });
  };
}

template <class Stream>
template <class Fn>
void Connection<Stream>::run_step(const Fn& fn) {
  if (closed_ || draining_ || black_holed_) {
    return;
  }
  guarded(fn);
  after_activity();
}

template <class Stream>
void Connection<Stream>::do_handshake() {
  run_after(kHandshakeTimeout, [this] {
    if (!session_) {
      close("tls handshake timeout");
    }
  });
  stream_.async_handshake(asio::ssl::stream_base::server,
                          [self = this->shared_from_this()](const boost::system::error_code& ec) {
                            self->on_handshake(ec);
                          });
}

template <class Stream>
void Connection<Stream>::on_handshake(const boost::system::error_code& ec) {
  if constexpr (kTls) {
    record_tls_socket_bytes(stream_.native_handle(), *stats_);
    if (ec) {
      FAULTLINE_LOG(debug, tag(), "TLS handshake failed: " << ec.message());
      close("tls handshake failed: " + ec.message());
      return;
    }
    const TlsChoice choice = tls_choice(stream_.native_handle(), listener_.alpn.load());
    stats_->set_protocol(choice.alpn, choice.h2 ? "h2" : "http/1.1", choice.version);
    if (!guarded([&] { begin_session(choice.h2); })) {
      return;
    }
    do_read();
  }
}

template <class Stream>
void Connection<Stream>::begin_session(bool h2) {
  SessionEnv env{context_, *this, stats_, listener_.name};
  if (h2) {
    session_ = std::make_unique<H2Session>(std::move(env));
  } else {
    session_ = std::make_unique<H1Session>(std::move(env));
  }
  FAULTLINE_LOG(debug, tag(), (h2 ? "h2" : "http/1.1") << " session");
  session_->start();
}

template <class Stream>
void Connection<Stream>::sniff(std::span<const std::uint8_t> bytes) {
  sniffed_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::optional<bool> h2c = starts_with_h2_preface(sniffed_);
  if (!h2c) {
    return;  // not enough yet
  }
  stats_->set_protocol("", *h2c ? "h2c" : "http/1.1", "");
  begin_session(*h2c);
  const std::string first = std::move(sniffed_);
  session_->on_input({reinterpret_cast<const std::uint8_t*>(first.data()), first.size()});
}

template <class Stream>
void Connection<Stream>::do_read() {
  reading_ = true;
  stream_.async_read_some(asio::buffer(read_buffer_), [self = this->shared_from_this()](
                                                          const boost::system::error_code& ec,
                                                          std::size_t n) { self->on_read(ec, n); });
}

template <class Stream>
void Connection<Stream>::on_read(const boost::system::error_code& ec, std::size_t n) {
  reading_ = false;
  if (closed_) {
    return;
  }
  if (draining_) {
    continue_drain();  // the read that was pending when the drain began
    return;
  }
  count_bytes(n, 0);
  if (black_holed_) {
    // Read and dropped; the client closing its side is the only way out.
    if (ec) {
      close(close_reason_ + "; then the peer closed");
      return;
    }
    do_read();
    return;
  }
  if (ec && closing_) {
    // Our close_notify is out and the peer has ended (its close_notify or a bare FIN):
    // nothing more to wait for.
    close(close_reason_);
    return;
  }
  if (ec) {
    if (!session_) {
      close(ec == asio::error::eof ? "peer closed" : "read error: " + ec.message());
      return;
    }
    guarded([&] { session_->on_peer_closed(); });
    peer_gone_ = true;
    close_reason_ = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated
                        ? "peer closed"
                        : "read error: " + ec.message();
    after_activity();
    return;
  }
  const std::span<const std::uint8_t> bytes(read_buffer_.data(), n);
  guarded([&] {
    if (session_) {
      session_->on_input(bytes);
    } else {
      sniff(bytes);
    }
  });
  after_activity();
  if (closed_ || (session_ && session_->should_close())) {
    return;
  }
  if (session_ && !session_->wants_input()) {
    // HTTP/1.1 read-ahead at its bound: after_activity resumes. No read is pending
    // now, so the connection keeps itself alive meanwhile.
    read_paused_ = true;
    paused_self_ = this->shared_from_this();
    return;
  }
  do_read();
}

template <class Stream>
void Connection<Stream>::maybe_resume_read() {
  if (!read_paused_ || closed_ || draining_ || !session_ || !session_->wants_input() ||
      session_->should_close()) {
    return;
  }
  read_paused_ = false;
  do_read();             // holds the connection from here
  paused_self_.reset();  // not the last reference: do_read's handler has one
}

template <class Stream>
void Connection<Stream>::update_phase() {
  const SessionPhase now = session_ ? session_->phase() : SessionPhase::awaiting_head;
  if (phase_ && *phase_ == now) {
    return;
  }
  phase_ = now;
  ++phase_generation_;
  const std::uint32_t ms = now == SessionPhase::awaiting_head ? limits_.header_timeout_ms
                           : now == SessionPhase::idle        ? limits_.idle_timeout_ms
                                                              : 0;
  if (ms == 0) {
    phase_timer_.cancel();
    return;
  }
  phase_timer_.expires_after(std::chrono::milliseconds(ms));
  phase_timer_.async_wait([self = this->shared_from_this(),
                           generation = phase_generation_](const boost::system::error_code& ec) {
    if (!ec && !self->closed_ && generation == self->phase_generation_) {
      self->on_phase_timeout();
    }
  });
}

template <class Stream>
void Connection<Stream>::on_phase_timeout() {
  if (*phase_ == SessionPhase::awaiting_head) {
    FAULTLINE_LOG(debug, tag(), "header timeout: closing");
    stats_->count_guard("header_timeout");
    close("header timeout");
    return;
  }
  FAULTLINE_LOG(debug, tag(), "idle timeout: closing");
  stats_->count_guard("idle_timeout");
  close_reason_ = "idle timeout";
  if (!guarded([&] { session_->on_idle_timeout(); })) {
    return;
  }
  // The goodbye (GOAWAY) is flushed, then the connection closes; a peer that does not
  // read it is not waited for beyond one more idle period.
  run_after(std::chrono::milliseconds(limits_.idle_timeout_ms), [this] { close("idle timeout"); });
  after_activity();
}

template <class Stream>
void Connection<Stream>::after_activity() {
  if (closed_ || draining_ || black_holed_) {
    return;
  }
  if (!writing_) {
    do_write();
  }
  if (closed_) {
    return;
  }
  update_phase();
  maybe_resume_read();
}

template <class Stream>
void Connection<Stream>::do_write() {
  if (writing_ || closed_ || draining_ || !session_ || black_holed_) {
    return;
  }
  write_buffer_.clear();
  // After a close fault the session only flushes what it produced before it.
  if (!guarded([&] { session_->produce_output(write_buffer_, kWriteCoalesceBytes); })) {
    return;
  }
  if (write_buffer_.empty()) {
    if (pending_close_) {
      finish_close();
    } else if (session_->should_close()) {
      close_gracefully(close_reason_.empty() ? "closed by server" : close_reason_);
    } else if (peer_gone_) {
      close(close_reason_);
    }
    return;
  }
  writing_ = true;
  asio::async_write(stream_, asio::buffer(write_buffer_),
                    [self = this->shared_from_this()](const boost::system::error_code& ec,
                                                      std::size_t n) { self->on_write(ec, n); });
}

template <class Stream>
void Connection<Stream>::on_write(const boost::system::error_code& ec, std::size_t n) {
  writing_ = false;
  count_bytes(0, n);
  if (closed_) {
    return;
  }
  if (ec) {
    close("write error: " + ec.message());
    return;
  }
  do_write();
  if (!closed_) {
    maybe_resume_read();
  }
}

template <class Stream>
void Connection<Stream>::count_bytes(std::size_t in, std::size_t out) {
  if constexpr (kTls) {
    record_tls_socket_bytes(stream_.native_handle(), *stats_);
  } else {
    if (in != 0 || out != 0) {
      stats_->add_bytes(in, out);
    }
  }
}

// The members above that connection_close.cpp calls, for both kinds of connection (the
// rest are instantiated by their use here; connection_close.cpp instantiates its own).
template void Connection<tcp::socket>::run_after(std::chrono::milliseconds, std::function<void()>);
template void Connection<tcp::socket>::do_read();
template void Connection<tcp::socket>::count_bytes(std::size_t, std::size_t);
template void Connection<tcp::socket>::after_activity();
template void Connection<TlsStream>::run_after(std::chrono::milliseconds, std::function<void()>);
template void Connection<TlsStream>::do_read();
template void Connection<TlsStream>::count_bytes(std::size_t, std::size_t);
template void Connection<TlsStream>::after_activity();

namespace {

/** Starts a connection on its own strand (the accept handler runs on the acceptor's). */
template <class Stream>
void begin(std::shared_ptr<Connection<Stream>> connection) {
  auto executor = connection->executor();
  asio::dispatch(executor, [connection = std::move(connection)] { connection->start(); });
}

}  // namespace

void start_plain_connection(ServerContext& context, const ListenerState& listener,
                            tcp::socket socket) {
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  begin(std::make_shared<Connection<tcp::socket>>(context, listener, std::move(socket)));
}

void start_tls_connection(ServerContext& context, const ListenerState& listener, tcp::socket socket,
                          asio::ssl::context& tls) {
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  try {
    TlsStream stream(std::move(socket), tls);
    begin(std::make_shared<Connection<TlsStream>>(context, listener, std::move(stream)));
  } catch (const std::exception& e) {
    // Out of memory in OpenSSL, or a socket that is gone: this connection only.
    FAULTLINE_LOG(warn, (LogTag{"listener"}), "TLS connection not started: " << e.what());
  }
}

}  // namespace faultline::fake_server::detail
