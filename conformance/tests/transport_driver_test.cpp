// The transport driver on its own: identity, ids, error kinds, stats.
#include "transport_driver.h"

#include <gtest/gtest.h>

#include "faultline/harness/gtest.h"

namespace faultline::conformance {
namespace {

using namespace std::chrono_literals;

TEST(TransportDriver, SaysWhatItIs) {
  TransportDriver h2({});
  EXPECT_EQ(h2.label(), "h2");
  EXPECT_TRUE(h2.hello().h2);
  EXPECT_EQ(h2.hello().max_sessions, 4);
  TransportDriverOptions o;
  o.force_http1 = true;
  o.max_sessions = 3;
  TransportDriver h1(o);
  EXPECT_EQ(h1.label(), "h1");
  EXPECT_FALSE(h1.hello().h2);
  EXPECT_EQ(h1.hello().max_streams, 1);
  EXPECT_EQ(h1.hello().max_sessions, 3);
}

TEST(TransportDriver, RefusesAnIdTwice) {
  TransportDriver d({});
  harness::Request r;
  r.id = 7;
  r.url = "https://127.0.0.1:1/";
  r.timeout_ms = 2000;
  auto x = d.send(r);
  EXPECT_EQ(x->id(), 7U);
  EXPECT_THROW(d.send(r), std::invalid_argument);
  r.id = 0;
  EXPECT_NE(d.send(r)->id(), 7U);
}

TEST(TransportDriver, ConnectFailureIsANetworkError) {
  TransportDriver d({});
  harness::Request r;
  r.url = "https://127.0.0.1:1/";
  r.timeout_ms = 5000;
  auto x = d.send(r);
  EXPECT_TRUE(harness::to_assertion(x->wait_error(harness::ErrorKind::network, 10s)));
}

TEST(TransportDriver, InvalidRequestIsOtherAndAbortOfUnknownIdIsIgnored) {
  TransportDriver d({});
  d.abort(12345);
  harness::Request r;
  r.url = "not a url";
  auto x = d.send(r);
  EXPECT_TRUE(harness::to_assertion(x->wait_error(harness::ErrorKind::other, 10s)));
}

TEST(TransportDriver, StatsAreTheTransportsCounters) {
  TransportDriver d({});
  auto s = d.stats(1s);
  ASSERT_TRUE(s.ok);
  for (const char* key : {"sessions_opened", "queue_depth", "requests_pending", "origins"}) {
    EXPECT_TRUE(s.stats.contains(key)) << key;
  }
}

}  // namespace
}  // namespace faultline::conformance
