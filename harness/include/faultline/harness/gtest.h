// GoogleTest adapters for the harness's results. Header-only, so that the harness
// library itself does not depend on GoogleTest; include it from tests only.
#pragma once

#include <gtest/gtest.h>

#include "faultline/harness/admin_client.h"
#include "faultline/harness/driver.h"
#include "faultline/harness/exchange.h"
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

}  // namespace faultline::harness
