// The parallel runner over made-up checks: cells overlap, yet the listener and the rows
// keep the matrix's order, and the runs of one cell stay on one thread, one at a time.
#include "cell_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace faultline::conformance::runner {
namespace {

using namespace std::chrono_literals;

DriverSpec driver(const std::string& name) {
  DriverSpec d;
  d.name = name;
  return d;
}

/** The (check, driver, run) triples a listener saw, in order. */
struct Seen {
  std::vector<std::string> lines;
  RunListener listener() {
    return [this](const CheckInfo& c, const DriverSpec& d, int run, int, const Verdict& v) {
      lines.push_back(c.id + " " + d.name + " " + std::to_string(run) + " " +
                      std::string(faultline::conformance::to_string(v.outcome)));
    };
  }
};

TEST(CellRunner, CellsOverlapButTheListenerKeepsTheMatrixOrder) {
  std::mutex m;
  std::condition_variable cv;
  bool b_done = false;
  std::vector<std::string> finished;
  CheckInfo check{"X-ONE", "test", "made up", nullptr, {}};
  check.run = [&](const DriverSpec& d) {
    std::unique_lock lock(m);
    if (d.name == "a") {
      // Cell a ends only after cell b: it waits for b, with a deadline.
      EXPECT_TRUE(cv.wait_for(lock, 10s, [&] { return b_done; })) << "cell b never ran beside a";
    }
    if (d.name == "b") {
      b_done = true;
      cv.notify_all();
    }
    finished.push_back(d.name);
    Verdict v;
    v.outcome = d.name == "c" ? Outcome::fail : Outcome::pass;
    return v;
  };
  Seen seen;
  const auto rows =
      run_cells({&check}, {driver("a"), driver("b"), driver("c")}, 1, 3, seen.listener());
  ASSERT_EQ(finished.size(), 3u);
  EXPECT_NE(finished.front(), "a") << "cell a finished first: the cells did not overlap";
  EXPECT_EQ(seen.lines,
            (std::vector<std::string>{"X-ONE a 1 pass", "X-ONE b 1 pass", "X-ONE c 1 FAIL"}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].results.at("c").outcome(), CellOutcome::fail);
}

TEST(CellRunner, TheRunsOfACellFollowOneAnotherOnOneThread) {
  std::mutex m;
  std::map<std::string, std::set<std::thread::id>> threads;
  std::map<std::string, int> running;
  bool overlapped = false;
  CheckInfo one{"X-ONE", "test", "made up", nullptr, {}};
  CheckInfo two{"X-TWO", "test", "made up", nullptr, {}};
  int calls = 0;
  auto body = [&](const std::string& id) {
    return [&, id](const DriverSpec& d) {
      const auto key = id + "/" + d.name;
      {
        std::lock_guard lock(m);
        threads[key].insert(std::this_thread::get_id());
        overlapped = overlapped || running[key]++ > 0;
      }
      Verdict v;
      std::lock_guard lock(m);
      --running[key];
      v.outcome = (calls++ % 2 == 0) ? Outcome::pass : Outcome::fail;
      return v;
    };
  };
  one.run = body(one.id);
  two.run = body(two.id);
  Seen seen;
  const auto rows = run_cells({&one, &two}, {driver("a"), driver("b")}, 3, 4, seen.listener());
  EXPECT_FALSE(overlapped);
  ASSERT_EQ(threads.size(), 4u);
  for (const auto& [key, ids] : threads) {
    EXPECT_EQ(ids.size(), 1u) << key;
  }
  ASSERT_EQ(seen.lines.size(), 12u);
  EXPECT_EQ(seen.lines[0].substr(0, 9), "X-ONE a 1");
  EXPECT_EQ(seen.lines[2].substr(0, 9), "X-ONE a 3");
  EXPECT_EQ(seen.lines[11].substr(0, 9), "X-TWO b 3");
  EXPECT_EQ(rows[1].results.at("b").runs.size(), 3u);
}

TEST(CellRunner, OneJobAndManyJobsGiveTheSameRows) {
  CheckInfo one{"X-ONE", "test", "made up", nullptr, {}};
  one.run = [](const DriverSpec& d) {
    Verdict v;
    v.outcome = d.name == "b" ? Outcome::fail : Outcome::pass;
    v.summary = "on " + d.name;
    return v;
  };
  const std::vector<DriverSpec> drivers = {driver("a"), driver("b"), driver("c")};
  const auto sequential = run_cells({&one}, drivers, 2, 1, nullptr);
  const auto parallel = run_cells({&one}, drivers, 2, 3, nullptr);
  for (const auto& d : drivers) {
    EXPECT_EQ(sequential[0].results.at(d.name).label(), parallel[0].results.at(d.name).label());
    EXPECT_EQ(sequential[0].results.at(d.name).representative().summary, "on " + d.name);
  }
  EXPECT_GE(default_jobs(), 1);
}

}  // namespace
}  // namespace faultline::conformance::runner
