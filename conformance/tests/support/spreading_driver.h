// TEST ONLY: a scripted driver that dodges per-connection faults by spreading its
// requests round-robin over several one-connection clients of our transport. The proofs
// use it to show that a check's fault still fires (and the check still fails a defect)
// against a pool shaped to avoid it.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "faultline/conformance/checks.h"
#include "faultline/harness/driver.h"
#include "transport_driver.h"

namespace faultline::conformance::testing {

/** `lanes` TransportDrivers of one session each; request i goes to lane i % lanes. */
class SpreadingDriver final : public harness::Driver {
 public:
  SpreadingDriver(TransportDriverOptions base, int lanes);

  [[nodiscard]] const harness::DriverInfo& hello() const override { return info_; }
  std::shared_ptr<harness::Exchange> send(harness::Request request) override;
  void abort(std::uint64_t id) override;
  /** No counters of its own (each lane's transport counts only its own connection). */
  [[nodiscard]] harness::StatsResult stats(harness::Deadline deadline) override;
  [[nodiscard]] std::string diagnostics() const override;

 private:
  harness::DriverInfo info_;
  std::vector<std::unique_ptr<TransportDriver>> lanes_;
  std::atomic<std::uint64_t> next_id_{1};
  std::mutex mutex_;
  std::map<std::uint64_t, std::size_t> lane_of_;
};

/** The spec of a SpreadingDriver over our h2 transport with `defects`. */
[[nodiscard]] DriverSpec spreading_driver_spec(int lanes, transport::testing::Defects defects = {});

}  // namespace faultline::conformance::testing
