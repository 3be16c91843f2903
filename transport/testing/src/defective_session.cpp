// TEST ONLY: a session wrapped around a production one (or a unit test's fake) that
// changes what it reports to the pool or does for it, one defect at a time.
#include <map>

#include "defect_injector.h"
#include "detail/exchange.h"

namespace faultline::transport::testing {
namespace {

/** Stands between one session and its pool: the pool sees this wrapper as the session,
    the session sees it as its pool. Owned by the pool; the inner session by it. */
class DefectiveSession final : public detail::Session, public detail::SessionEvents {
 public:
  DefectiveSession(std::shared_ptr<DefectInjector> injector, detail::Scheduler& scheduler,
                   const detail::Url& origin, detail::SessionId id, detail::SessionEvents& pool)
      : injector_(std::move(injector)),
        scheduler_(scheduler),
        origin_(origin),
        id_(id),
        pool_(pool) {}

  ~DefectiveSession() override {
    *alive_ = false;
    injector_->forget_session(origin_, id_);
  }

  void set_inner(std::unique_ptr<detail::Session> inner) { inner_ = std::move(inner); }

  // detail::Session (from the pool)
  void start() override { inner_->start(); }

  bool submit(const std::shared_ptr<detail::Exchange>& exchange) override {
    if (!inner_->submit(exchange)) {
      injector_->on_session_lost(origin_);
      return false;
    }
    open_[exchange->placement.stream_id] = {exchange, exchange->attempt};
    return true;
  }

  void cancel(const detail::Exchange& exchange) override {
    if (injector_->has(Defects::no_rst_on_abort)) {
      return;  // the stream stays open on the wire
    }
    inner_->cancel(exchange);
  }

  void resume(const detail::Exchange& exchange) override { inner_->resume(exchange); }

  void close() override {
    closed_ = true;
    inner_->close();
  }

  void check_alive() override { inner_->check_alive(); }

  // detail::SessionEvents (from the inner session)
  void on_session_ready(detail::SessionId id, std::uint32_t max_concurrent_streams) override {
    pool_.on_session_ready(id, stream_limit(max_concurrent_streams));
  }

  void on_session_settings(detail::SessionId id, std::uint32_t max_concurrent_streams) override {
    if (injector_->has(Defects::stale_stream_limit)) {
      return;  // the first SETTINGS' limit stays
    }
    pool_.on_session_settings(id, stream_limit(max_concurrent_streams));
  }

  void on_session_goaway(detail::SessionId id, std::int32_t last_stream_id,
                         std::uint32_t error_code) override {
    injector_->on_session_lost(origin_);
    pool_.on_session_goaway(id, last_stream_id, error_code);
    if (injector_->has(Defects::close_on_goaway)) {
      // Once the bytes that brought the GOAWAY are processed, before anything else.
      scheduler_.post([this, alive = std::weak_ptr<bool>(alive_)] {
        if (auto a = alive.lock(); a && *a) {
          close_at_once();
        }
      });
    }
  }

  void on_stream_closed(detail::SessionId id, std::shared_ptr<detail::Exchange> exchange,
                        std::uint32_t attempt, detail::Outcome outcome) override {
    forget_stream(*exchange, attempt);
    pool_.on_stream_closed(id, std::move(exchange), attempt, rewrite(std::move(outcome)));
  }

  void on_session_closed(detail::SessionId id, CloseReason reason, std::error_code error,
                         std::string detail) override {
    injector_->on_session_lost(origin_);
    pool_.on_session_closed(id, reason, error, std::move(detail));
  }

 private:
  struct OpenStream {
    std::shared_ptr<detail::Exchange> exchange;
    std::uint32_t attempt = 0;
  };

  [[nodiscard]] std::uint32_t stream_limit(std::uint32_t server_limit) const {
    return injector_->has(Defects::ignore_server_stream_limit) ? UINT32_MAX : server_limit;
  }

  /** surface_refused_stream, no_goaway_retry: a retryable end becomes a hard error. */
  [[nodiscard]] detail::Outcome rewrite(detail::Outcome outcome) const {
    if (outcome.kind != detail::Outcome::Kind::unprocessed) {
      return outcome;
    }
    if (outcome.refused && injector_->has(Defects::surface_refused_stream)) {
      return detail::Outcome::failed_with(errc::stream_reset, "RST_STREAM REFUSED_STREAM");
    }
    if (!outcome.refused && injector_->has(Defects::no_goaway_retry)) {
      return detail::Outcome::failed_with(errc::session_lost, outcome.detail);
    }
    return outcome;
  }

  void forget_stream(const detail::Exchange& exchange, std::uint32_t attempt) {
    for (auto it = open_.begin(); it != open_.end(); ++it) {
      if (it->second.exchange.get() == &exchange && it->second.attempt == attempt) {
        open_.erase(it);
        return;
      }
    }
  }

  /** close_on_goaway: the session closes now, failing the streams it promised to finish. */
  void close_at_once() {
    if (closed_ || gone_) {
      return;
    }
    gone_ = true;
    inner_->close();  // nothing more comes from it
    const std::string detail = "closed at once on GOAWAY";
    auto open = std::move(open_);
    open_.clear();
    for (auto& [stream_id, stream] : open) {
      pool_.on_stream_closed(id_, std::move(stream.exchange), stream.attempt,
                             detail::Outcome::failed_with(errc::session_lost, detail));
    }
    pool_.on_session_closed(id_, CloseReason::goaway, make_error_code(errc::session_lost), detail);
  }

  std::shared_ptr<DefectInjector> injector_;
  detail::Scheduler& scheduler_;
  detail::Url origin_;
  detail::SessionId id_;
  detail::SessionEvents& pool_;
  std::unique_ptr<detail::Session> inner_;
  std::map<std::int32_t, OpenStream> open_;  ///< submitted and not reported closed, by stream id
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool closed_ = false;  ///< the pool closed it
  bool gone_ = false;    ///< closed at once on GOAWAY
};

}  // namespace

bool DefectInjector::has_session_defect(Defects defects) noexcept {
  for (const auto flag :
       {Defects::ignore_server_stream_limit, Defects::stale_stream_limit, Defects::no_rst_on_abort,
        Defects::surface_refused_stream, Defects::no_goaway_retry, Defects::close_on_goaway,
        Defects::no_replacement_sessions, Defects::fatal_late_frames,
        Defects::ignore_settings_window_raise}) {
    if (defects.has(flag)) {
      return true;
    }
  }
  return false;
}

detail::SessionFactory DefectInjector::wrap(std::shared_ptr<DefectInjector> injector,
                                            detail::SessionFactory inner,
                                            detail::Scheduler& scheduler) {
  if (!has_session_defect(injector->defects_)) {
    return inner;
  }
  return [injector = std::move(injector), inner = std::move(inner), &scheduler](
             const detail::Url& origin, detail::SessionId id, detail::SessionEvents& pool) {
    auto session = std::make_unique<DefectiveSession>(injector, scheduler, origin, id, pool);
    session->set_inner(inner(origin, id, *session));
    return std::unique_ptr<detail::Session>(std::move(session));
  };
}

}  // namespace faultline::transport::testing
