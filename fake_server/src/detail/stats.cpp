#include "detail/stats.h"

#include <malloc.h>

#include <limits>

#include "detail/server_limits.h"

namespace faultline::fake_server::detail {

ConnectionStats::ConnectionStats(StatsRegistry& registry, std::uint64_t id, std::string listener,
                                 bool tls, double opened_ms, std::size_t timeline_capacity)
    : registry_(registry),
      id_(id),
      listener_(std::move(listener)),
      tls_(tls),
      opened_ms_(opened_ms),
      opened_at_(Clock::now()),
      timeline_(timeline_capacity) {}

double ConnectionStats::now_ms() const {
  return std::chrono::duration<double, std::milli>(Clock::now() - opened_at_).count();
}

void ConnectionStats::push(TimelineEvent event) {
  event.t_ms = now_ms();
  timeline_.push(std::move(event));
}

void ConnectionStats::set_protocol(std::string_view alpn, std::string_view protocol,
                                   std::string_view tls_version) {
  const std::lock_guard lock(mutex_);
  alpn_ = alpn;
  protocol_ = protocol;
  tls_version_ = tls_version;
}

void ConnectionStats::on_frame(const FrameFacts& frame) {
  bool opened = false;
  bool goaway_out = false;
  std::string rst_in;
  {
    const std::lock_guard lock(mutex_);
    TimelineEvent& event = timeline_.emplace();
    event.t_ms = now_ms();
    event.dir = frame.dir;
    event.type = frame.type;
    event.flags = frame.flags;
    event.stream = frame.stream;
    event.length = frame.length;
    event.error_code = frame.error_code;
    event.last_stream_id = frame.last_stream_id;
    flow_.on_frame(frame, event.t_ms);
    const bool in = frame.dir == Direction::in;
    switch (frame.type) {
      case EventType::headers:
        if (in && frame.opens_stream) {
          ++streams_opened_;
          ++active_streams_;
          peak_concurrent_ = std::max(peak_concurrent_, active_streams_);
          opened = true;
        }
        break;
      case EventType::rst_stream: {
        const std::string code = h2_error_name(static_cast<std::uint32_t>(frame.error_code));
        if (in) {
          ++rst_received_[code];
          rst_in = code;
        } else {
          ++rst_sent_[code];
        }
        break;
      }
      case EventType::goaway:
        if (in) {
          ++goaway_received_;
          ++goaway_codes_received_[h2_error_name(static_cast<std::uint32_t>(frame.error_code))];
        } else {
          ++goaway_sent_;
          goaway_out = true;
        }
        break;
      case EventType::settings:
        if (in && (frame.flags & 0x1) == 0) {
          ++settings_received_;
        }
        break;
      default:
        break;
    }
  }
  if (opened) {
    registry_.count_stream();
  }
  if (goaway_out) {
    registry_.count_goaway_sent();
  }
  if (!rst_in.empty()) {
    registry_.count_rst_received(rst_in);
  }
}

void ConnectionStats::on_client_settings(
    std::span<const std::pair<std::uint16_t, std::uint32_t>> entries) {
  const std::lock_guard lock(mutex_);
  for (const auto& [id, value] : entries) {
    client_settings_[h2_setting_name(id)] = value;
  }
}

void ConnectionStats::on_stream_closed() {
  const std::lock_guard lock(mutex_);
  if (active_streams_ > 0) {
    --active_streams_;
  }
}

void ConnectionStats::on_request() {
  {
    const std::lock_guard lock(mutex_);
    ++requests_;
  }
  registry_.count_request();
}

void ConnectionStats::on_served(std::string_view request_id, Namespace* ns) {
  if (request_id.empty()) {
    return;
  }
  if (ns != nullptr) {
    ns->count_served(request_id);
  } else {
    registry_.count_served(request_id, id_);
  }
}

std::shared_ptr<const Tenant> ConnectionStats::bind(const Tenant& tenant) {
  if (bound_.load(std::memory_order_acquire)) {
    return binding();
  }
  const std::lock_guard lock(mutex_);
  if (!binding_) {
    binding_ = std::make_shared<const Tenant>(tenant);
    bound_.store(true, std::memory_order_release);
  }
  return binding_;
}

std::shared_ptr<const Tenant> ConnectionStats::binding() const {
  if (!bound_.load(std::memory_order_acquire)) {
    return nullptr;
  }
  const std::lock_guard lock(mutex_);
  return binding_;
}

std::string ConnectionStats::ns_name() const {
  const std::lock_guard lock(mutex_);
  return binding_ ? std::string(binding_->ns_name()) : std::string();
}

void ConnectionStats::on_h1_request(std::string_view method, std::string_view path) {
  const std::lock_guard lock(mutex_);
  TimelineEvent event;
  event.dir = Direction::in;
  event.type = EventType::request;
  event.method = method;
  event.path = path;
  push(std::move(event));
}

void ConnectionStats::on_h1_response(int status) {
  const std::lock_guard lock(mutex_);
  TimelineEvent event;
  event.dir = Direction::out;
  event.type = EventType::response;
  event.status = status;
  push(std::move(event));
}

void ConnectionStats::set_bytes(std::uint64_t in, std::uint64_t out) {
  const std::lock_guard lock(mutex_);
  bytes_in_ = in >= bytes_in_base_ ? in - bytes_in_base_ : 0;
  bytes_out_ = out >= bytes_out_base_ ? out - bytes_out_base_ : 0;
}

void ConnectionStats::add_bytes(std::uint64_t in, std::uint64_t out) {
  const std::lock_guard lock(mutex_);
  bytes_in_ += in;
  bytes_out_ += out;
}

void ConnectionStats::count_stream_limit_violation() {
  const std::lock_guard lock(mutex_);
  ++stream_limit_violations_;
}

void ConnectionStats::count_ping_sent() {
  const std::lock_guard lock(mutex_);
  ++pings_sent_;
}

void ConnectionStats::count_ping_ack() {
  const std::lock_guard lock(mutex_);
  ++ping_acks_;
}

void ConnectionStats::count_late_frame() {
  const std::lock_guard lock(mutex_);
  ++late_frames_sent_;
}

void ConnectionStats::count_fault(const std::string& key, bool global) {
  {
    const std::lock_guard lock(mutex_);
    ++faults_fired_[key];
  }
  if (global) {
    registry_.count_fault(key);
  }
}

void StatsRegistry::count_fault(const std::string& key) {
  const std::lock_guard lock(mutex_);
  ++faults_fired_[key];
}

void ConnectionStats::count_guard(const std::string& key) {
  {
    const std::lock_guard lock(mutex_);
    if (guard_.empty()) {
      guard_ = key;
    }
  }
  registry_.count_guard(key);
}

void StatsRegistry::count_guard(const std::string& key) {
  const std::lock_guard lock(mutex_);
  ++guards_[key];
}

void ConnectionStats::close(std::string_view reason) {
  std::size_t events = 0;
  {
    const std::lock_guard lock(mutex_);
    if (!open_) {
      return;
    }
    open_ = false;
    close_reason_ = reason;
    active_streams_ = 0;
    TimelineEvent event;
    event.dir = Direction::out;
    event.type = EventType::close;
    event.detail = reason;
    push(std::move(event));
    events = timeline_.size();
  }
  registry_.connection_closed(id_, events);
}

void ConnectionStats::release_timeline() {
  const std::lock_guard lock(mutex_);
  timeline_.release();
}

bool ConnectionStats::open() const {
  const std::lock_guard lock(mutex_);
  return open_;
}

void ConnectionStats::reset() {
  const std::lock_guard lock(mutex_);
  streams_opened_ = 0;
  peak_concurrent_ = active_streams_;
  requests_ = 0;
  rst_received_.clear();
  rst_sent_.clear();
  goaway_sent_ = goaway_received_ = settings_received_ = 0;
  goaway_codes_received_.clear();
  client_settings_.clear();
  stream_limit_violations_ = pings_sent_ = ping_acks_ = late_frames_sent_ = 0;
  faults_fired_.clear();
  bytes_in_base_ += bytes_in_;
  bytes_out_base_ += bytes_out_;
  bytes_in_ = bytes_out_ = 0;
  timeline_.clear();
  flow_.clear();
}

StatsRegistry::StatsRegistry(std::size_t timeline_capacity, std::size_t closed_timeline_events,
                             std::size_t max_request_ids)
    : timeline_capacity_(timeline_capacity),
      closed_timeline_events_(closed_timeline_events),
      max_request_ids_(max_request_ids),
      started_(ConnectionStats::Clock::now()) {}

double StatsRegistry::now_ms() const {
  return std::chrono::duration<double, std::milli>(ConnectionStats::Clock::now() - started_)
      .count();
}

std::shared_ptr<ConnectionStats> StatsRegistry::open_connection(std::string listener, bool tls) {
  const std::uint64_t id = next_id_.fetch_add(1);
  auto stats = std::make_shared<ConnectionStats>(*this, id, std::move(listener), tls, now_ms(),
                                                 timeline_capacity_);
  connections_total_.fetch_add(1, std::memory_order_relaxed);
  const std::lock_guard lock(mutex_);
  connections_.emplace(id, stats);
  return stats;
}

void StatsRegistry::count_rst_received(std::string_view code) {
  const std::lock_guard lock(mutex_);
  auto it = rst_received_.find(code);
  if (it == rst_received_.end()) {
    rst_received_.emplace(std::string(code), 1);
  } else {
    ++it->second;
  }
}

void StatsRegistry::count_served(std::string_view request_id, std::uint64_t connection) {
  const std::lock_guard lock(mutex_);
  auto it = served_.find(std::string(request_id));
  if (it == served_.end()) {
    if (served_.size() >= max_request_ids_) {
      ++requests_untracked_;
      return;
    }
    it = served_.emplace(std::string(request_id), Served{}).first;
  }
  ++it->second.count;
  if (it->second.connections.size() < kMaxServedConnections) {
    it->second.connections.push_back(connection);
  }
}

void StatsRegistry::connection_closed(std::uint64_t id, std::size_t events) {
  std::vector<std::shared_ptr<ConnectionStats>> release;
  {
    const std::lock_guard lock(mutex_);
    closed_order_.push_back(Closed{id, events});
    closed_events_ += events;
    while (closed_order_.size() > kMaxClosedConnections) {
      closed_events_ -= closed_order_.front().events;
      connections_.erase(closed_order_.front().id);
      closed_order_.pop_front();
      released_upto_ = released_upto_ > 0 ? released_upto_ - 1 : 0;
    }
    // Over the budget: the oldest closed connections lose their timelines (their
    // counters stay). Each one is released once: amortised O(1) per close.
    while (closed_events_ > closed_timeline_events_ && released_upto_ + 1 < closed_order_.size()) {
      Closed& oldest = closed_order_[released_upto_++];
      closed_events_ -= oldest.events;
      oldest.events = 0;
      if (auto it = connections_.find(oldest.id); it != connections_.end()) {
        release.push_back(it->second);
      }
    }
  }
  // Outside the registry's lock (a connection's lock is never taken inside it).
  for (const auto& stats : release) {
    stats->release_timeline();
  }
}

bool trim_free_memory(bool force) {
  static std::atomic<std::int64_t> last_ms{std::numeric_limits<std::int64_t>::min() / 2};
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::int64_t before = last_ms.load();
  if (force) {
    last_ms.store(now);
  } else if (now - before < kTrimInterval.count() ||
             !last_ms.compare_exchange_strong(before, now)) {
    return false;  // trimmed recently, or another thread is trimming now
  }
  ::malloc_trim(0);
  return true;
}

std::uint64_t StatsRegistry::served(std::string_view request_id) const {
  const std::lock_guard lock(mutex_);
  auto it = served_.find(std::string(request_id));
  return it == served_.end() ? 0 : it->second.count;
}

std::vector<std::uint64_t> StatsRegistry::served_on(std::string_view request_id) const {
  const std::lock_guard lock(mutex_);
  auto it = served_.find(std::string(request_id));
  return it == served_.end() ? std::vector<std::uint64_t>{} : it->second.connections;
}

std::shared_ptr<ConnectionStats> StatsRegistry::find(std::uint64_t id) const {
  const std::lock_guard lock(mutex_);
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second;
}

void StatsRegistry::reset() {
  std::vector<std::shared_ptr<ConnectionStats>> open;
  {
    const std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->second->open()) {
        open.push_back(it->second);
        ++it;
      } else {
        it = connections_.erase(it);
      }
    }
    closed_order_.clear();
    closed_events_ = 0;
    released_upto_ = 0;
    requests_untracked_ = 0;
    rst_received_.clear();
    std::unordered_map<std::string, Served>().swap(served_);
    std::unordered_map<std::string, std::uint64_t>().swap(body_bytes_);
    faults_fired_.clear();
    guards_.clear();
    connections_total_ = 0;
    streams_total_ = 0;
    requests_total_ = 0;
    goaway_sent_ = 0;
  }
  for (const auto& stats : open) {
    stats->reset();
  }
  trim_free_memory(true);  // what the closed connections held goes back to the system
}

}  // namespace faultline::fake_server::detail
