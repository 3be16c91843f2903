// The production HTTP/2 client session: TCP + TLS (ALPN h2,http/1.1) + nghttp2.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "detail/defects.h"
#include "detail/session.h"
#include "faultline/transport/options.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace faultline::transport::detail {

/** What every h2 session of a Client shares. */
struct H2SessionConfig {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds ping_interval{0};
  bool verify_peer = true;
  /** Test-only defects (detail/defects.h); empty in production. Those of a session:
      ignore_server_stream_limit (take streams before the server's first SETTINGS, without
      nghttp2's own cap, so the excess reaches the wire), close_on_goaway,
      fatal_late_frames, fifo_response_matching. */
  DefectSet defects;
  std::function<void(LogLevel, std::string_view)> log;  ///< may be empty
  LogLevel log_level = LogLevel::info;
};

/** A session to `origin` on `io`, reporting to `events`. Call start() to connect. */
[[nodiscard]] std::unique_ptr<Session> make_h2_session(boost::asio::io_context& io,
                                                       boost::asio::ssl::context& tls,
                                                       const H2SessionConfig& config,
                                                       const Url& origin, SessionId id,
                                                       SessionEvents& events);

}  // namespace faultline::transport::detail
