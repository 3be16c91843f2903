// The server's I/O threads run here: a handler that throws must not end the process.
#pragma once

#include <boost/asio/io_context.hpp>

#include <exception>

#include "detail/log.h"

namespace faultline::fake_server::detail {

/** io.run() until it returns normally. An exception escaping a handler (every
    connection step is already guarded; this is the last line) is logged and the loop
    goes on with the next handler. */
inline void run_io_loop(boost::asio::io_context& io, const char* component) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      FAULTLINE_LOG(error, (LogTag{component}), "handler failed: " << e.what());
    } catch (...) {
      FAULTLINE_LOG(error, (LogTag{component}), "handler failed (unknown exception)");
    }
  }
}

}  // namespace faultline::fake_server::detail
