#include "detail/input_drain.h"

#include <boost/asio/buffer.hpp>

#include <array>
#include <utility>

namespace faultline::fake_server::detail {

InputDrain::InputDrain(boost::asio::ip::tcp::socket& socket, std::span<std::uint8_t> buffer)
    : socket_(socket), buffer_(buffer), timer_(socket.get_executor()) {}

void InputDrain::start(std::shared_ptr<void> owner, std::size_t max_bytes,
                       std::chrono::steady_clock::duration deadline, Done done) {
  max_bytes_ = max_bytes;
  drained_ = 0;
  done_ = std::move(done);
  timer_.expires_after(deadline);
  timer_.async_wait([this, owner](const boost::system::error_code& ec) {
    if (!ec) {
      finish(End::deadline);
    }
  });
  read_more(std::move(owner));
}

void InputDrain::cancel() {
  done_ = nullptr;
  timer_.cancel();
}

void InputDrain::read_more(std::shared_ptr<void> owner) {
  socket_.async_read_some(
      boost::asio::buffer(buffer_.data(), buffer_.size()),
      [this, owner](const boost::system::error_code& ec, std::size_t n) mutable {
        if (!done_) {
          return;  // finished or cancelled meanwhile
        }
        drained_ += n;
        if (ec) {
          finish(End::peer_closed);
        } else if (drained_ >= max_bytes_) {
          finish(End::bound);
        } else {
          read_more(std::move(owner));
        }
      });
}

void InputDrain::finish(End end) {
  Done done = std::exchange(done_, nullptr);
  timer_.cancel();
  if (done) {
    done(end, drained_);
  }
}

void discard_available_input(boost::asio::ip::tcp::socket& socket) {
  std::array<char, 16384> sink{};
  boost::system::error_code ec;
  for (int i = 0; i < 64; ++i) {
    const std::size_t ready = socket.available(ec);
    if (ec || ready == 0) {
      return;
    }
    socket.read_some(boost::asio::buffer(sink), ec);
    if (ec) {
      return;
    }
  }
}

std::string_view to_string(InputDrain::End end) {
  switch (end) {
    case InputDrain::End::peer_closed:
      return "the peer closed";
    case InputDrain::End::bound:
      return "the drain bound";
    case InputDrain::End::deadline:
      return "the drain deadline";
  }
  return "?";
}

}  // namespace faultline::fake_server::detail
