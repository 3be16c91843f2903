// The transport driver's slow reader without a transport: order, pacing, read sizes,
// shutdown.
#include "slow_reader.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "faultline/harness/gtest.h"

namespace faultline::conformance {
namespace {

using namespace std::chrono_literals;
using harness::Event;

constexpr std::size_t kRead = SlowReader::kReadBytes;

Event event(Event::Type type, std::string data = {}) {
  Event e;
  e.type = type;
  e.data = std::move(data);
  return e;
}

/** Queues a head, the body in `pieces` pieces of `piece` bytes ('a', 'b', ...) and an end. */
void queue_response(SlowReader& reader, const std::shared_ptr<SlowReader::Stream>& stream,
                    int pieces, std::size_t piece) {
  reader.push(stream, event(Event::Type::headers));
  for (int i = 0; i < pieces; ++i) {
    reader.push(stream, event(Event::Type::data, std::string(piece, static_cast<char>('a' + i))));
  }
  reader.push(stream, event(Event::Type::end));
}

/** The body the pieces of queue_response make. */
std::string body_of(int pieces, std::size_t piece) {
  std::string body;
  for (int i = 0; i < pieces; ++i) {
    body.append(piece, static_cast<char>('a' + i));
  }
  return body;
}

/** Fails unless every data event and the end come at least `delay` after the previous
    data event, and the data events are `reads` reads of at most kRead bytes. */
void expect_paced(const std::vector<Event>& events, std::chrono::milliseconds delay,
                  std::size_t reads) {
  ASSERT_EQ(events.size(), reads + 2);
  EXPECT_EQ(events.front().type, Event::Type::headers);
  EXPECT_EQ(events.back().type, Event::Type::end);
  for (std::size_t i = 1; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i].type, Event::Type::data) << "event " << i;
    EXPECT_LE(events[i].data.size(), kRead) << "event " << i;
  }
  for (std::size_t i = 2; i < events.size(); ++i) {
    EXPECT_GE(events[i].t_ms - events[i - 1].t_ms, static_cast<double>(delay.count()) - 0.001)
        << "event " << i << " (" << harness::to_string(events[i].type) << ")";
  }
}

// Full reads: each taken at least the delay after the one before it, in order, and the
// end after the last read.
TEST(SlowReader, TakesOneReadPerDelayInOrder) {
  constexpr auto kDelay = 50ms;
  SlowReader reader;
  auto exchange = std::make_shared<harness::Exchange>(harness::Request{});
  queue_response(reader, reader.open(exchange, SlowReader::Clock::now(), kDelay), 4, kRead);
  // Step: wait for the end, then read the stamps.
  auto r = exchange->wait_done(10s);
  ASSERT_TRUE(r.ok) << r.description;
  EXPECT_EQ(r.response.body, body_of(4, kRead));
  expect_paced(exchange->events(), kDelay, 4);
}

// Small pieces make full reads: 64 pieces of 1 KiB are 4 reads of 16 KiB, whatever the
// moments they arrived at.
TEST(SlowReader, SmallPiecesMakeFullReads) {
  constexpr auto kDelay = 20ms;
  SlowReader reader;
  auto exchange = std::make_shared<harness::Exchange>(harness::Request{});
  queue_response(reader, reader.open(exchange, SlowReader::Clock::now(), kDelay), 64, 1024);
  auto r = exchange->wait_done(10s);
  ASSERT_TRUE(r.ok) << r.description;
  EXPECT_EQ(r.response.body, body_of(64, 1024));
  expect_paced(exchange->events(), kDelay, 4);
}

// The last read of a body is what is left; two slow requests keep their own order.
TEST(SlowReader, StreamsKeepTheirOwnOrder) {
  SlowReader reader;
  auto a = std::make_shared<harness::Exchange>(harness::Request{});
  auto b = std::make_shared<harness::Exchange>(harness::Request{});
  const auto sent = SlowReader::Clock::now();
  queue_response(reader, reader.open(a, sent, 20ms), 3, 10'000);  // reads 16384, 13616
  queue_response(reader, reader.open(b, sent, 30ms), 2, 5);       // one read of 10
  auto ra = a->wait_done(10s);
  auto rb = b->wait_done(10s);
  ASSERT_TRUE(ra.ok) << ra.description;
  ASSERT_TRUE(rb.ok) << rb.description;
  EXPECT_EQ(ra.response.body, body_of(3, 10'000));
  EXPECT_EQ(rb.response.body, body_of(2, 5));
  expect_paced(a->events(), 20ms, 2);
  expect_paced(b->events(), 30ms, 1);
}

// A reader destroyed with events still queued hands them over at once: every exchange
// ends.
TEST(SlowReader, DestructionDeliversWhatIsQueued) {
  auto exchange = std::make_shared<harness::Exchange>(harness::Request{});
  {
    SlowReader reader;
    queue_response(reader, reader.open(exchange, SlowReader::Clock::now(), 10s), 3, kRead);
  }
  EXPECT_TRUE(exchange->done());
  EXPECT_EQ(exchange->snapshot().body, body_of(3, kRead));
}

/** The calls a stream's Hold received, in order. */
struct HoldLog {
  std::mutex mutex;
  std::vector<bool> calls;
  SlowReader::Hold hold() {
    return [this](bool pause) {
      std::lock_guard lock(mutex);
      calls.push_back(pause);
    };
  }
  std::vector<bool> seen() {
    std::lock_guard lock(mutex);
    return calls;
  }
};

// A slow caller pushes back: paused once kHoldBytes are unread, resumed when the reads
// brought them under half of that, and not paused again for what is left.
TEST(SlowReader, HoldPausesAtTheBoundAndResumesUnderHalf) {
  HoldLog log;
  SlowReader reader;
  auto exchange = std::make_shared<harness::Exchange>(harness::Request{});
  auto stream = reader.open(exchange, SlowReader::Clock::now(), 20ms);
  reader.hold_with(stream, log.hold());
  reader.push(stream, event(Event::Type::headers));
  reader.push(stream, event(Event::Type::data, std::string(kRead - 1, 'a')));
  EXPECT_EQ(log.seen(), std::vector<bool>{});
  // 64 KiB - 1 unread at most: one byte more is the bound.
  reader.push(stream,
              event(Event::Type::data, std::string(SlowReader::kHoldBytes - kRead + 1, 'b')));
  EXPECT_EQ(log.seen(), std::vector<bool>{true});
  // Step: the reads drain the queue under 32 KiB; the end follows the last of them.
  auto r = exchange->wait_body(SlowReader::kHoldBytes / 2 + 1, 10s);
  ASSERT_TRUE(r.ok) << r.description;
  reader.push(stream, event(Event::Type::end));
  auto done = exchange->wait_done(10s);
  ASSERT_TRUE(done.ok) << done.description;
  EXPECT_EQ(done.response.body.size(), SlowReader::kHoldBytes);
  EXPECT_EQ(log.seen(), (std::vector<bool>{true, false}));
}

// A Hold given to a stream that already queued the bound pauses it at once; after
// drop_holds no Hold is called, whatever is pushed or read.
TEST(SlowReader, HoldWithPausesAtOnceAndDropHoldsEndsTheCalls) {
  HoldLog log;
  auto exchange = std::make_shared<harness::Exchange>(harness::Request{});
  {
    SlowReader reader;
    auto stream = reader.open(exchange, SlowReader::Clock::now(), 10s);
    reader.push(stream, event(Event::Type::data, std::string(SlowReader::kHoldBytes + kRead, 'a')));
    // At most one read was taken (the next is 10 s away): the bound is still queued.
    reader.hold_with(stream, log.hold());
    EXPECT_EQ(log.seen(), std::vector<bool>{true});
    reader.drop_holds();
    reader.push(stream, event(Event::Type::data, std::string(kRead, 'b')));
    reader.push(stream, event(Event::Type::end));
  }
  // The destructor read every byte at once, and called no Hold for it.
  EXPECT_TRUE(exchange->done());
  EXPECT_EQ(exchange->snapshot().body.size(), SlowReader::kHoldBytes + 2 * kRead);
  EXPECT_EQ(log.seen(), std::vector<bool>{true});
}

}  // namespace
}  // namespace faultline::conformance
