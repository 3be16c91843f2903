#include "detail/connection.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "detail/h1_session.h"
#include "detail/h2_session.h"
#include "detail/input_drain.h"
#include "detail/log.h"
#include "detail/memory_trim.h"
#include "detail/protocol_choice.h"
#include "detail/server_limits.h"

namespace faultline::fake_server::detail {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;

/** One accepted socket and the session on it. Owns itself (shared_from_this); every
    handler runs on the socket's strand. */
template <class Stream>
class Connection final : public SessionHost,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Connection(ServerContext& context, const ListenerState& listener, Stream stream)
      : context_(context),
        listener_(listener),
        stream_(std::move(stream)),
        stats_(context.stats.open_connection(listener.name, kTls)),
        limits_(context.scenarios.current()->limits),
        phase_timer_(stream_.get_executor()) {}

  void start() {
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

  [[nodiscard]] auto executor() { return stream_.get_executor(); }

  // SessionHost
  void signal_write() override {
    if (writing_ || write_posted_ || closed_) {
      return;
    }
    write_posted_ = true;
    asio::post(executor(), [self = this->shared_from_this()] {
      self->write_posted_ = false;
      self->do_write();
    });
  }

  void run_after(std::chrono::milliseconds delay, std::function<void()> fn) override {
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

  void close_transport(scenarios::CloseMode mode, bool after_flush, std::string reason) override {
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

  std::function<void()> make_waker(std::function<void()> fn) override {
    return [weak = this->weak_from_this(), fn = std::move(fn)] {
      auto self = weak.lock();
      if (!self) {
        return;
      }
      asio::post(self->executor(), [self, fn] { self->run_step(fn); });
    };
  }

 private:
  /** A timer's, a waker's or an admin action's step: not once the session is done. */
  template <class Fn>
  void run_step(const Fn& fn) {
    if (closed_ || draining_ || black_holed_) {
      return;
    }
    guarded(fn);
    after_activity();
  }

  [[nodiscard]] LogTag tag() const { return LogTag{"conn", stats_->id()}; }
  [[nodiscard]] tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void do_handshake() {
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

  void on_handshake(const boost::system::error_code& ec) {
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

  void begin_session(bool h2) {
    SessionEnv env{context_, *this, stats_, listener_.name};
    if (h2) {
      session_ = std::make_unique<H2Session>(std::move(env));
    } else {
      session_ = std::make_unique<H1Session>(std::move(env));
    }
    FAULTLINE_LOG(debug, tag(), (h2 ? "h2" : "http/1.1") << " session");
    session_->start();
  }

  /** Cleartext: decides h2c (the preface) or HTTP/1.1 from the first bytes. */
  void sniff(std::span<const std::uint8_t> bytes) {
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

  void do_read() {
    reading_ = true;
    stream_.async_read_some(
        asio::buffer(read_buffer_),
        [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->on_read(ec, n);
        });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
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

  /** Resumes a read paused at the session's input bound, once it wants input again. */
  void maybe_resume_read() {
    if (!read_paused_ || closed_ || draining_ || !session_ || !session_->wants_input() ||
        session_->should_close()) {
      return;
    }
    read_paused_ = false;
    do_read();             // holds the connection from here
    paused_self_.reset();  // not the last reference: do_read's handler has one
  }

  /** Arms the timeout of the phase the session is in (scenario limits), when it changed. */
  void update_phase() {
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

  void on_phase_timeout() {
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
    run_after(std::chrono::milliseconds(limits_.idle_timeout_ms),
              [this] { close("idle timeout"); });
    after_activity();
  }

  /** After the session did something: flush its output, close when it is done. */
  void after_activity() {
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

  void do_write() {
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

  void on_write(const boost::system::error_code& ec, std::size_t n) {
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

  void count_bytes(std::size_t in, std::size_t out) {
    if constexpr (kTls) {
      record_tls_socket_bytes(stream_.native_handle(), *stats_);
    } else {
      if (in != 0 || out != 0) {
        stats_->add_bytes(in, out);
      }
    }
  }

  void stop() {
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

  /** CloseMode::black_hole: nothing more is written or processed, no timer of the
      session runs, and the socket stays open; reads go on only to notice the peer's
      close. A read paused at the session's input bound resumes for that. */
  void enter_black_hole(const std::string& reason) {
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

  /** A close fault's way out: TCP RST, FIN, or (TLS) close_notify then FIN. */
  void finish_close() {
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

  /** The session is done and its last bytes (a GOAWAY, a response with Connection: close)
      are written: the end of output goes out (TLS close_notify, then FIN), then the
      input is read away (InputDrain, bounded) before the close. */
  void close_gracefully(const std::string& reason) {
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
    phase_timer_.async_wait([self = this->shared_from_this(), generation = ++phase_generation_](
                                const boost::system::error_code& ec) {
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

  /** TLS: close_notify first (the shutdown also reads until the peer's close_notify or
      its first application data), then FIN and the drain. Cleartext: FIN and the drain. */
  void continue_drain() {
    if constexpr (kTls) {
      stream_.async_shutdown(
          [self = this->shared_from_this()](const boost::system::error_code& ec) {
            self->on_tls_shutdown(ec);
          });
    } else {
      drain_input();
    }
  }

  void on_tls_shutdown(const boost::system::error_code& ec) {
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

  void drain_input() {
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

  void close(const std::string& reason) {
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

  /** Drops the self-reference of a paused read, later on the strand (the caller may be
      running on this object). */
  void release_paused_self() {
    if (paused_self_) {
      asio::post(executor(), [self = std::move(paused_self_)] {});
    }
  }

  void finish_stats(const std::string& reason) {
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

  /** Runs one step of the session. An exception (a bug, or input the code did not
      expect) must cost this connection only: it is logged and the connection closed.
      Returns false when that happened. */
  template <class Fn>
  bool guarded(Fn&& fn) {
    try {
      fn();
      return true;
    } catch (const std::exception& e) {
      FAULTLINE_LOG(error, tag(), "internal error: " << e.what() << "; closing the connection");
      close(std::string("internal error: ") + e.what());
    } catch (...) {
      FAULTLINE_LOG(error, tag(), "internal error (unknown exception); closing the connection");
      close("internal error");
    }
    return false;
  }

  ServerContext& context_;
  const ListenerState& listener_;
  Stream stream_;
  std::shared_ptr<ConnectionStats> stats_;
  std::unique_ptr<ProtocolSession> session_;
  std::array<std::uint8_t, kReadBufferBytes> read_buffer_;
  std::vector<std::uint8_t> write_buffer_;
  std::string sniffed_;
  std::string close_reason_;
  bool writing_ = false;
  bool write_posted_ = false;
  bool closed_ = false;
  bool peer_gone_ = false;
  bool closing_ = false;      ///< close_notify sent, waiting briefly for the peer's
  bool reading_ = false;      ///< a read is in flight
  bool draining_ = false;     ///< the session is done: reading away input before the close
  bool black_holed_ = false;  ///< CloseMode::black_hole: silent, open until the peer closes
  std::optional<scenarios::CloseMode> pending_close_;
  const scenarios::Limits limits_;  ///< the scenario's, as the connection was accepted
  asio::steady_timer phase_timer_;  ///< header or idle timeout (update_phase)
  std::optional<SessionPhase> phase_;
  std::uint64_t phase_generation_ = 0;
  bool read_paused_ = false;                 ///< the session's input is at its bound
  std::shared_ptr<Connection> paused_self_;  ///< alive while no read is pending
  std::uint64_t next_timer_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<asio::steady_timer>> timers_;
  InputDrain drain_{socket(), read_buffer_};  ///< after the goodbye (close_gracefully)
};

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
  begin(std::make_shared<Connection<TlsStream>>(context, listener,
                                                TlsStream(std::move(socket), tls)));
}

}  // namespace faultline::fake_server::detail
