// A fixture that runs the engine with fake sessions, a fake HTTP/1.1 backend and a
// manual clock, and records every completion.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "defect_injector.h"
#include "detail/engine.h"
#include "faultline/transport/testing/defects.h"
#include "support/fakes.h"

namespace faultline::transport::testing_support {

class EngineFixture : public ::testing::Test {
 protected:
  /** (Re)creates the engine, with `defects` injected as a Client would have them; call
      before sending when the defaults do not fit. */
  void make_engine(Options options = {}, testing::Defects defects = {}) {
    engine_.reset();
    options.log = nullptr;
    auto setup = testing::DefectInjector::setup(defects);
    auto sessions = factory_.factory();
    if (setup.wrap_sessions) {
      sessions = setup.wrap_sessions(std::move(sessions), scheduler_);
    }
    hooks_ = setup.hooks;
    engine_ =
        std::make_unique<detail::Engine>(options, scheduler_, std::move(sessions), hooks_.get());
    auto http11 = std::make_unique<FakeHttp11>(scheduler_);
    http11_ = http11.get();
    engine_->set_http11_backend(std::move(http11));
  }

  /** Sends `request`; completions land in results_[id]. */
  std::uint64_t send(Request request) {
    if (!engine_) {
      make_engine();
    }
    const auto id = next_id_++;
    Handlers handlers;
    handlers.on_headers = [this, id](const ResponseHead& head) { heads_[id] = head; };
    handlers.on_complete = [this, id](Result&& result) {
      EXPECT_EQ(results_.count(id), 0U) << "request " << id << " completed twice";
      results_[id] = std::move(result);
    };
    engine_->start(id, std::move(request), std::move(handlers));
    return id;
  }
  std::uint64_t get(const std::string& url = "https://a.test/x") {
    Request request;
    request.url = url;
    return send(std::move(request));
  }
  /** A GET of https://a.test/x with a deadline of its own. */
  std::uint64_t get_within(std::chrono::milliseconds timeout) {
    Request request;
    request.url = "https://a.test/x";
    request.timeout = timeout;
    return send(std::move(request));
  }
  std::uint64_t post(const std::string& url, const std::string& body) {
    Request request;
    request.method = "POST";
    request.url = url;
    request.body = Body::bytes(body);
    return send(std::move(request));
  }

  [[nodiscard]] bool done(std::uint64_t id) const { return results_.count(id) != 0; }
  [[nodiscard]] std::error_code error_of(std::uint64_t id) const {
    const auto it = results_.find(id);
    return it == results_.end() ? std::error_code{} : it->second.error;
  }
  [[nodiscard]] std::size_t completed_ok() const {
    std::size_t n = 0;
    for (const auto& [id, r] : results_) {
      n += r.ok() ? 1 : 0;
    }
    return n;
  }
  FakeSession& session(std::size_t index) { return *factory_.sessions.at(index); }
  [[nodiscard]] std::size_t sessions_created() const { return factory_.sessions.size(); }
  [[nodiscard]] Stats stats() const { return engine_->stats(); }

  ManualScheduler scheduler_;
  FakeSessionFactory factory_{scheduler_};
  FakeHttp11* http11_ = nullptr;
  std::map<std::uint64_t, Result> results_;
  std::map<std::uint64_t, ResponseHead> heads_;
  std::uint64_t next_id_ = 1;
  std::shared_ptr<detail::Hooks> hooks_;
  std::unique_ptr<detail::Engine> engine_;  // last: destroyed first, completing into the above
};

}  // namespace faultline::transport::testing_support
