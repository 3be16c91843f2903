#include "detail/curl_backend.h"

#include <curl/curl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "detail/curl_transfer.h"
#include "detail/hooks.h"
#include "detail/limits.h"
#include "detail/text.h"

namespace faultline::transport::detail {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

/** One socket curl asked us to watch: a duplicate of curl's descriptor, so that closing
    ours never closes curl's, and curl closing its own never leaves ours dangling. */
struct Watch {
  explicit Watch(asio::io_context& io) : descriptor(io) {}
  asio::posix::stream_descriptor descriptor;
  curl_socket_t fd = CURL_SOCKET_BAD;
  int what = 0;  ///< CURL_POLL_IN / OUT / INOUT
  bool reading = false;
  bool writing = false;
  bool closed = false;
};

}  // namespace

class CurlBackend final : public Http11Backend {
 public:
  CurlBackend(asio::io_context& io, const Options& options, Stats& stats, Hooks* hooks)
      : io_(io), options_(options), stats_(stats), hooks_(hooks), timer_(io) {
    curl_global_init_once();
    multi_.reset(curl_multi_init());
    if (!multi_) {
      throw std::runtime_error("curl_multi_init failed");
    }
    CURLM* m = multi_.get();
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &CurlBackend::socket_callback);
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &CurlBackend::timer_callback);
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS,
                      static_cast<long>(options.max_sessions_per_origin));
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS,
                      static_cast<long>(options.max_sessions_per_origin * 8));
    curl_multi_setopt(m, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_NOTHING));
  }

  ~CurlBackend() override {
    shutdown();
    closing_ = true;
    alive_.reset();
    for (auto& [fd, watch] : watches_) {
      close_watch(*watch);
    }
    watches_.clear();
    timer_.cancel();
    multi_.reset();  // closes cached connections (close-socket callbacks update stats)
  }

  void start(const std::shared_ptr<Exchange>& exchange) override;
  void cancel(Exchange& exchange) override;
  void resume(Exchange& exchange) override;
  void shutdown() override {
    while (!transfers_.empty()) {
      remove(*transfers_.begin()->second);
    }
  }

 private:
  // libcurl callbacks.
  static int socket_callback(CURL* easy, curl_socket_t fd, int what, void* self, void* socketp);
  static int timer_callback(CURLM* multi, long timeout_ms, void* self);
  static std::size_t header_callback(char* data, std::size_t size, std::size_t n, void* transfer);
  static std::size_t write_callback(char* data, std::size_t size, std::size_t n, void* transfer);
  static std::size_t read_callback(char* buffer, std::size_t size, std::size_t n, void* transfer);
  static curl_socket_t open_socket(void* self, curlsocktype purpose, curl_sockaddr* address);
  static int close_socket(void* self, curl_socket_t fd);

  void on_socket(curl_socket_t fd, int what, void* socketp);
  void arm(const std::shared_ptr<Watch>& watch);
  void on_ready(const std::shared_ptr<Watch>& watch, int event, const error_code& ec);
  void on_timer(const error_code& ec);
  void socket_action(curl_socket_t fd, int events);
  void drain_messages();
  void remove(Transfer& transfer);
  void close_watch(Watch& watch);
  void configure(Transfer& transfer);

  std::size_t on_header_line(Transfer& t, std::string_view line);

  asio::io_context& io_;
  const Options& options_;
  Stats& stats_;
  Hooks* hooks_;  ///< test builds only
  std::unique_ptr<CURLM, MultiDeleter> multi_;
  asio::steady_timer timer_;
  std::unordered_map<curl_socket_t, std::shared_ptr<Watch>> watches_;
  std::unordered_map<const Exchange*, std::unique_ptr<Transfer>> transfers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  int in_curl_ = 0;  ///< depth of curl calls on the stack (callbacks may run)
  bool closing_ = false;
};

void CurlBackend::configure(Transfer& t) {
  CURL* e = t.easy.get();
  const auto& ex = *t.exchange;
  curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(e, CURLOPT_URL, ex.url.str().c_str());
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  const auto idle_s =
      std::chrono::duration_cast<std::chrono::seconds>(options_.idle_timeout).count();
  curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, static_cast<long>(std::max<long long>(idle_s, 1)));
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &CurlBackend::header_callback);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &CurlBackend::write_callback);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &CurlBackend::open_socket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, this);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &CurlBackend::close_socket);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
  // TLS trust.
  if (!options_.tls.ca_file.empty()) {
    curl_easy_setopt(e, CURLOPT_CAINFO, options_.tls.ca_file.c_str());
  }
  if (!options_.tls.ca_pem.empty()) {
    curl_blob blob{const_cast<char*>(options_.tls.ca_pem.data()), options_.tls.ca_pem.size(),
                   CURL_BLOB_COPY};
    curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
  }
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options_.tls.verify_peer ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, options_.tls.verify_peer ? 2L : 0L);
  // Method and body.
  const bool has_body = !ex.body.empty();
  const bool body_method = ex.method == "POST" || ex.method == "PUT" || ex.method == "PATCH";
  if (ex.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (has_body || body_method) {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, &CurlBackend::read_callback);
    curl_easy_setopt(e, CURLOPT_READDATA, &t);
    const auto length = ex.body.length();
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(length ? *length : -1));
    if (ex.method != "POST") {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, ex.method.c_str());
    }
  } else if (ex.method != "GET") {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, ex.method.c_str());
  }
  // Proxies: none, whatever the environment says (https_proxy, HTTPS_PROXY, ALL_PROXY),
  // as on the h2 path, which never reads it (transport/README.md, behaviour table).
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  // Headers: ours only. libcurl would add Expect: 100-continue, Accept: */* and, for a
  // POST, Content-Type: application/x-www-form-urlencoded; a blank "Name:" stops each.
  curl_slist* list = nullptr;
  bool has_accept = false;
  bool has_content_type = false;
  bool has_te = false;
  bool has_expect = false;
  for (const auto& [name, value] : ex.headers) {
    has_accept = has_accept || iequals(name, "accept");
    has_content_type = has_content_type || iequals(name, "content-type");
    has_te = has_te || iequals(name, "te");
    has_expect = has_expect || iequals(name, "expect");
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    list = curl_slist_append(list, line.c_str());
  }
  if (has_te) {
    // TE is hop-by-hop: HTTP/1.1 names it in Connection (RFC 9110 10.1.4).
    list = curl_slist_append(list, "Connection: TE");
  }
  if (hooks_ == nullptr || hooks_->http11_blank_curl_defaults()) {
    if (!has_expect) {
      list = curl_slist_append(list, "Expect:");
    }
    if (!has_accept) {
      list = curl_slist_append(list, "Accept:");
    }
    if (!has_content_type) {
      list = curl_slist_append(list, "Content-Type:");
    }
  }
  t.headers.reset(list);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
}

void CurlBackend::start(const std::shared_ptr<Exchange>& exchange) {
  auto transfer = std::make_unique<Transfer>();
  transfer->backend = this;
  transfer->exchange = exchange;
  transfer->attempt = exchange->attempt;
  if (Hooks* hooks = exchange->hooks(); hooks != nullptr) {
    transfer->head.judge_content_length(hooks->h1_judge_content_length());
  }
  transfer->easy.reset(curl_easy_init());
  transfer->head.limit_bytes(options_.max_response_header_bytes);
  transfer->typed_too_large = hooks_ == nullptr || hooks_->header_too_large_fails_request();
  transfer->head.keep_interim_fields(hooks_ != nullptr && hooks_->keep_informational_fields());
  configure(*transfer);
  CURL* easy = transfer->easy.get();
  transfers_[exchange.get()] = std::move(transfer);
  // Adding never runs transfer callbacks synchronously; the timer callback only arms.
  ++in_curl_;
  curl_multi_add_handle(multi_.get(), easy);
  --in_curl_;
}

void CurlBackend::cancel(Exchange& exchange) {
  const auto it = transfers_.find(&exchange);
  if (it == transfers_.end()) {
    return;
  }
  if (in_curl_ > 0) {
    // Not from inside curl: mark it (its callbacks now abort) and remove it from the loop.
    it->second->cancelled = true;
    asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_), key = &exchange] {
      if (!alive.lock()) {
        return;
      }
      const auto found = transfers_.find(key);
      if (found != transfers_.end() && found->second->cancelled) {
        remove(*found->second);
      }
    });
    return;
  }
  remove(*it->second);
}

void CurlBackend::resume(Exchange& exchange) {
  const auto it = transfers_.find(&exchange);
  if (it == transfers_.end() || !it->second->paused || it->second->cancelled) {
    return;
  }
  it->second->paused = false;
  // Unpausing delivers the bytes libcurl kept, through write_callback, right here.
  ++in_curl_;
  curl_easy_pause(it->second->easy.get(), CURLPAUSE_CONT);
  --in_curl_;
}

void CurlBackend::remove(Transfer& transfer) {
  ++in_curl_;
  curl_multi_remove_handle(multi_.get(), transfer.easy.get());
  --in_curl_;
  transfers_.erase(transfer.exchange.get());
}

int CurlBackend::socket_callback(CURL*, curl_socket_t fd, int what, void* self, void* socketp) {
  static_cast<CurlBackend*>(self)->on_socket(fd, what, socketp);
  return 0;
}

void CurlBackend::on_socket(curl_socket_t fd, int what, void* socketp) {
  if (closing_) {
    return;
  }
  auto it = watches_.find(fd);
  if (what == CURL_POLL_REMOVE) {
    if (it != watches_.end()) {
      close_watch(*it->second);
      watches_.erase(it);
    }
    return;
  }
  // A descriptor number curl reuses for a new socket arrives without our socketp.
  if (it != watches_.end() && socketp == nullptr) {
    close_watch(*it->second);
    watches_.erase(it);
    it = watches_.end();
  }
  if (it == watches_.end()) {
    auto watch = std::make_shared<Watch>(io_);
    watch->fd = fd;
    const int copy = ::dup(fd);
    if (copy < 0) {
      return;
    }
    error_code ec;
    watch->descriptor.assign(copy, ec);
    if (ec) {
      ::close(copy);
      return;
    }
    it = watches_.emplace(fd, std::move(watch)).first;
    curl_multi_assign(multi_.get(), fd, it->second.get());
  }
  it->second->what = what;
  arm(it->second);
}

void CurlBackend::close_watch(Watch& watch) {
  watch.closed = true;
  error_code ignored;
  watch.descriptor.close(ignored);
}

void CurlBackend::arm(const std::shared_ptr<Watch>& watch) {
  using asio::posix::descriptor_base;
  if ((watch->what & CURL_POLL_IN) != 0 && !watch->reading) {
    watch->reading = true;
    watch->descriptor.async_wait(descriptor_base::wait_read, [this, watch](const error_code& ec) {
      watch->reading = false;
      if (!watch->closed) {  // closed first whenever the backend goes away
        on_ready(watch, CURL_CSELECT_IN, ec);
      }
    });
  }
  if ((watch->what & CURL_POLL_OUT) != 0 && !watch->writing) {
    watch->writing = true;
    watch->descriptor.async_wait(descriptor_base::wait_write, [this, watch](const error_code& ec) {
      watch->writing = false;
      if (!watch->closed) {
        on_ready(watch, CURL_CSELECT_OUT, ec);
      }
    });
  }
}

void CurlBackend::on_ready(const std::shared_ptr<Watch>& watch, int event, const error_code& ec) {
  if (watch->closed || ec == asio::error::operation_aborted) {
    return;
  }
  socket_action(watch->fd, ec ? CURL_CSELECT_ERR : event);
  if (!watch->closed) {
    arm(watch);
  }
}

int CurlBackend::timer_callback(CURLM*, long timeout_ms, void* self) {
  auto& backend = *static_cast<CurlBackend*>(self);
  if (timeout_ms < 0) {
    backend.timer_.cancel();
    return 0;
  }
  backend.timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  backend.timer_.async_wait(
      [&backend, alive = std::weak_ptr<bool>(backend.alive_)](const error_code& ec) {
        if (alive.lock()) {
          backend.on_timer(ec);
        }
      });
  return 0;
}

void CurlBackend::on_timer(const error_code& ec) {
  if (ec || closing_) {
    return;
  }
  socket_action(CURL_SOCKET_TIMEOUT, 0);
}

void CurlBackend::socket_action(curl_socket_t fd, int events) {
  int running = 0;
  ++in_curl_;
  curl_multi_socket_action(multi_.get(), fd, events, &running);
  --in_curl_;
  drain_messages();
}

void CurlBackend::drain_messages() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_.get(), &left)) {
    if (message->msg != CURLMSG_DONE) {
      continue;
    }
    Transfer* raw = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &raw);
    const CURLcode code = message->data.result;
    if (raw == nullptr) {
      continue;
    }
    auto exchange = raw->exchange;
    const auto attempt = raw->attempt;
    const bool cancelled = raw->cancelled;
    Outcome outcome = outcome_of(code, *raw);
    auto trailers = raw->head.take_trailers();
    const bool head_done = raw->head.head_done();
    remove(*raw);  // raw is gone now
    if (cancelled) {
      continue;
    }
    if (head_done && !trailers.empty() && outcome.kind == Outcome::Kind::completed) {
      exchange->on_trailers(attempt, std::move(trailers));
    }
    exchange->placement = {};
    exchange->on_attempt_end(attempt, std::move(outcome));
  }
}

std::size_t CurlBackend::header_callback(char* data, std::size_t size, std::size_t n,
                                         void* transfer) {
  auto& t = *static_cast<Transfer*>(transfer);
  if (t.cancelled) {
    return 0;
  }
  // One line per call, except after a pause: libcurl then hands over the header lines
  // it held back (trailers arriving while the transfer was paused) in one piece.
  const std::string_view all(data, size * n);
  std::size_t start = 0;
  while (start < all.size()) {
    const std::size_t eol = all.find('\n', start);
    const std::size_t end = eol == std::string_view::npos ? all.size() : eol + 1;
    const std::string_view line = all.substr(start, end - start);
    if (t.backend->on_header_line(t, line) != line.size()) {
      return 0;
    }
    start = end;
  }
  return all.size();
}

std::size_t CurlBackend::on_header_line(Transfer& t, std::string_view line) {
  switch (t.head.on_line(line)) {
    case H1ResponseHead::Step::more:
      return line.size();
    case H1ResponseHead::Step::interim:
      t.exchange->on_informational(t.attempt, t.head.interim_status(), t.head.take_interim(),
                                   Protocol::http11);
      return t.cancelled ? 0 : line.size();
    case H1ResponseHead::Step::head:
      t.exchange->on_head(t.attempt, t.head.status(), t.head.take_headers(), Protocol::http11);
      return t.cancelled ? 0 : line.size();
    case H1ResponseHead::Step::rejected:
      return 0;  // curl ends the transfer; outcome_of() reports the head's error
  }
  return 0;
}

std::size_t CurlBackend::write_callback(char* data, std::size_t size, std::size_t n,
                                        void* transfer) {
  auto& t = *static_cast<Transfer*>(transfer);
  if (t.cancelled) {
    return 0;
  }
  if (t.exchange->paused && t.exchange->head_delivered && t.exchange->attempt == t.attempt) {
    // libcurl keeps these bytes and stops reading the connection until resume().
    t.paused = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  t.exchange->on_data(t.attempt, {data, size * n});
  return t.cancelled ? 0 : size * n;
}

std::size_t CurlBackend::read_callback(char* buffer, std::size_t size, std::size_t n,
                                       void* transfer) {
  auto& t = *static_cast<Transfer*>(transfer);
  if (t.cancelled) {
    return CURL_READFUNC_ABORT;
  }
  const auto result = t.exchange->read_body({buffer, size * n});
  if (result.failed) {
    t.body_failed = true;
    return CURL_READFUNC_ABORT;
  }
  if (result.size == 0 && !result.end) {
    // Nothing yet: pause and ask again on the next loop turn.
    CURL* easy = t.easy.get();
    asio::post(t.backend->io_, [backend = t.backend, alive = std::weak_ptr<bool>(t.backend->alive_),
                                key = t.exchange.get(), easy] {
      if (!alive.lock() || backend->transfers_.count(key) == 0) {
        return;
      }
      ++backend->in_curl_;
      curl_easy_pause(easy, CURLPAUSE_CONT);
      --backend->in_curl_;
      backend->drain_messages();
    });
    return CURL_READFUNC_PAUSE;
  }
  return result.size;
}

curl_socket_t CurlBackend::open_socket(void* self, curlsocktype, curl_sockaddr* address) {
  auto& backend = *static_cast<CurlBackend*>(self);
  const curl_socket_t fd =
      ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd != CURL_SOCKET_BAD) {
    ++backend.stats_.sessions_opened;
    ++backend.stats_.h1_connections_opened;
    ++backend.stats_.sessions_open;
  }
  return fd;
}

int CurlBackend::close_socket(void* self, curl_socket_t fd) {
  auto& backend = *static_cast<CurlBackend*>(self);
  --backend.stats_.sessions_open;
  ++backend.stats_.sessions_closed;
  ++backend.stats_.closed_by_reason[CloseReason::http11_closed];
  return ::close(fd);
}

void curl_global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::unique_ptr<Http11Backend> make_curl_backend(asio::io_context& io, const Options& options,
                                                 Stats& stats, Hooks* hooks) {
  return std::make_unique<CurlBackend>(io, options, stats, hooks);
}

}  // namespace faultline::transport::detail
