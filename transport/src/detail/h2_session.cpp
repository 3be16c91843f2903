#include "detail/h2_session.h"

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
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
#include <deque>
#include <map>
#include <set>
#include <vector>

#include "detail/limits.h"
#include "detail/text.h"
#include "detail/tls_context.h"

namespace faultline::transport::detail {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

/** How long a closing session may take to flush its GOAWAY before the socket closes. */
constexpr std::chrono::seconds kCloseLinger{1};
/** Bytes of an HTTP/2 frame header (RFC 9113 4.1). */
constexpr std::size_t kFrameHeader = 9;

/** The socket and buffers, shared with every pending operation's handler so that they
    outlive the session when it is destroyed with operations in flight. */
struct Channel {
  Channel(asio::io_context& io, ssl::context& tls)
      : resolver(io), stream(io, tls), timer(io), ping(io), linger(io) {}

  void close() {
    error_code ignored;
    resolver.cancel();
    timer.cancel();
    ping.cancel();
    linger.cancel();
    stream.lowest_layer().close(ignored);
  }

  tcp::resolver resolver;
  ssl::stream<tcp::socket> stream;
  asio::steady_timer timer;   ///< connect timeout
  asio::steady_timer ping;    ///< keep-alive
  asio::steady_timer linger;  ///< bounded flush on close
  std::array<std::uint8_t, kReadBuffer> read_buffer{};
  std::vector<std::uint8_t> write_buffer;
  bool writing = false;
  bool close_after_write = false;
};

struct NgSessionDeleter {
  void operator()(nghttp2_session* s) const noexcept { nghttp2_session_del(s); }
};

/** One stream the pool submitted. */
struct Stream {
  std::shared_ptr<Exchange> exchange;
  std::uint32_t attempt = 0;
  int status = 0;
  Headers block;           ///< header block being received
  bool head_done = false;  ///< the final response head was delivered
  bool headers_sent = false;
  bool cancelled = false;
  bool rst_received = false;
  bool body_failed = false;
};

class H2Session;

/** The session itself. Owned (shared) by exactly one H2SessionHandle, i.e. the pool;
    asynchronous handlers hold a weak reference to it and a strong one to the Channel. */
class H2Session final : public std::enable_shared_from_this<H2Session> {
 public:
  H2Session(asio::io_context& io, ssl::context& tls, const H2SessionConfig& config,
            const Url& origin, SessionId id, SessionEvents& events)
      : io_(io),
        config_(config),
        origin_(origin),
        id_(id),
        events_(events),
        channel_(std::make_shared<Channel>(io, tls)) {}

  ~H2Session() { release_channel(); }

  void start();
  bool submit(const std::shared_ptr<Exchange>& exchange);
  void cancel(const Exchange& exchange);
  void close();

  // nghttp2 callbacks (through the forwarding functions below).
  int on_header(const nghttp2_frame* frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame* frame);
  int on_frame_send(const nghttp2_frame* frame);
  int on_data_chunk(std::int32_t stream_id, const std::uint8_t* data, std::size_t len);
  int on_stream_close(std::int32_t stream_id, std::uint32_t error_code);
  ssize_t on_read_body(std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                       std::uint32_t* flags);

 private:
  void on_resolved(const error_code& ec, const tcp::resolver::results_type& results);
  void on_connected(const error_code& ec);
  void on_handshake(const error_code& ec);
  void on_connect_timeout(const error_code& ec);
  void start_h2();
  void do_read();
  void on_read(const error_code& ec, std::size_t n);
  /** Feeds received bytes to nghttp2; false when the session failed. */
  bool receive(const std::uint8_t* data, std::size_t n);
  bool feed(const std::uint8_t* data, std::size_t n);
  [[nodiscard]] bool eager_streams() const noexcept {
    return config_.defects.has(kIgnoreServerStreamLimit);
  }
  /** (Defect fifo_response_matching) gives the response head arriving on `it` to the
      oldest stream still waiting for one, and that stream's request to `it`. */
  void match_oldest(std::map<std::int32_t, Stream>::iterator it);
  void signal_write();
  void do_write();
  void on_write(const error_code& ec);
  void arm_ping();
  void on_ping_timer(const error_code& ec);
  /** Ends the session: open streams end (unprocessed if never written), then the pool
      hears on_session_closed. */
  void fail(CloseReason reason, errc error, std::string detail);
  void finish_if_done();
  void release_channel();
  /** Reports queued events to the pool, outside any nghttp2 call. */
  void flush_events();
  void report(std::function<void()> event) { events_queue_.push_back(std::move(event)); }
  void report_stream_closed(Stream stream, Outcome outcome);
  void log(LogLevel level, std::int32_t stream, const std::string& text) const;

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
  SessionId id_;
  SessionEvents& events_;
  std::shared_ptr<Channel> channel_;
  std::unique_ptr<nghttp2_session, NgSessionDeleter> ng_;
  std::map<std::int32_t, Stream> streams_;
  std::deque<std::function<void()>> events_queue_;
  bool ready_ = false;
  bool dead_ = false;          ///< failed or finished; reports nothing more after the last flush
  bool owner_closed_ = false;  ///< close() was called: report nothing at all
  bool goaway_received_ = false;
  bool write_posted_ = false;
  bool flushing_ = false;
  bool ping_outstanding_ = false;
  // Defect state (fatal_late_frames, close_on_goaway); unused in production.
  std::set<std::int32_t> closed_ids_;
  std::array<std::uint8_t, kFrameHeader> frame_head_{};
  std::size_t frame_head_size_ = 0;
  std::size_t frame_payload_left_ = 0;
  bool close_for_goaway_ = false;
};

// ---- nghttp2 forwarding functions: cast user_data, call one member, contain exceptions.

H2Session& self_of(void* user_data) {
  return *static_cast<H2Session*>(user_data);
}

int cb_on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                 std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
                 void* user_data) {
  try {
    return self_of(user_data).on_header(frame, {reinterpret_cast<const char*>(name), namelen},
                                        {reinterpret_cast<const char*>(value), valuelen});
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int cb_on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  try {
    return self_of(user_data).on_frame_recv(frame);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int cb_on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  try {
    return self_of(user_data).on_frame_send(frame);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int cb_on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream_id,
                     const std::uint8_t* data, std::size_t len, void* user_data) {
  try {
    return self_of(user_data).on_data_chunk(stream_id, data, len);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int cb_on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                       void* user_data) {
  try {
    return self_of(user_data).on_stream_close(stream_id, error_code);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

ssize_t cb_read_body(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf,
                     std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                     void* user_data) {
  try {
    return self_of(user_data).on_read_body(stream_id, buf, length, flags);
  } catch (...) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
}

/** The callback table, built once. */
const nghttp2_session_callbacks* callbacks() {
  static const auto table = [] {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, cb_on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, cb_on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, cb_on_frame_send);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, cb_on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, cb_on_stream_close);
    return std::unique_ptr<nghttp2_session_callbacks, void (*)(nghttp2_session_callbacks*)>(
        cbs, nghttp2_session_callbacks_del);
  }();
  return table.get();
}

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

// ---- H2Session

void H2Session::log(LogLevel level, std::int32_t stream, const std::string& text) const {
  if (!config_.log || level < config_.log_level) {
    return;
  }
  std::string line = "h2 [conn=" + std::to_string(id_);
  if (stream != 0) {
    line += " stream=" + std::to_string(stream);
  }
  line += "] " + origin_.origin() + ": " + text;
  config_.log(level, line);
}

void H2Session::start() {
  channel_->timer.expires_after(config_.connect_timeout);
  channel_->timer.async_wait(bind(&H2Session::on_connect_timeout));
  channel_->resolver.async_resolve(origin_.bare_host(), std::to_string(origin_.port),
                                   bind(&H2Session::on_resolved));
}

void H2Session::on_connect_timeout(const error_code& ec) {
  if (ec || ready_ || dead_) {
    return;
  }
  fail(CloseReason::connect_failed, errc::connect_failed,
       "no h2 session within " + std::to_string(config_.connect_timeout.count()) + " ms");
  flush_events();
}

void H2Session::on_resolved(const error_code& ec, const tcp::resolver::results_type& results) {
  if (dead_) {
    return;
  }
  if (ec) {
    fail(CloseReason::connect_failed, errc::connect_failed,
         "resolve " + origin_.bare_host() + ": " + ec.message());
    flush_events();
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

void H2Session::on_connected(const error_code& ec) {
  if (dead_) {
    return;
  }
  if (ec) {
    fail(CloseReason::connect_failed, errc::connect_failed,
         "connect " + origin_.authority() + ": " + ec.message());
    flush_events();
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
  channel_->stream.async_handshake(ssl::stream_base::client, bind(&H2Session::on_handshake));
}

void H2Session::on_handshake(const error_code& ec) {
  if (dead_) {
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
    flush_events();
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
    flush_events();
    return;
  }
  start_h2();
}

void H2Session::start_h2() {
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  // We wait for the server's SETTINGS before the first stream; until then nghttp2 must
  // not assume more than the server may allow.
  nghttp2_option_set_peer_max_concurrent_streams(option, eager_streams() ? (1U << 31) - 1 : 100);
  nghttp2_session* raw = nullptr;
  const int rv = nghttp2_session_client_new2(&raw, callbacks(), this, option);
  nghttp2_option_del(option);
  if (rv != 0) {
    fail(CloseReason::protocol_error, errc::protocol_error, nghttp2_strerror(rv));
    flush_events();
    return;
  }
  ng_.reset(raw);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kStreamWindow)},
  };
  nghttp2_submit_settings(ng_.get(), NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(ng_.get(), NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  log(LogLevel::debug, 0, "h2 negotiated; waiting for SETTINGS");
  signal_write();
  do_read();
  if (eager_streams()) {
    ready_ = true;
    channel_->timer.cancel();
    report([this] { events_.on_session_ready(id_, UINT32_MAX); });
    flush_events();
  }
}

bool H2Session::submit(const std::shared_ptr<Exchange>& exchange) {
  if (dead_ || owner_closed_ || goaway_received_ || !ng_) {
    return false;
  }
  const auto& url = exchange->url;
  std::vector<std::pair<std::string, std::string>> fields;
  fields.reserve(exchange->headers.size() + 5);
  fields.emplace_back(":method", exchange->method);
  fields.emplace_back(":scheme", url.scheme);
  fields.emplace_back(":authority", url.authority());
  fields.emplace_back(":path", url.path_and_query);
  for (const auto& [name, value] : exchange->headers) {
    fields.emplace_back(to_lower(name), value);
  }
  const bool has_body = !exchange->body.empty();
  if (const auto length = exchange->body.length();
      length && (has_body || exchange->method == "POST" || exchange->method == "PUT" ||
                 exchange->method == "PATCH")) {
    fields.emplace_back("content-length", std::to_string(*length));
  }
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (auto& [name, value] : fields) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(name.data()),
                   reinterpret_cast<std::uint8_t*>(value.data()), name.size(), value.size(),
                   NGHTTP2_NV_FLAG_NONE});
  }
  nghttp2_data_provider provider{};
  provider.read_callback = cb_read_body;
  const auto stream_id = nghttp2_submit_request(ng_.get(), nullptr, nva.data(), nva.size(),
                                                has_body ? &provider : nullptr, nullptr);
  if (stream_id < 0) {
    log(LogLevel::warn, 0, std::string("submit failed: ") + nghttp2_strerror(stream_id));
    if (stream_id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
      // Out of stream ids: finish the open streams, then close.
      nghttp2_session_terminate_session(ng_.get(), NGHTTP2_NO_ERROR);
      signal_write();
    }
    return false;
  }
  exchange->placement.stream_id = stream_id;
  Stream stream;
  stream.exchange = exchange;
  stream.attempt = exchange->attempt;
  streams_.emplace(stream_id, std::move(stream));
  signal_write();
  return true;
}

void H2Session::cancel(const Exchange& exchange) {
  const auto it = streams_.find(exchange.placement.stream_id);
  if (it == streams_.end() || it->second.exchange.get() != &exchange || it->second.cancelled) {
    return;
  }
  it->second.cancelled = true;
  if (ng_ && !dead_) {
    nghttp2_submit_rst_stream(ng_.get(), NGHTTP2_FLAG_NONE, it->first, NGHTTP2_CANCEL);
    signal_write();
  }
}

void H2Session::close() {
  owner_closed_ = true;
  events_queue_.clear();
  if (ng_ && !dead_) {
    nghttp2_session_terminate_session(ng_.get(), NGHTTP2_NO_ERROR);
    signal_write();
  }
  dead_ = true;
  // The destructor (soon: the pool destroys retired sessions from the loop) flushes what
  // is buffered and closes the socket.
}

void H2Session::release_channel() {
  auto channel = channel_;
  if (!channel) {
    return;
  }
  channel->resolver.cancel();
  channel->timer.cancel();
  channel->ping.cancel();
  if (channel->writing) {
    // The write in flight owns the buffer; close once it completes.
    channel->close_after_write = true;
  } else {
    // Flush a final GOAWAY if one is pending (close() submitted it).
    channel->write_buffer.clear();
    while (ng_) {
      const std::uint8_t* data = nullptr;
      const auto n = nghttp2_session_mem_send(ng_.get(), &data);
      if (n <= 0) {
        break;
      }
      channel->write_buffer.insert(channel->write_buffer.end(), data, data + n);
    }
    if (channel->write_buffer.empty() || !channel->stream.lowest_layer().is_open()) {
      ng_.reset();
      channel->close();
      return;
    }
    channel->writing = true;
    channel->close_after_write = true;
    asio::async_write(channel->stream, asio::buffer(channel->write_buffer),
                      [channel](const error_code&, std::size_t) { channel->close(); });
  }
  // Nothing calls back into this session once nghttp2 is gone.
  ng_.reset();
  channel->linger.expires_after(kCloseLinger);
  channel->linger.async_wait([channel](const error_code& ec) {
    if (!ec) {
      channel->close();
    }
  });
}

void H2Session::do_read() {
  if (dead_) {
    return;
  }
  channel_->stream.async_read_some(asio::buffer(channel_->read_buffer), bind(&H2Session::on_read));
}

void H2Session::on_read(const error_code& ec, std::size_t n) {
  if (dead_) {
    return;
  }
  if (ec) {
    const bool eof = ec == asio::error::eof || ec == ssl::error::stream_truncated;
    fail(goaway_received_ && streams_.empty() ? CloseReason::goaway : CloseReason::peer_closed,
         errc::session_lost, eof ? "connection closed by the server" : "read: " + ec.message());
    flush_events();
    return;
  }
  if (!receive(channel_->read_buffer.data(), n)) {
    flush_events();
    return;
  }
  if (close_for_goaway_) {
    fail(CloseReason::goaway, errc::session_lost, "closed at once on GOAWAY");
    flush_events();
    return;
  }
  flush_events();
  if (dead_) {
    return;
  }
  signal_write();
  finish_if_done();
  do_read();
}

bool H2Session::feed(const std::uint8_t* data, std::size_t n) {
  const auto rv = nghttp2_session_mem_recv(ng_.get(), data, n);
  if (rv < 0) {
    fail(CloseReason::protocol_error, errc::protocol_error, nghttp2_strerror(static_cast<int>(rv)));
    return false;
  }
  return true;
}

bool H2Session::receive(const std::uint8_t* data, std::size_t n) {
  if (!config_.defects.has(kFatalLateFrames)) {
    return feed(data, n);
  }
  // Defect: frame by frame, so that each frame header is judged once nghttp2 has
  // processed every frame before it (and closed the streams those frames ended).
  std::size_t pos = 0;
  while (pos < n) {
    std::size_t take = 0;
    if (frame_payload_left_ > 0) {
      take = std::min(n - pos, frame_payload_left_);
      frame_payload_left_ -= take;
    } else {
      take = std::min(n - pos, kFrameHeader - frame_head_size_);
      std::copy_n(data + pos, take, frame_head_.begin() + frame_head_size_);
      frame_head_size_ += take;
    }
    if (!feed(data + pos, take)) {
      return false;
    }
    pos += take;
    if (frame_head_size_ < kFrameHeader) {
      continue;
    }
    frame_head_size_ = 0;
    const auto& h = frame_head_;
    frame_payload_left_ = (std::size_t{h[0]} << 16) | (std::size_t{h[1]} << 8) | h[2];
    const auto stream =
        static_cast<std::int32_t>((std::uint32_t{h[5]} & 0x7f) << 24 | std::uint32_t{h[6]} << 16 |
                                  std::uint32_t{h[7]} << 8 | h[8]);
    if ((h[3] == NGHTTP2_DATA || h[3] == NGHTTP2_HEADERS) && closed_ids_.count(stream) != 0) {
      fail(CloseReason::protocol_error, errc::protocol_error,
           "frame on closed stream " + std::to_string(stream));
      return false;
    }
  }
  return true;
}

void H2Session::signal_write() {
  if (write_posted_ || dead_ || !ng_) {
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

void H2Session::do_write() {
  if (dead_ || !ng_ || channel_->writing) {
    return;
  }
  auto& buffer = channel_->write_buffer;
  buffer.clear();
  while (buffer.size() < kWriteBatch) {
    const std::uint8_t* data = nullptr;
    const auto n = nghttp2_session_mem_send(ng_.get(), &data);
    if (n < 0) {
      fail(CloseReason::protocol_error, errc::protocol_error,
           nghttp2_strerror(static_cast<int>(n)));
      flush_events();
      return;
    }
    if (n == 0) {
      break;
    }
    buffer.insert(buffer.end(), data, data + n);
  }
  flush_events();
  if (dead_) {
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

void H2Session::on_write(const error_code& ec) {
  if (dead_) {
    return;
  }
  if (ec) {
    fail(CloseReason::peer_closed, errc::session_lost, "write: " + ec.message());
    flush_events();
    return;
  }
  do_write();
}

void H2Session::finish_if_done() {
  if (dead_ || !ng_ || channel_->writing) {
    return;
  }
  if (nghttp2_session_want_read(ng_.get()) == 0 && nghttp2_session_want_write(ng_.get()) == 0) {
    fail(goaway_received_ ? CloseReason::goaway : CloseReason::protocol_error, errc::session_lost,
         "session finished");
    flush_events();
  }
}

void H2Session::arm_ping() {
  if (config_.ping_interval.count() <= 0 || dead_) {
    return;
  }
  channel_->ping.expires_after(config_.ping_interval);
  channel_->ping.async_wait(bind(&H2Session::on_ping_timer));
}

void H2Session::on_ping_timer(const error_code& ec) {
  if (ec || dead_ || !ng_) {
    return;
  }
  if (ping_outstanding_) {
    fail(CloseReason::ping_timeout, errc::session_lost, "PING not acknowledged");
    flush_events();
    return;
  }
  ping_outstanding_ = true;
  nghttp2_submit_ping(ng_.get(), NGHTTP2_FLAG_NONE, nullptr);
  signal_write();
  arm_ping();
}

void H2Session::report_stream_closed(Stream stream, Outcome outcome) {
  report([this, exchange = std::move(stream.exchange), attempt = stream.attempt,
          outcome = std::move(outcome)]() mutable {
    events_.on_stream_closed(id_, std::move(exchange), attempt, std::move(outcome));
  });
}

void H2Session::fail(CloseReason reason, errc error, std::string detail) {
  if (dead_) {
    return;
  }
  dead_ = true;
  log(reason == CloseReason::goaway ? LogLevel::debug : LogLevel::info, 0,
      std::string("closing (") + to_string(reason) + "): " + detail);
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : streams) {
    Outcome outcome;
    if (stream.cancelled) {
      outcome = Outcome::cancelled_by_us();
    } else if (!stream.headers_sent) {
      outcome = Outcome::unprocessed_because(
          errc::session_lost, "connection closed before the request was sent", false);
    } else {
      outcome = Outcome::failed_with(errc::session_lost, detail);
    }
    report_stream_closed(std::move(stream), std::move(outcome));
  }
  report([this, reason, error, detail = std::move(detail)] {
    events_.on_session_closed(id_, reason, make_error_code(error), detail);
  });
  channel_->close();
}

void H2Session::flush_events() {
  if (flushing_) {
    return;
  }
  flushing_ = true;
  // Keep this session alive while the pool reacts (it may retire it).
  auto keep = shared_from_this();
  while (!events_queue_.empty() && !owner_closed_) {
    auto event = std::move(events_queue_.front());
    events_queue_.pop_front();
    event();
  }
  events_queue_.clear();
  flushing_ = false;
}

int H2Session::on_header(const nghttp2_frame* frame, std::string_view name,
                         std::string_view value) {
  if (frame->hd.type != NGHTTP2_HEADERS) {
    return 0;
  }
  const auto it = streams_.find(frame->hd.stream_id);
  if (it == streams_.end()) {
    return 0;
  }
  auto& stream = it->second;
  if (name == ":status") {
    int status = 0;
    for (char c : value) {
      status = status * 10 + (c - '0');
    }
    stream.status = status;
    return 0;
  }
  stream.block.emplace_back(std::string(name), std::string(value));
  return 0;
}

int H2Session::on_frame_recv(const nghttp2_frame* frame) {
  switch (frame->hd.type) {
    case NGHTTP2_SETTINGS: {
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) {
        return 0;
      }
      const auto max =
          nghttp2_session_get_remote_settings(ng_.get(), NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
      log(LogLevel::debug, 0, "SETTINGS max_concurrent_streams=" + std::to_string(max));
      if (!ready_) {
        ready_ = true;
        channel_->timer.cancel();
        arm_ping();
        report([this, max] { events_.on_session_ready(id_, max); });
      } else {
        report([this, max] { events_.on_session_settings(id_, max); });
      }
      return 0;
    }
    case NGHTTP2_GOAWAY: {
      goaway_received_ = true;
      const auto last = frame->goaway.last_stream_id;
      const auto code = frame->goaway.error_code;
      log(LogLevel::info, 0,
          "GOAWAY last_stream_id=" + std::to_string(last) +
              " error=" + nghttp2_http2_strerror(code));
      report([this, last, code] { events_.on_session_goaway(id_, last, code); });
      close_for_goaway_ = config_.defects.has(kCloseOnGoaway);
      return 0;
    }
    case NGHTTP2_PING:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) {
        ping_outstanding_ = false;
      }
      return 0;
    case NGHTTP2_RST_STREAM: {
      const auto it = streams_.find(frame->hd.stream_id);
      if (it != streams_.end()) {
        it->second.rst_received = true;
      }
      return 0;
    }
    case NGHTTP2_HEADERS:
      break;
    default:
      return 0;
  }
  const auto it = streams_.find(frame->hd.stream_id);
  if (it == streams_.end()) {
    return 0;
  }
  auto& stream = it->second;
  auto block = std::move(stream.block);
  stream.block.clear();
  if (stream.cancelled) {
    return 0;
  }
  if (!stream.head_done) {
    if (stream.status >= 100 && stream.status < 200) {
      return 0;  // informational; the final head follows
    }
    if (config_.defects.has(kFifoResponseMatching)) {
      match_oldest(it);
    }
    stream.head_done = true;
    stream.exchange->on_head(stream.attempt, stream.status, std::move(block), Protocol::http2);
  } else {
    stream.exchange->on_trailers(stream.attempt, std::move(block));
  }
  return 0;
}

void H2Session::match_oldest(std::map<std::int32_t, Stream>::iterator it) {
  for (auto& [id, other] : streams_) {
    if (id >= it->first) {
      return;
    }
    if (!other.head_done && !other.cancelled) {
      std::swap(other.exchange, it->second.exchange);
      std::swap(other.attempt, it->second.attempt);
      return;
    }
  }
}

int H2Session::on_frame_send(const nghttp2_frame* frame) {
  if (frame->hd.type == NGHTTP2_HEADERS) {
    const auto it = streams_.find(frame->hd.stream_id);
    if (it != streams_.end()) {
      it->second.headers_sent = true;
    }
  }
  return 0;
}

int H2Session::on_data_chunk(std::int32_t stream_id, const std::uint8_t* data, std::size_t len) {
  const auto it = streams_.find(stream_id);
  if (it == streams_.end() || it->second.cancelled || !it->second.head_done) {
    return 0;
  }
  it->second.exchange->on_data(it->second.attempt, {reinterpret_cast<const char*>(data), len});
  return 0;
}

int H2Session::on_stream_close(std::int32_t stream_id, std::uint32_t error_code) {
  if (config_.defects.has(kFatalLateFrames)) {
    closed_ids_.insert(stream_id);
  }
  auto node = streams_.extract(stream_id);
  if (node.empty()) {
    return 0;
  }
  auto& stream = node.mapped();
  Outcome outcome;
  const std::string code = nghttp2_http2_strerror(error_code);
  if (stream.cancelled) {
    outcome = Outcome::cancelled_by_us();
  } else if (stream.body_failed) {
    outcome = Outcome::failed_with(errc::body_source_failed, "request body source failed");
  } else if (error_code == NGHTTP2_NO_ERROR) {
    outcome = Outcome::completed_ok();
  } else if (error_code == NGHTTP2_REFUSED_STREAM && stream.rst_received) {
    outcome = Outcome::unprocessed_because(errc::stream_reset, "RST_STREAM REFUSED_STREAM", true);
  } else if (error_code == NGHTTP2_REFUSED_STREAM || !stream.headers_sent) {
    // Closed by GOAWAY above last-stream-id, or never sent.
    outcome = Outcome::unprocessed_because(errc::session_lost,
                                           "not processed (GOAWAY above last-stream-id)", false);
  } else if (stream.rst_received) {
    outcome = Outcome::failed_with(errc::stream_reset, "RST_STREAM " + code);
  } else {
    outcome = Outcome::failed_with(errc::protocol_error, "stream closed: " + code);
  }
  log(LogLevel::debug, stream_id, "closed: " + code);
  report_stream_closed(std::move(stream), std::move(outcome));
  return 0;
}

ssize_t H2Session::on_read_body(std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                                std::uint32_t* flags) {
  const auto it = streams_.find(stream_id);
  if (it == streams_.end() || it->second.cancelled) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  const auto result = it->second.exchange->read_body({reinterpret_cast<char*>(buf), length});
  if (result.failed) {
    it->second.body_failed = true;
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  if (result.end) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  } else if (result.size == 0) {
    // The source has nothing now: ask again on the next loop turn.
    asio::post(io_, [weak = weak_from_this(), stream_id] {
      if (auto self = weak.lock(); self && self->ng_ && !self->dead_) {
        nghttp2_session_resume_data(self->ng_.get(), stream_id);
        self->signal_write();
      }
    });
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(result.size);
}

/** The pool's handle: the one owner of the session. */
class H2SessionHandle final : public Session {
 public:
  explicit H2SessionHandle(std::shared_ptr<H2Session> session) : session_(std::move(session)) {}
  void start() override { session_->start(); }
  bool submit(const std::shared_ptr<Exchange>& exchange) override {
    return session_->submit(exchange);
  }
  void cancel(const Exchange& exchange) override { session_->cancel(exchange); }
  void close() override { session_->close(); }

 private:
  std::shared_ptr<H2Session> session_;
};

}  // namespace

std::unique_ptr<Session> make_h2_session(asio::io_context& io, ssl::context& tls,
                                         const H2SessionConfig& config, const Url& origin,
                                         SessionId id, SessionEvents& events) {
  return std::make_unique<H2SessionHandle>(
      std::make_shared<H2Session>(io, tls, config, origin, id, events));
}

}  // namespace faultline::transport::detail
