#include "faultline/harness/exchange.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

namespace faultline::harness {
namespace {

using namespace std::chrono_literals;

Event headers_event(int status) {
  Event e;
  e.type = Event::Type::headers;
  e.status = status;
  e.headers = {{"content-type", "text/plain"}, {"X-Two", "a"}};
  e.protocol = "h2";
  e.t_ms = 1.5;
  return e;
}

Event data_event(std::string bytes) {
  Event e;
  e.type = Event::Type::data;
  e.data = std::move(bytes);
  return e;
}

Event end_event() {
  Event e;
  e.type = Event::Type::end;
  e.t_ms = 9;
  return e;
}

Event error_event(ErrorKind kind, std::string message) {
  Event e;
  e.type = Event::Type::error;
  e.kind = kind;
  e.message = std::move(message);
  return e;
}

Exchange make_exchange() {
  Request r;
  r.id = 7;
  r.url = "https://127.0.0.1:1/x";
  return Exchange(r);
}

TEST(Exchange, AggregatesEventsIntoAResponse) {
  auto ex = make_exchange();
  ASSERT_TRUE(ex.push(headers_event(200)));
  ASSERT_TRUE(ex.push(data_event("abc")));
  ASSERT_TRUE(ex.push(data_event("de")));
  ASSERT_TRUE(ex.push(end_event()));
  auto r = ex.wait_done(1s);
  ASSERT_TRUE(r) << r.description;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, "abcde");
  EXPECT_EQ(r.response.data_events, 2u);
  EXPECT_EQ(r.response.protocol, "h2");
  EXPECT_EQ(find_header(r.response.headers, "x-two"), "a");
  EXPECT_FALSE(find_header(r.response.headers, "missing"));
  EXPECT_NE(r.description.find("200 h2"), std::string::npos) << r.description;
}

TEST(Exchange, NothingIsAcceptedAfterATerminalEvent) {
  auto ex = make_exchange();
  ASSERT_TRUE(ex.push(error_event(ErrorKind::aborted, "stop")));
  EXPECT_FALSE(ex.push(data_event("late")));
  EXPECT_TRUE(ex.done());
  EXPECT_EQ(ex.events().size(), 1u);
}

TEST(Exchange, WaitsTimeOutWithADescriptionOfWhatWasSeen) {
  auto ex = make_exchange();
  ASSERT_TRUE(ex.push(headers_event(503)));
  auto r = ex.wait_done(20ms);
  EXPECT_FALSE(r);
  EXPECT_NE(r.description.find("waited"), std::string::npos) << r.description;
  EXPECT_NE(r.description.find("503"), std::string::npos) << r.description;
  EXPECT_NE(r.description.find("not done"), std::string::npos) << r.description;
}

TEST(Exchange, WaitDoneFailsAtOnceOnAnError) {
  auto ex = make_exchange();
  ASSERT_TRUE(ex.push(error_event(ErrorKind::timeout, "too slow")));
  const auto before = Deadline::Clock::now();
  auto r = ex.wait_done(10s);
  EXPECT_FALSE(r);
  EXPECT_LT(Deadline::Clock::now() - before, 5s);  // did not sit out the deadline
  EXPECT_NE(r.description.find("error timeout"), std::string::npos) << r.description;
  EXPECT_TRUE(ex.wait_error(ErrorKind::timeout, 1s));
  EXPECT_FALSE(ex.wait_error(ErrorKind::aborted, 1s));
}

TEST(Exchange, NextReturnsEventsInOrderAcrossThreads) {
  auto ex = make_exchange();
  std::thread producer([&] {
    ex.push(headers_event(200));
    for (int i = 0; i < 100; ++i) {
      ex.push(data_event(std::string(1, static_cast<char>('a' + i % 26))));
    }
    ex.push(end_event());
  });
  auto first = ex.next(5s);
  ASSERT_TRUE(first) << first.description;
  EXPECT_EQ(first.event->type, Event::Type::headers);
  std::string body;
  for (int i = 0; i < 100; ++i) {
    auto n = ex.next(5s);
    ASSERT_TRUE(n) << n.description;
    ASSERT_EQ(n.event->type, Event::Type::data);
    body += n.event->data;
  }
  auto last = ex.next(5s);
  ASSERT_TRUE(last) << last.description;
  EXPECT_EQ(last.event->type, Event::Type::end);
  producer.join();
  EXPECT_EQ(body.size(), 100u);
  auto none = ex.next(10ms);
  EXPECT_FALSE(none);
  EXPECT_NE(none.description.find("done"), std::string::npos) << none.description;
}

TEST(Exchange, WaitBodyCountsBytes) {
  auto ex = make_exchange();
  ex.push(headers_event(200));
  ex.push(data_event("12345"));
  EXPECT_TRUE(ex.wait_body(5, 1s));
  EXPECT_FALSE(ex.wait_body(6, 10ms));
  EXPECT_TRUE(ex.wait_headers(1s));
}

TEST(Exchange, KindsAndModesRoundTripAsText) {
  for (auto kind : {ErrorKind::aborted, ErrorKind::timeout, ErrorKind::network, ErrorKind::protocol,
                    ErrorKind::other, ErrorKind::driver}) {
    EXPECT_EQ(parse_error_kind(to_string(kind)), kind);
  }
  EXPECT_FALSE(parse_error_kind("bogus"));
  EXPECT_EQ(to_string(RedirectMode::manual), "manual");
  EXPECT_EQ(to_string(Event::Type::data), "data");
}

TEST(Exchange, WaitAllSumsUpABatch) {
  std::vector<std::shared_ptr<Exchange>> batch;
  for (std::uint64_t id = 1; id <= 4; ++id) {
    Request r;
    r.id = id;
    r.url = "https://127.0.0.1:1/" + std::to_string(id);
    batch.push_back(std::make_shared<Exchange>(r));
  }
  batch[0]->push(headers_event(200));
  batch[0]->push(end_event());
  batch[1]->push(headers_event(200));
  batch[1]->push(end_event());
  batch[2]->push(error_event(ErrorKind::timeout, "slow"));
  const auto r = wait_all(batch, 20ms);
  EXPECT_FALSE(r);
  EXPECT_EQ(r.succeeded, 2u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.pending, 1u);
  EXPECT_NE(r.description.find("2/4 succeeded, 1 failed (timeout: 1), 1 not done"),
            std::string::npos)
      << r.description;
  EXPECT_NE(r.description.find("request 4"), std::string::npos) << r.description;
  batch[2] = batch[0];
  batch[3] = batch[1];
  EXPECT_TRUE(wait_all(batch, 1s));
}

}  // namespace
}  // namespace faultline::harness
