// The fake server's logger during fuzzing: off, so that rejected inputs (warnings,
// one per input) do not cost more than the input itself; FAULTLINE_FUZZ_LOG=LEVEL
// turns it back on to see what an input did.
#pragma once

#include <cstdlib>

#include "detail/log.h"

namespace faultline::fake_server::fuzz {

inline void quiet_logs() {
  static const bool done = [] {
    const char* level = std::getenv("FAULTLINE_FUZZ_LOG");
    detail::logger().set_level(level
                                   ? detail::parse_log_level(level).value_or(detail::LogLevel::off)
                                   : detail::LogLevel::off);
    return true;
  }();
  (void)done;
}

}  // namespace faultline::fake_server::fuzz
