// The Connection class template behind connection.h: its members are defined in
// connection.cpp (the handshake, reads, writes and timeouts) and connection_close.cpp
// (the ways out: stop, close faults, the graceful close with its drain, the close).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "detail/input_drain.h"
#include "detail/log.h"
#include "detail/server_context.h"
#include "detail/server_limits.h"
#include "detail/session.h"
#include "detail/tls_socket.h"

namespace faultline::fake_server::detail {

using TlsStream = TlsSocket;

/** One accepted socket and the session on it. Owns itself (shared_from_this); every
    handler runs on the socket's strand. */
template <class Stream>
class Connection final : public SessionHost,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Connection(ServerContext& context, const ListenerState& listener, Stream stream);

  void start();

  [[nodiscard]] auto executor() { return stream_.get_executor(); }

  // SessionHost
  void signal_write() override;
  void run_after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void close_transport(scenarios::CloseMode mode, bool after_flush, std::string reason) override;
  std::function<void()> make_waker(std::function<void()> fn) override;

 private:
  using tcp = boost::asio::ip::tcp;

  /** A timer's, a waker's or an admin action's step: not once the session is done. */
  template <class Fn>
  void run_step(const Fn& fn);

  [[nodiscard]] LogTag tag() const { return LogTag{"conn", stats_->id()}; }
  [[nodiscard]] tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void do_handshake();
  void on_handshake(const boost::system::error_code& ec);
  void begin_session(bool h2);
  /** Cleartext: decides h2c (the preface) or HTTP/1.1 from the first bytes. */
  void sniff(std::span<const std::uint8_t> bytes);
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  /** Resumes a read paused at the session's input bound, once it wants input again. */
  void maybe_resume_read();
  /** Arms the timeout of the phase the session is in (scenario limits), when it changed. */
  void update_phase();
  void on_phase_timeout();
  /** After the session did something: flush its output, close when it is done. */
  void after_activity();
  void do_write();
  void on_write(const boost::system::error_code& ec, std::size_t n);
  void count_bytes(std::size_t in, std::size_t out);

  // connection_close.cpp
  void stop();
  /** CloseMode::black_hole: nothing more is written or processed, no timer of the
      session runs, and the socket stays open; reads go on only to notice the peer's
      close. A read paused at the session's input bound resumes for that. */
  void enter_black_hole(const std::string& reason);
  /** A close fault's way out: TCP RST, FIN, or (TLS) close_notify then FIN. */
  void finish_close();
  /** The session is done and its last bytes (a GOAWAY, a response with Connection: close)
      are written: the end of output goes out (TLS close_notify, then FIN), then the
      input is read away (InputDrain, bounded) before the close. */
  void close_gracefully(const std::string& reason);
  /** TLS: close_notify first (the shutdown also reads until the peer's close_notify or
      its first application data), then FIN and the drain. Cleartext: FIN and the drain. */
  void continue_drain();
  void on_tls_shutdown(const boost::system::error_code& ec);
  void drain_input();
  void close(const std::string& reason);
  /** Drops the self-reference of a paused read, later on the strand (the caller may be
      running on this object). */
  void release_paused_self();
  void finish_stats(const std::string& reason);

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
  const scenarios::Limits limits_;         ///< the scenario's, as the connection was accepted
  boost::asio::steady_timer phase_timer_;  ///< header or idle timeout (update_phase)
  std::optional<SessionPhase> phase_;
  std::uint64_t phase_generation_ = 0;
  bool read_paused_ = false;                 ///< the session's input is at its bound
  std::shared_ptr<Connection> paused_self_;  ///< alive while no read is pending
  std::uint64_t next_timer_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<boost::asio::steady_timer>> timers_;
  InputDrain drain_{socket(), read_buffer_};  ///< after the goodbye (close_gracefully)
};

}  // namespace faultline::fake_server::detail
