// The skip rule over the whole catalogue: a check skips only for a capability its
// catalogue entry needs and the driver declares missing; when the fault it needs did
// not fire it fails. A check that skipped for anything else would turn a dodged fault
// into a ctest pass, so these tests fail as soon as one does.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "check_run.h"
#include "faultline/conformance/checks.h"

namespace faultline::conformance {
namespace {

using namespace std::chrono_literals;

constexpr Capability kDeclarable[] = {Capability::h2, Capability::idle_timer, Capability::trailers};

bool needs(const CheckInfo& check, Capability c) {
  return std::find(check.needs.begin(), check.needs.end(), c) != check.needs.end();
}

/** A driver that declares every capability present but cannot start: the check body
    runs up to the point where it needs the driver. */
DriverSpec declaring_everything() {
  DriverSpec d;
  d.name = "scripted";
  d.h2 = true;
  d.idle_timeout = 500ms;
  d.trailers = true;
  d.make = [](const std::filesystem::path&) -> std::unique_ptr<harness::Driver> {
    throw std::runtime_error("scripted driver: does not start");
  };
  return d;
}

/** The same, declaring `missing` absent. */
DriverSpec declaring_without(Capability missing) {
  auto d = declaring_everything();
  if (missing == Capability::h2) {
    d.h2 = false;
  } else if (missing == Capability::idle_timer) {
    d.idle_timeout = 0ms;
  } else if (missing == Capability::trailers) {
    d.trailers = false;
  } else if (missing == Capability::installed) {
    d.unavailable = "scripted: not installed";
  }
  return d;
}

/** An in-process driver whose hello is given; it serves nothing (every request fails). */
class HelloDriver final : public harness::Driver {
 public:
  explicit HelloDriver(harness::DriverInfo info) : info_(std::move(info)) {}
  [[nodiscard]] const harness::DriverInfo& hello() const override { return info_; }
  std::shared_ptr<harness::Exchange> send(harness::Request request) override {
    auto x = std::make_shared<harness::Exchange>(std::move(request));
    harness::Event e;
    e.type = harness::Event::Type::error;
    e.kind = harness::ErrorKind::other;
    e.message = "scripted driver serves nothing";
    x->push(e);
    return x;
  }
  void abort(std::uint64_t) override {}
  [[nodiscard]] harness::StatsResult stats(harness::Deadline) override {
    return {false, {}, "no counters"};
  }
  [[nodiscard]] std::string diagnostics() const override { return "scripted hello driver"; }

 private:
  harness::DriverInfo info_;
};

/** A spec that declares nothing itself: what it can do comes from `info` (its hello). */
DriverSpec from_hello(harness::DriverInfo info) {
  DriverSpec d;
  d.name = "external-scripted";
  d.make = [info](const std::filesystem::path&) {
    return std::unique_ptr<harness::Driver>(std::make_unique<HelloDriver>(info));
  };
  return d;
}

harness::DriverInfo hello(bool h2, std::optional<std::int64_t> idle_ms) {
  harness::DriverInfo info;
  info.protocol = 1;
  info.name = "scripted";
  info.version = "0";
  info.max_sessions = 1;
  info.max_streams = 1;
  info.h2 = h2;
  info.capabilities.idle_timeout_ms = idle_ms;
  return info;
}

TEST(Catalogue, NoCheckSkipsADriverThatDeclaresEverything) {
  const auto driver = declaring_everything();
  for (const auto& check : catalogue()) {
    const Verdict v = run_check(check, driver);
    EXPECT_EQ(v.outcome, Outcome::fail) << check.id << ": " << v.summary;
  }
}

TEST(Catalogue, ChecksSkipOnlyForTheCapabilitiesTheyNeed) {
  for (const auto c : kDeclarable) {
    const auto driver = declaring_without(c);
    for (const auto& check : catalogue()) {
      const Verdict v = run_check(check, driver);
      if (needs(check, c)) {
        EXPECT_EQ(v.outcome, Outcome::skip) << check.id << " without " << to_string(c);
        EXPECT_NE(v.summary.find(std::string(to_string(c))), std::string::npos) << v.summary;
        EXPECT_EQ(v.evidence.value("skipped_for", ""), to_string(c));
      } else {
        EXPECT_EQ(v.outcome, Outcome::fail)
            << check.id << " without " << to_string(c) << " (not needed): " << v.summary;
      }
    }
  }
  for (const auto& check : catalogue()) {
    EXPECT_EQ(run_check(check, declaring_without(Capability::installed)).outcome, Outcome::skip)
        << check.id;
  }
}

TEST(Catalogue, CapabilitiesDeclaredInTheHelloGateToo) {
  // Without h2 in its hello, every check needing h2 skips once the driver said so.
  const auto no_h2 = from_hello(hello(false, std::nullopt));
  const auto no_idle = from_hello(hello(true, 0));
  for (const auto& check : catalogue()) {
    if (needs(check, Capability::h2)) {
      const Verdict v = run_check(check, no_h2);
      EXPECT_EQ(v.outcome, Outcome::skip) << check.id << ": " << v.summary;
    }
    if (needs(check, Capability::idle_timer)) {
      const Verdict v = run_check(check, no_idle);
      EXPECT_EQ(v.outcome, Outcome::skip) << check.id << ": " << v.summary;
      // Not declared at all is not "declared missing": the check runs (and fails here).
      const Verdict undeclared = run_check(check, from_hello(hello(true, std::nullopt)));
      EXPECT_EQ(undeclared.outcome, Outcome::fail) << check.id << ": " << undeclared.summary;
    }
  }
}

TEST(Catalogue, ReceiveBackpressureDeclaredMissingInTheHelloSkips) {
  auto info = hello(true, std::nullopt);
  info.capabilities.receive_backpressure = false;
  for (const auto& check : catalogue()) {
    if (needs(check, Capability::receive_backpressure)) {
      const Verdict v = run_check(check, from_hello(info));
      EXPECT_EQ(v.outcome, Outcome::skip) << check.id << ": " << v.summary;
      EXPECT_EQ(v.evidence.value("skipped_for", ""), "receive_backpressure");
      // Not declared at all: the check runs (and fails against this driver).
      const Verdict undeclared = run_check(check, from_hello(hello(true, std::nullopt)));
      EXPECT_EQ(undeclared.outcome, Outcome::fail) << check.id << ": " << undeclared.summary;
    }
  }
}

TEST(Catalogue, ASkipForAnythingElseIsASuiteDefect) {
  const auto driver = declaring_everything();
  // A body that skips for a capability the driver declares present.
  CheckInfo bogus{"BOGUS-SKIP",
                  "test",
                  "skips without cause",
                  [](const DriverSpec&) -> Verdict {
                    throw detail::CheckSkipped{Capability::h2, "the server did not do it"};
                  },
                  {Capability::h2}};
  Verdict v = run_check(bogus, driver);
  EXPECT_EQ(v.outcome, Outcome::fail) << v.summary;
  EXPECT_NE(v.summary.find("suite defect"), std::string::npos) << v.summary;
  // A body that skips for a capability it does not list, even one declared missing.
  bogus.needs = {};
  v = run_check(bogus, declaring_without(Capability::h2));
  EXPECT_EQ(v.outcome, Outcome::fail) << v.summary;
  // A body that returns a skip verdict of its own.
  bogus.run = [](const DriverSpec&) {
    Verdict s;
    s.outcome = Outcome::skip;
    s.summary = "server does not inject it yet";
    return s;
  };
  v = run_check(bogus, driver);
  EXPECT_EQ(v.outcome, Outcome::fail) << v.summary;
  EXPECT_NE(v.summary.find("suite defect"), std::string::npos) << v.summary;
}

TEST(CheckRun, AWaitThatTimesOutSaysWhatItSawLast) {
  // Our transport against the default scenario: one request held at gate "hold".
  detail::CheckRun run(transport_driver_spec(false), std::string("default"));
  auto held = run.send(run.request("/hold", "held-once"));
  run.wait_held("hold", 1);
  // Asked for 2, the wait fails at its deadline naming the 1 it last saw.
  try {
    run.wait_held("hold", 2, 300ms);
    ADD_FAILURE() << "wait_held returned although the gate holds 1 stream";
  } catch (const detail::CheckFailed& failed) {
    EXPECT_NE(failed.why.find("hold to hold 2 streams"), std::string::npos) << failed.why;
    EXPECT_NE(failed.why.find("last seen: it holds 1"), std::string::npos) << failed.why;
  }
  auto released = run.admin().release("hold");
  ASSERT_TRUE(released.ok()) << released.describe();
  EXPECT_TRUE(held->wait_done(detail::kWait).ok);
}

TEST(Catalogue, IdsAreUniqueAndNeedsAreDeclarable) {
  for (const auto& check : catalogue()) {
    EXPECT_EQ(std::count_if(catalogue().begin(), catalogue().end(),
                            [&](const CheckInfo& c) { return c.id == check.id; }),
              1)
        << check.id;
    for (const auto c : check.needs) {
      EXPECT_NE(c, Capability::installed) << check.id << ": installed is implied";
    }
  }
}

}  // namespace
}  // namespace faultline::conformance
