// GoogleTest support for every module's tests: adapters for the harness's results and
// eventually(). Header-only, so that the harness library itself does not depend on
// GoogleTest; include it from tests only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "faultline/harness/admin_client.h"
#include "faultline/harness/deadline.h"
#include "faultline/harness/driver.h"
#include "faultline/harness/exchange.h"
#include "faultline/harness/limits.h"
#include "faultline/harness/server_process.h"

namespace faultline::harness {

/** A result with `ok` and `description` as an AssertionResult carrying the description. */
template <class Result>
[[nodiscard]] ::testing::AssertionResult to_assertion(const Result& result) {
  auto out = result.ok ? ::testing::AssertionSuccess() : ::testing::AssertionFailure();
  return out << result.description;
}

[[nodiscard]] inline ::testing::AssertionResult to_assertion(const NextResult& result) {
  return result ? ::testing::AssertionSuccess()
                : ::testing::AssertionFailure() << result.description;
}

[[nodiscard]] inline ::testing::AssertionResult to_assertion(const AdminResponse& response) {
  auto out = response.ok() ? ::testing::AssertionSuccess() : ::testing::AssertionFailure();
  return out << response.describe();
}

/** Polls `probe` every kEventuallyPoll until it holds or the deadline passes, for state
    that has no push channel (another process's counters, a peer's stats). `probe`
    returns bool, or an AssertionResult whose message says what it saw. The failure names
    `what`, how long it waited, how many times it looked and what it saw last. */
template <class Probe>
[[nodiscard]] ::testing::AssertionResult eventually(Probe&& probe, Deadline deadline,
                                                    std::string_view what) {
  const auto start = Deadline::Clock::now();
  int polls = 0;
  for (;;) {
    ++polls;
    const bool last = deadline.passed();
    ::testing::AssertionResult seen = [&]() -> ::testing::AssertionResult {
      if constexpr (std::is_same_v<std::decay_t<decltype(probe())>, ::testing::AssertionResult>) {
        return probe();
      } else {
        return static_cast<bool>(probe()) ? ::testing::AssertionSuccess()
                                          : ::testing::AssertionFailure();
      }
    }();
    if (seen) {
      return ::testing::AssertionSuccess();
    }
    if (last) {
      const auto waited =
          std::chrono::duration_cast<std::chrono::milliseconds>(Deadline::Clock::now() - start);
      auto failure = ::testing::AssertionFailure()
                     << "not within " << waited.count() << " ms (" << polls << " polls): " << what;
      const std::string saw = seen.message();
      if (!saw.empty()) {
        failure << "; last seen: " << saw;
      }
      return failure;
    }
    // Bounded by the deadline: the state belongs to another process or thread.
    std::this_thread::sleep_for(std::min(kEventuallyPoll, deadline.remaining()));
  }
}

}  // namespace faultline::harness
