#include "faultline/harness/curl_driver.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <variant>

#include "detail/curl_util.h"
#include "detail/exchange_table.h"

namespace faultline::harness {
namespace {

struct MultiDeleter {
  void operator()(CURLM* multi) const noexcept { curl_multi_cleanup(multi); }
};
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

ErrorKind kind_of(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorKind::timeout;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_TOO_MANY_REDIRECTS:
      return ErrorKind::network;
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_CONTENT_ENCODING:
      return ErrorKind::protocol;
    case CURLE_ABORTED_BY_CALLBACK:
      return ErrorKind::aborted;
    default:
      return ErrorKind::other;
  }
}

}  // namespace

struct CurlDriver::Impl {
  /** One request's libcurl state; owned by the driver thread while active. */
  struct Transfer {
    Impl* impl = nullptr;
    std::shared_ptr<Exchange> exchange;
    std::chrono::steady_clock::time_point sent;
    detail::EasyHandle easy;
    detail::Slist headers;
    std::string body;
    std::size_t body_sent = 0;  ///< body_stream: bytes the read callback handed over
    char error_buffer[CURL_ERROR_SIZE] = {};
    // The header block being read; each response (1xx, redirects, final) has one.
    int block_status = 0;
    std::string block_protocol;
    Headers block;
    bool block_has_location = false;
    bool headers_emitted = false;
    Headers trailers;     ///< header lines after the final head: the trailer section
    std::string refusal;  // why we stopped the transfer from a callback (redirect mode error)
  };

  struct AddCommand {
    std::unique_ptr<Transfer> transfer;
  };
  struct AbortCommand {
    std::uint64_t id;
  };
  /** Receive backpressure: curl_easy_pause on the driver thread. */
  struct PauseCommand {
    std::uint64_t id;
    bool pause;
  };
  using Command = std::variant<AddCommand, AbortCommand, PauseCommand>;

  CurlDriverOptions options;
  DriverInfo info;
  MultiHandle multi;

  mutable std::mutex mutex;
  std::deque<Command> commands;
  bool stopping = false;
  detail::ExchangeTable table;  // ids and exchanges in flight (for id checks and counts)
  std::string log;              // CURLOPT_VERBOSE text, bounded

  std::atomic<std::uint64_t> started{0}, completed{0}, failed{0}, aborted{0}, connections{0};

  // Driver thread only.
  std::unordered_map<std::uint64_t, std::unique_ptr<Transfer>> active;
  std::thread thread;

  explicit Impl(CurlDriverOptions opts) : options(std::move(opts)) {
    detail::curl_global_once();
    const curl_version_info_data* v = curl_version_info(CURLVERSION_NOW);
    info.protocol = kProtocolVersion;
    info.name = "libcurl";
    info.version = v->version;
    info.max_sessions = static_cast<int>(options.max_host_connections);
    info.max_streams = options.h2 ? static_cast<int>(options.max_concurrent_streams) : 1;
    info.h2 = options.h2 && (v->features & CURL_VERSION_HTTP2) != 0;
    info.api = "multi";
    // libcurl closes a connection older than CURLOPT_MAXAGE_CONN only when it next
    // looks at its cache: no idle timer, no liveness probe, no 421 retry.
    info.capabilities.idle_timeout_ms = 0;
    info.capabilities.liveness_timeout_ms = 0;
    info.capabilities.retries_421 = false;
    info.capabilities.trailers = true;
    info.capabilities.informational = true;
    // curl_easy_pause(CURLPAUSE_RECV) stops reading the stream (or connection).
    info.capabilities.receive_backpressure = true;
    multi.reset(curl_multi_init());
    if (!multi) {
      throw std::runtime_error("curl_multi_init failed");
    }
    curl_multi_setopt(multi.get(), CURLMOPT_PIPELINING,
                      options.h2 ? CURLPIPE_MULTIPLEX : CURLPIPE_NOTHING);
    curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, options.max_host_connections);
    curl_multi_setopt(multi.get(), CURLMOPT_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
    thread = std::thread([this] { run(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    curl_multi_wakeup(multi.get());
    thread.join();
  }

  void submit(Command command) {
    {
      std::lock_guard lock(mutex);
      commands.push_back(std::move(command));
    }
    curl_multi_wakeup(multi.get());
  }

  void run() {
    while (true) {
      std::deque<Command> batch;
      bool stop = false;
      {
        std::lock_guard lock(mutex);
        batch.swap(commands);
        stop = stopping;
      }
      for (auto& command : batch) {
        if (auto* add = std::get_if<AddCommand>(&command)) {
          start(std::move(add->transfer));
        } else if (auto* p = std::get_if<PauseCommand>(&command)) {
          pause_transfer(p->id, p->pause);
        } else {
          abort_transfer(std::get<AbortCommand>(command).id);
        }
      }
      if (stop) {
        break;
      }
      int running = 0;
      curl_multi_perform(multi.get(), &running);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
        if (msg->msg != CURLMSG_DONE) {
          continue;
        }
        Transfer* t = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
        finish(t, msg->data.result);
      }
      curl_multi_poll(multi.get(), nullptr, 0, 1000, nullptr);
    }
    for (auto& [id, t] : active) {
      curl_multi_remove_handle(multi.get(), t->easy.get());
      t->exchange->push(detail::make_error(ErrorKind::driver,
                                           "libcurl driver destroyed before the request finished",
                                           detail::elapsed_ms(t->sent)));
    }
    active.clear();
  }

  void start(std::unique_ptr<Transfer> t) {
    CURL* h = t->easy.get();
    const Request& r = t->exchange->request();
    curl_easy_setopt(h, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(h, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                     options.h2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
    if (!options.ca_file.empty()) {
      curl_easy_setopt(h, CURLOPT_CAINFO, options.ca_file.c_str());
    }
    if (r.timeout_ms > 0) {
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout_ms));
    }
    if (r.redirect == RedirectMode::follow) {
      curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(h, CURLOPT_MAXREDIRS, static_cast<long>(kMaxRedirects));
    }
    set_method_and_body(*t, r);
    bool has_expect = false;
    for (const auto& [name, value] : r.headers) {
      has_expect = has_expect || lower(name) == "expect";
      const std::string line = value.empty() ? name + ";" : name + ": " + value;
      detail::slist_append(t->headers, line.c_str());
    }
    if (!has_expect) {
      detail::slist_append(t->headers, "Expect:");  // no 100-continue round trip
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->headers.get());
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &Impl::on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Impl::on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->error_buffer);
    if (options.verbose) {
      curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
      curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &Impl::on_debug);
      curl_easy_setopt(h, CURLOPT_DEBUGDATA, this);
    }
    const std::uint64_t id = r.id;
    if (CURLMcode mc = curl_multi_add_handle(multi.get(), h); mc != CURLM_OK) {
      fail(*t, ErrorKind::other, std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc));
      return;
    }
    active.emplace(id, std::move(t));
  }

  static void set_method_and_body(Transfer& t, const Request& r) {
    CURL* h = t.easy.get();
    if (r.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
      return;
    }
    if (r.body && r.body_stream) {
      // A read callback and no seek callback: libcurl cannot send this body again.
      t.body = *r.body;
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body.size()));
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &Impl::on_read);
      curl_easy_setopt(h, CURLOPT_READDATA, &t);
    } else if (r.body || r.method == "POST") {
      t.body = r.body.value_or(std::string{});
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, t.body.data());
    }
    if (r.method != "GET" && r.method != "POST") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    if (r.method == "GET" && r.body) {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "GET");
    }
  }

  static std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::size_t n = std::min(size * count, t->body.size() - t->body_sent);
    std::memcpy(buffer, t->body.data() + t->body_sent, n);
    t->body_sent += n;
    return n;
  }

  void pause_transfer(std::uint64_t id, bool pause) {
    const auto it = active.find(id);
    if (it != active.end()) {
      curl_easy_pause(it->second->easy.get(), pause ? CURLPAUSE_RECV : CURLPAUSE_CONT);
    }
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::size_t n = size * count;
    const std::string_view line(data, n);
    if (line.rfind("HTTP/", 0) == 0) {
      // A new response: 1xx, a redirect, or the final one.
      t->block.clear();
      t->block_has_location = false;
      t->block_protocol = line.rfind("HTTP/2", 0) == 0 ? "h2" : "http/1.1";
      const auto space = line.find(' ');
      t->block_status = space == std::string_view::npos
                            ? 0
                            : std::atoi(std::string(line.substr(space + 1, 3)).c_str());
      return n;
    }
    if (t->headers_emitted) {
      // Trailers (libcurl hands them to this callback after the body, h2 and chunked).
      const auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        t->trailers.emplace_back(lower(trim(line.substr(0, colon))),
                                 std::string(trim(line.substr(colon + 1))));
      }
      return n;
    }
    if (trim(line).empty()) {
      return t->impl->on_header_block_end(*t) ? n : 0;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      return n;
    }
    std::string name = lower(trim(line.substr(0, colon)));
    if (name == "location") {
      t->block_has_location = true;
    }
    t->block.emplace_back(std::move(name), std::string(trim(line.substr(colon + 1))));
    return n;
  }

  /** false stops the transfer (redirect refused in mode "error"). */
  bool on_header_block_end(Transfer& t) {
    const int status = t.block_status;
    if (status >= 100 && status < 200) {
      Event e;
      e.type = Event::Type::informational;
      e.status = status;
      e.headers = std::move(t.block);
      e.t_ms = detail::elapsed_ms(t.sent);
      t.exchange->push(std::move(e));
      t.block.clear();
      return true;
    }
    const RedirectMode mode = t.exchange->request().redirect;
    if (is_redirect(status) && t.block_has_location) {
      if (mode == RedirectMode::follow) {
        return true;  // libcurl follows it
      }
      if (mode == RedirectMode::error) {
        t.refusal = "redirect " + std::to_string(status) + " to '" +
                    find_header(t.block, "location").value_or("") +
                    "' refused (redirect mode error)";
        return false;
      }
    }
    emit_headers(t);
    return true;
  }

  void emit_headers(Transfer& t) {
    if (t.headers_emitted) {
      return;
    }
    t.headers_emitted = true;
    Event e;
    e.type = Event::Type::headers;
    e.status = t.block_status;
    e.headers = std::move(t.block);
    e.protocol = t.block_protocol;
    e.t_ms = detail::elapsed_ms(t.sent);
    t.exchange->push(std::move(e));
  }

  static std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::size_t n = size * count;
    if (!t->headers_emitted) {
      t->impl->emit_headers(*t);
    }
    Event e;
    e.type = Event::Type::data;
    e.data.assign(data, n);
    e.t_ms = detail::elapsed_ms(t->sent);
    t->exchange->push(std::move(e));
    return n;
  }

  static int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
    if (type != CURLINFO_TEXT) {
      return 0;
    }
    auto* impl = static_cast<Impl*>(user);
    std::lock_guard lock(impl->mutex);
    impl->log.append(data, size);
    if (impl->log.size() > kDefaultStderrLimit) {
      impl->log.erase(0, impl->log.size() - kDefaultStderrLimit);
    }
    return 0;
  }

  void count_connects(Transfer& t) {
    long connects = 0;
    curl_easy_getinfo(t.easy.get(), CURLINFO_NUM_CONNECTS, &connects);
    connections += static_cast<std::uint64_t>(connects);
  }

  void finish(Transfer* t, CURLcode result) {
    count_connects(*t);
    curl_multi_remove_handle(multi.get(), t->easy.get());
    const std::uint64_t id = t->exchange->id();
    auto owned = std::move(active[id]);
    active.erase(id);
    if (result == CURLE_OK) {
      if (!t->headers_emitted) {
        long status = 0;
        curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &status);
        t->block_status = static_cast<int>(status);
        if (status == 0) {
          return fail(*t, ErrorKind::other, "transfer completed without a response");
        }
        emit_headers(*t);
      }
      ++completed;  // counted before the event, so stats read after it include it
      forget(id);
      Event e;
      e.type = Event::Type::end;
      e.trailers = std::move(t->trailers);
      e.t_ms = detail::elapsed_ms(t->sent);
      t->exchange->push(std::move(e));
      return;
    }
    if (!t->refusal.empty()) {
      return fail(*t, ErrorKind::network, t->refusal);
    }
    std::string message = curl_easy_strerror(result);
    if (t->error_buffer[0] != '\0') {
      message += ": " + std::string(t->error_buffer);
    }
    fail(*t, kind_of(result),
         "curl error " + std::to_string(static_cast<int>(result)) + " (" + message + ")");
  }

  void fail(Transfer& t, ErrorKind kind, std::string message) {
    if (kind == ErrorKind::aborted) {
      ++aborted;
    } else {
      ++failed;
    }
    forget(t.exchange->id());
    t.exchange->push(detail::make_error(kind, std::move(message), detail::elapsed_ms(t.sent)));
  }

  void abort_transfer(std::uint64_t id) {
    auto it = active.find(id);
    if (it == active.end()) {
      return;
    }
    auto t = std::move(it->second);
    active.erase(it);
    count_connects(*t);
    // Removing the handle cancels the transfer (RST_STREAM(CANCEL) over h2).
    curl_multi_remove_handle(multi.get(), t->easy.get());
    fail(*t, ErrorKind::aborted, "aborted by the caller");
  }

  void forget(std::uint64_t id) {
    std::lock_guard lock(mutex);
    table.erase(id);
  }
};

CurlDriver::CurlDriver(CurlDriverOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

CurlDriver::~CurlDriver() = default;

const DriverInfo& CurlDriver::hello() const {
  return impl_->info;
}

std::shared_ptr<Exchange> CurlDriver::send(Request request) {
  auto t = std::make_unique<Impl::Transfer>();
  t->impl = impl_.get();
  {
    std::lock_guard lock(impl_->mutex);
    t->exchange = impl_->table.add(request);
  }
  t->sent = std::chrono::steady_clock::now();
  t->easy.reset(curl_easy_init());
  auto exchange = t->exchange;
  ++impl_->started;
  impl_->submit(Impl::AddCommand{std::move(t)});
  return exchange;
}

void CurlDriver::abort(std::uint64_t id) {
  impl_->submit(Impl::AbortCommand{id});
}

void CurlDriver::pause(std::uint64_t id) {
  impl_->submit(Impl::PauseCommand{id, true});
}

void CurlDriver::resume(std::uint64_t id) {
  impl_->submit(Impl::PauseCommand{id, false});
}

StatsResult CurlDriver::stats(Deadline) {
  StatsResult r;
  r.ok = true;
  r.stats = {{"requests_started", impl_->started.load()},
             {"requests_completed", impl_->completed.load()},
             {"requests_failed", impl_->failed.load()},
             {"requests_aborted", impl_->aborted.load()},
             {"connections_opened", impl_->connections.load()}};
  std::lock_guard lock(impl_->mutex);
  r.stats["in_flight"] = impl_->table.size();
  r.description = "libcurl driver counters";
  return r;
}

std::string CurlDriver::diagnostics() const {
  std::lock_guard lock(impl_->mutex);
  std::string out = "libcurl " + impl_->info.version + " (multi, max " +
                    std::to_string(impl_->info.max_sessions) + " connections per host, " +
                    std::to_string(impl_->info.max_streams) + " streams each)";
  if (!impl_->log.empty()) {
    out += "\nverbose log:\n" + impl_->log;
  }
  return out;
}

}  // namespace faultline::harness
