// The one back door into Client: used by faultline_transport_testing to build a Client
// with test-only hook points and sessions. Not part of the public headers.
#pragma once

#include <functional>
#include <memory>

#include "detail/hooks.h"
#include "detail/scheduler.h"
#include "detail/session.h"
#include "faultline/transport/client.h"

namespace faultline::transport::detail {

/** What a test build changes in a Client: hook points, and sessions wrapped around the
    production ones. Both empty: a production Client. */
struct TestSetup {
  std::shared_ptr<Hooks> hooks;
  /** Given the production session factory and the loop's scheduler, the factory the
      pools use. */
  std::function<SessionFactory(SessionFactory, Scheduler&)> wrap_sessions;
};

struct ClientAccess {
  [[nodiscard]] static Client make(Options options, TestSetup setup);
};

}  // namespace faultline::transport::detail
