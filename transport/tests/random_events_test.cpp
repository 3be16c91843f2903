// The pool under session events in any order: random interleavings of requests,
// SETTINGS, GOAWAY, REFUSED_STREAM, resets, connection loss, connect failures, aborts
// and time. Whatever happens, the invariants hold and every request completes exactly
// once, by its deadline.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "support/engine_fixture.h"

namespace faultline::transport {
namespace {

using namespace std::chrono_literals;
using testing_support::EngineFixture;
using testing_support::FakeSession;

class RandomEvents : public EngineFixture, public ::testing::WithParamInterface<unsigned> {
 protected:
  static constexpr std::size_t kSessions = 3;
  static constexpr std::uint32_t kCap = 8;

  /** A live session the pool still uses (not closed by it, not gone on its own). */
  FakeSession* pick_live(std::mt19937& rng) {
    std::vector<FakeSession*> live;
    for (auto* s : factory_.sessions) {
      if (!s->closed && !s->gone) {
        live.push_back(s);
      }
    }
    if (live.empty()) {
      return nullptr;
    }
    return live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(rng)];
  }
  static std::int32_t pick_stream(FakeSession& s, std::mt19937& rng) {
    auto it = s.streams.begin();
    std::advance(it, std::uniform_int_distribution<std::size_t>(0, s.streams.size() - 1)(rng));
    return it->first;
  }
  void check_invariants() {
    std::map<std::string, std::size_t> live_per_origin;
    for (auto* s : factory_.sessions) {
      ASSERT_FALSE(s->over_limit) << "session " << s->id << " got a stream beyond its limit";
      ASSERT_LE(s->open_streams(), kCap);
      if (!s->closed && !s->gone) {
        ++live_per_origin[s->origin.origin()];
      }
    }
    for (const auto& [origin, live] : live_per_origin) {
      ASSERT_LE(live, kSessions) << "more live sessions than the pool limit for " << origin;
    }
  }
};

TEST_P(RandomEvents, InvariantsHoldAndEveryRequestCompletesOnce) {
  Options options;
  options.max_sessions_per_origin = kSessions;
  options.max_streams_per_session = kCap;
  options.max_retries = 2;
  options.idle_timeout = 3s;
  make_engine(options);
  std::mt19937 rng(GetParam());
  auto roll = [&rng](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  std::vector<std::uint64_t> ids;
  std::vector<std::unique_ptr<AbortController>> aborts;

  for (int step = 0; step < 400; ++step) {
    FakeSession* s = pick_live(rng);
    switch (roll(12)) {
      case 0:
      case 1: {  // a request, sometimes a buffered POST, always with a deadline
        aborts.push_back(std::make_unique<AbortController>());
        Request request;
        request.url = roll(4) == 0 ? "https://b.test/x" : "https://a.test/x";
        request.timeout = std::chrono::milliseconds(200 + roll(2000));
        request.abort = aborts.back()->signal();
        if (roll(3) == 0) {
          request.method = "POST";
          request.body = Body::bytes("body");
        }
        ids.push_back(send(std::move(request)));
        break;
      }
      case 2:  // the first SETTINGS of a connecting session, any limit including 0
        for (auto* c : factory_.sessions) {
          if (!c->closed && !c->gone && c->submitted == 0 && c->limit == UINT32_MAX) {
            c->ready(static_cast<std::uint32_t>(roll(12)));
            break;
          }
        }
        break;
      case 3:
        if (s != nullptr && s->limit != UINT32_MAX) {
          s->settings(static_cast<std::uint32_t>(roll(12)));
        }
        break;
      case 4:
      case 5:
        if (s != nullptr && !s->streams.empty()) {
          s->respond(pick_stream(*s, rng), 200, "ok");
        }
        break;
      case 6:
        if (s != nullptr && !s->streams.empty()) {
          s->refuse(pick_stream(*s, rng));
        }
        break;
      case 7:
        if (s != nullptr && !s->streams.empty() && roll(3) == 0) {
          s->reset(pick_stream(*s, rng));
        }
        break;
      case 8:
        if (s != nullptr && roll(4) == 0) {
          s->goaway(s->streams.empty() ? 0 : pick_stream(*s, rng));
        }
        break;
      case 9:
        if (s != nullptr && roll(5) == 0) {
          if (s->limit == UINT32_MAX) {
            s->fail_connect(CloseReason::connect_failed);
          } else {
            s->lose();
          }
        }
        break;
      case 10:
        if (!aborts.empty()) {
          aborts[static_cast<std::size_t>(roll(static_cast<int>(aborts.size())))]->abort();
        }
        break;
      default:
        scheduler_.advance(std::chrono::milliseconds(roll(300)));
        break;
    }
    scheduler_.run_posted();
    check_invariants();
    if (HasFatalFailure()) {
      return;
    }
  }
  // Past every deadline, nothing is pending and nothing hangs.
  scheduler_.advance(3s);
  for (auto id : ids) {
    ASSERT_TRUE(done(id)) << "request " << id << " outlived its deadline (seed " << GetParam()
                          << ")";
  }
  EXPECT_EQ(stats().requests_pending, 0U);
  EXPECT_EQ(stats().queue_depth, 0U);
}

INSTANTIATE_TEST_SUITE_P(TransportSeeds, RandomEvents, ::testing::Range(1U, 101U));

}  // namespace
}  // namespace faultline::transport
