// The HTTP/1.1 side of the transport, behind an interface so the engine's unit tests
// run without libcurl or sockets.
#pragma once

#include <memory>

#include "detail/exchange.h"

namespace faultline::transport::detail {

/** Carries attempts over HTTP/1.1. Loop thread only. */
class Http11Backend {
 public:
  virtual ~Http11Backend() = default;
  /** Starts the exchange's current attempt. Reports through Exchange::on_* with that
      attempt number, never from inside this call; ends with on_attempt_end. */
  virtual void start(const std::shared_ptr<Exchange>& exchange) = 0;
  /** Stops the exchange's transfer; no event follows for it. */
  virtual void cancel(Exchange& exchange) = 0;
  /** The exchange's consumer is back (Exchange::paused was cleared): a transfer paused
      for it continues. */
  virtual void resume(Exchange& exchange) { (void)exchange; }
  /** Stops every transfer and closes every connection; no event follows. */
  virtual void shutdown() = 0;
};

}  // namespace faultline::transport::detail
