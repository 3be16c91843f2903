// The gate registry's bookkeeping: release orders, cancel, and the work each costs
// (counted in entries visited, not timed).
#include "detail/gates.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace faultline::fake_server::detail {
namespace {

class GatesTest : public ::testing::Test {
 protected:
  /** Holds n streams at gate `name`; each one records its index in released_ when woken. */
  std::vector<GateRegistry::Ticket> hold(const std::string& name, std::size_t n) {
    std::vector<GateRegistry::Ticket> tickets;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t index = next_++;
      tickets.push_back(gates_.hold(name, [this, index] { released_.push_back(index); }));
    }
    return tickets;
  }

  GateRegistry gates_;
  std::vector<std::size_t> released_;
  std::size_t next_ = 0;
};

TEST_F(GatesTest, ArrivalOrderReleasesTheOldestFirstAndCancelledOnesNever) {
  const auto tickets = hold("g", 5);
  EXPECT_TRUE(gates_.cancel(tickets[1]));
  EXPECT_FALSE(gates_.cancel(tickets[1]));  // already gone
  EXPECT_EQ(gates_.release("g", 2), 2u);
  EXPECT_EQ(released_, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(gates_.release("g", std::nullopt), 2u);
  EXPECT_EQ(released_, (std::vector<std::size_t>{0, 2, 3, 4}));
  EXPECT_FALSE(gates_.cancel(tickets[4]));  // released, not cancellable
  EXPECT_EQ(gates_.held_total(), 0u);
}

TEST_F(GatesTest, ReverseAndRandomOrdersFollowTheScenarioDefinition) {
  scenarios::GateConfig reverse;
  reverse.order = scenarios::GateOrder::reverse;
  scenarios::GateConfig random;
  random.order = scenarios::GateOrder::random;
  random.seed = 42;
  gates_.configure({{"rev", reverse}, {"rnd", random}});

  (void)hold("rev", 4);
  EXPECT_EQ(gates_.release("rev", 3), 3u);
  EXPECT_EQ(released_, (std::vector<std::size_t>{3, 2, 1}));

  released_.clear();
  next_ = 0;
  (void)hold("rnd", 10);
  EXPECT_EQ(gates_.release("rnd", std::nullopt), 10u);
  // The order is release_order's, index for index.
  const std::vector<std::size_t> expected = scenarios::release_order(random, 10);
  EXPECT_EQ(released_, expected);
}

TEST_F(GatesTest, ReleaseWhenHeldReleasesEverythingOnceFull) {
  scenarios::GateConfig batch;
  batch.release_when_held = 3;
  gates_.configure({{"b", batch}});
  (void)hold("b", 2);
  EXPECT_TRUE(released_.empty());
  (void)hold("b", 1);
  EXPECT_EQ(released_, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(gates_.held("b"), 0u);
}

// A connection closing with n held streams cancels each of them: every cancel must
// touch its own entry only. A linear search (the old O(n^2) close) would visit about
// n^2/2 entries here.
TEST_F(GatesTest, CancellingManyHeldStreamsVisitsEachEntryOnce) {
  constexpr std::size_t kStreams = 20000;
  auto tickets = hold("a", kStreams);
  const auto other = hold("b", kStreams);
  std::shuffle(tickets.begin(), tickets.end(), std::mt19937_64(7));
  const std::uint64_t before = gates_.entries_visited();
  for (const auto ticket : tickets) {
    ASSERT_TRUE(gates_.cancel(ticket));
  }
  EXPECT_EQ(gates_.entries_visited() - before, kStreams);
  EXPECT_EQ(gates_.held("a"), 0u);
  EXPECT_EQ(gates_.held("b"), kStreams);
  EXPECT_EQ(gates_.held_total(), kStreams);
  EXPECT_TRUE(gates_.cancel(other.back()));
}

// Releasing one stream at a time from a full gate: each release takes one entry (the
// old registry copied every remaining entry on each release).
TEST_F(GatesTest, ReleasingOneAtATimeVisitsOnlyTheReleasedEntries) {
  constexpr std::size_t kStreams = 20000;
  (void)hold("a", kStreams);
  const std::uint64_t before = gates_.entries_visited();
  for (std::size_t i = 0; i < kStreams; ++i) {
    ASSERT_EQ(gates_.release("a", 1), 1u);
  }
  EXPECT_EQ(gates_.entries_visited() - before, kStreams);
  ASSERT_EQ(released_.size(), kStreams);
  EXPECT_TRUE(std::is_sorted(released_.begin(), released_.end()));
}

}  // namespace
}  // namespace faultline::fake_server::detail
