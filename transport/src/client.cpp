#include "faultline/transport/client.h"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <stdexcept>
#include <thread>

#include "detail/asio_scheduler.h"
#include "detail/client_access.h"
#include "detail/curl_backend.h"
#include "detail/engine.h"
#include "detail/h2_session.h"
#include "detail/limits.h"
#include "detail/tls_context.h"

namespace faultline::transport {

namespace asio = boost::asio;

namespace {

void check(const Options& options) {
  if (options.max_sessions_per_origin == 0) {
    throw std::invalid_argument("max_sessions_per_origin must be at least 1");
  }
  if (options.max_streams_per_session == 0) {
    throw std::invalid_argument("max_streams_per_session must be at least 1");
  }
  if (options.connect_timeout.count() <= 0) {
    throw std::invalid_argument("connect_timeout must be positive");
  }
  if (options.queue_limit == 0) {
    throw std::invalid_argument("queue_limit must be at least 1");
  }
  if (options.ping_timeout.count() <= 0) {
    throw std::invalid_argument("ping_timeout must be positive");
  }
  if (options.max_response_header_bytes == 0 ||
      options.max_response_header_bytes > detail::kMaxHeaderListSetting) {
    throw std::invalid_argument("max_response_header_bytes must be 1 .. 2^32-1");
  }
}

}  // namespace

/** The loop and everything on it. Members are destroyed after the thread is joined. */
struct Client::Impl {
  Impl(Options opts, detail::TestSetup setup)
      : options(std::move(opts)), work(asio::make_work_guard(io)), hooks(std::move(setup.hooks)) {
    check(options);
    tls = detail::make_client_tls_context(options.tls);
    h2_config.connect_timeout = options.connect_timeout;
    h2_config.ping_interval = options.ping_interval;
    h2_config.ping_timeout = options.ping_timeout;
    h2_config.max_response_header_bytes = options.max_response_header_bytes;
    h2_config.verify_peer = options.tls.verify_peer;
    h2_config.hooks = hooks.get();
    h2_config.log = options.log;
    h2_config.log_level = options.log_level;
    scheduler = std::make_unique<detail::AsioScheduler>(io);
    detail::SessionFactory sessions = [this](const detail::Url& origin, detail::SessionId id,
                                             detail::SessionEvents& events) {
      return detail::make_h2_session(io, *tls, h2_config, origin, id, events);
    };
    if (setup.wrap_sessions) {
      sessions = setup.wrap_sessions(std::move(sessions), *scheduler);
    }
    engine =
        std::make_unique<detail::Engine>(options, *scheduler, std::move(sessions), hooks.get());
    engine->set_http11_backend(
        detail::make_curl_backend(io, engine->options(), engine->counters(), hooks.get()));
    thread = std::thread([this] { io.run(); });
  }

  ~Impl() {
    // Complete every pending request on the loop, then stop it.
    std::promise<void> done;
    asio::post(io, [this, &done] {
      engine->shutdown();
      done.set_value();
    });
    done.get_future().wait();
    work.reset();
    io.stop();
    thread.join();
    engine.reset();
    scheduler.reset();
  }

  template <typename Fn>
  void run_on_loop(Fn&& fn) {
    asio::post(io, std::forward<Fn>(fn));
  }

  Options options;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::unique_ptr<asio::ssl::context> tls;
  std::shared_ptr<detail::Hooks> hooks;  ///< test builds only
  detail::H2SessionConfig h2_config;
  std::unique_ptr<detail::AsioScheduler> scheduler;
  std::unique_ptr<detail::Engine> engine;
  std::atomic<RequestId> next_id{1};
  std::thread thread;
};

Client::Client(Options options)
    : impl_(std::make_unique<Impl>(std::move(options), detail::TestSetup{})) {}
Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

RequestId Client::send(Request request, Handlers handlers) {
  const RequestId id = impl_->next_id.fetch_add(1, std::memory_order_relaxed);
  impl_->run_on_loop([impl = impl_.get(), id, request = std::move(request),
                      handlers = std::move(handlers)]() mutable {
    impl->engine->start(id, std::move(request), std::move(handlers));
  });
  return id;
}

std::future<Result> Client::send(Request request) {
  auto promise = std::make_shared<std::promise<Result>>();
  auto future = promise->get_future();
  Handlers handlers;
  handlers.on_complete = [promise](Result&& result) { promise->set_value(std::move(result)); };
  send(std::move(request), std::move(handlers));
  return future;
}

void Client::abort(RequestId id) {
  impl_->run_on_loop([impl = impl_.get(), id] { impl->engine->abort(id); });
}

void Client::pause(RequestId id) {
  impl_->run_on_loop([impl = impl_.get(), id] { impl->engine->pause(id); });
}

void Client::resume(RequestId id) {
  impl_->run_on_loop([impl = impl_.get(), id] { impl->engine->resume(id); });
}

Stats Client::stats() const {
  if (impl_->io.get_executor().running_in_this_thread()) {
    return impl_->engine->stats();
  }
  std::promise<Stats> promise;
  auto future = promise.get_future();
  impl_->run_on_loop([impl = impl_.get(), &promise] { promise.set_value(impl->engine->stats()); });
  return future.get();
}

const Options& Client::options() const noexcept {
  return impl_->options;
}

namespace detail {

Client ClientAccess::make(Options options, TestSetup setup) {
  return Client(std::make_unique<Client::Impl>(std::move(options), std::move(setup)));
}

}  // namespace detail
}  // namespace faultline::transport
