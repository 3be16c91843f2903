// The end of a connection that said goodbye: its input read away until the peer closes.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

namespace faultline::fake_server::detail {

/** Reads a half-closed socket's input away after the connection's last bytes (a GOAWAY,
    a closing response) went out, until the peer closes too, `max_bytes` were read or
    `deadline` passed. Closing a socket with input unread answers with a TCP reset, and
    the reset can destroy the goodbye at the peer before it is read (RFC 9112 section
    9.6, RFC 9113 section 6.8).

    Owned by the connection, used on its strand only; every pending handler keeps the
    `owner` given to start() alive. */
class InputDrain {
 public:
  /** Why the drain ended: handed to the callback once. */
  enum class End {
    peer_closed,  ///< EOF or a read error: nothing more will arrive
    bound,        ///< max_bytes read; the peer still writes
    deadline,     ///< the deadline passed first
  };
  using Done = std::function<void(End, std::size_t drained)>;

  InputDrain(boost::asio::ip::tcp::socket& socket, std::span<std::uint8_t> buffer);

  /** Starts reading away; `done` runs once, on the socket's executor, unless cancel()
      came first. */
  void start(std::shared_ptr<void> owner, std::size_t max_bytes,
             std::chrono::steady_clock::duration deadline, Done done);

  /** The connection closes otherwise: `done` is not called, the timer lets go of the
      owner now (a pending read ends when the socket closes). */
  void cancel();

  [[nodiscard]] bool running() const { return static_cast<bool>(done_); }

 private:
  void read_more(std::shared_ptr<void> owner);
  void finish(End end);

  boost::asio::ip::tcp::socket& socket_;
  std::span<std::uint8_t> buffer_;
  boost::asio::steady_timer timer_;
  std::size_t max_bytes_ = 0;
  std::size_t drained_ = 0;
  Done done_;
};

[[nodiscard]] std::string_view to_string(InputDrain::End end);

/** Reads away what has arrived and nobody will read (bounded: 64 x 16 KiB; never
    blocks), for a close that does not drain: less unread input, fewer resets. */
void discard_available_input(boost::asio::ip::tcp::socket& socket);

}  // namespace faultline::fake_server::detail
