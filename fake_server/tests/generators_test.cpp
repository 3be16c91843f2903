// Body generators, SHA-256, echo: pure logic, no sockets.
#include "detail/body_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "detail/echo.h"
#include "detail/random_bytes.h"

namespace faultline::fake_server::detail {
namespace {

using namespace std::chrono_literals;

/** Drains a source, recording each read and each pause. */
struct Drained {
  std::string bytes;
  std::vector<std::size_t> pieces;
  std::vector<std::chrono::milliseconds> pauses;  ///< pause before piece i (0 for none)
};

Drained drain(BodySource& source, std::size_t read_size = 1 << 20) {
  Drained out;
  std::vector<std::uint8_t> buffer(read_size);
  std::chrono::milliseconds pending{0};
  for (int guard = 0; !source.done() && guard < 1000000; ++guard) {
    if (const auto delay = source.take_delay(); delay.count() > 0) {
      pending = delay;
      continue;
    }
    const std::size_t n = source.read(buffer);
    out.bytes.append(reinterpret_cast<const char*>(buffer.data()), n);
    out.pieces.push_back(n);
    out.pauses.push_back(std::exchange(pending, 0ms));
  }
  return out;
}

TEST(RandomBytes, FirstWordIsSplitmix64OfTheSeed) {
  // splitmix64 with state 0: first output 0xe220a8397b1dcdaf, emitted little-endian.
  RandomBytes bytes(0);
  std::array<std::uint8_t, 8> out{};
  bytes.fill(out);
  EXPECT_EQ(out[0], 0xaf);
  EXPECT_EQ(out[1], 0xcd);
  EXPECT_EQ(out[7], 0xe2);
}

TEST(RandomBytes, SameStreamHoweverItIsCut) {
  // One fill of 10007 bytes versus fills of random sizes: identical bytes.
  std::vector<std::uint8_t> whole(10007);
  RandomBytes(7).fill(whole);
  std::mt19937 rng(1);
  RandomBytes cut(7);
  std::vector<std::uint8_t> pieces;
  while (pieces.size() < whole.size()) {
    const std::size_t n = std::min<std::size_t>(
        std::uniform_int_distribution<std::size_t>(0, 37)(rng), whole.size() - pieces.size());
    std::vector<std::uint8_t> piece(n);
    cut.fill(piece);
    pieces.insert(pieces.end(), piece.begin(), piece.end());
  }
  EXPECT_EQ(pieces, whole);
  std::vector<std::uint8_t> other(whole.size());
  RandomBytes(8).fill(other);
  EXPECT_NE(other, whole);
}

TEST(RandomBytes, SeekLandsOnTheSameByteOfTheStream) {
  std::vector<std::uint8_t> whole(200);
  RandomBytes(9).fill(whole);
  for (const std::size_t offset : {0u, 1u, 7u, 8u, 13u, 64u, 199u}) {
    RandomBytes sought(123);
    sought.seek(9, offset);
    std::vector<std::uint8_t> rest(whole.size() - offset);
    sought.fill(rest);
    EXPECT_TRUE(std::equal(rest.begin(), rest.end(), whole.begin() + static_cast<long>(offset)))
        << "offset " << offset;
  }
}

TEST(PacedSource, RandomBodyAcrossTheSharedPrefixIsTheGeneratorsStream) {
  // Pieces of 5000 bytes cross kRandomPrefixBytes inside a piece: the bytes copied from
  // the thread's prefix and those generated after it are one stream. A second body of
  // the same seed (the prefix cached now) and one of another seed check the cache.
  const std::size_t total = kRandomPrefixBytes * 2 + 333;
  std::vector<std::uint8_t> expected(total);
  RandomBytes(11).fill(expected);
  const std::string want(expected.begin(), expected.end());
  for (int round = 0; round < 2; ++round) {
    RandomSource source(total, 11, 5000, 0ms);
    EXPECT_EQ(drain(source).bytes, want) << "round " << round;
  }
  RandomSource other(total, 12, 5000, 0ms);
  EXPECT_NE(drain(other).bytes, want);
}

TEST(PacedSource, RandomBodyInChunksWithPauses) {
  RandomSource source(100, 7, 30, 5ms);
  ASSERT_EQ(source.size(), 100u);
  const Drained drained = drain(source);
  EXPECT_EQ(drained.pieces, (std::vector<std::size_t>{30, 30, 30, 10}));
  EXPECT_EQ(drained.pauses, (std::vector<std::chrono::milliseconds>{0ms, 5ms, 5ms, 5ms}));
  std::vector<std::uint8_t> expected(100);
  RandomBytes(7).fill(expected);
  EXPECT_EQ(drained.bytes, std::string(expected.begin(), expected.end()));
}

TEST(PacedSource, SmallReadsStayInsideOnePiece) {
  // A read smaller than the piece continues the same piece: no pause in between.
  auto source = FixedSource::view("abcdefghij", 4, 9ms);
  const Drained drained = drain(*source, 3);
  EXPECT_EQ(drained.bytes, "abcdefghij");
  EXPECT_EQ(drained.pieces, (std::vector<std::size_t>{3, 1, 3, 1, 2}));
  EXPECT_EQ(drained.pauses, (std::vector<std::chrono::milliseconds>{0ms, 0ms, 9ms, 0ms, 9ms}));
}

TEST(PacedSource, EmptyBodyIsDoneAtOnce) {
  auto source = FixedSource::owned("");
  EXPECT_TRUE(source->done());
  EXPECT_EQ(source->size(), 0u);
}

TEST(SseSource, EncodesEventsWithTheTemplate) {
  scenarios::SseBody sse;
  sse.events = 2;
  sse.event = "tick";
  sse.data = "n={i} of {total}";
  EXPECT_EQ(encode_sse_event(sse, 1, {{"total", "2"}}), "id: 1\nevent: tick\ndata: n=1 of 2\n\n");
  sse.event.clear();
  sse.data = "a\nb";
  EXPECT_EQ(encode_sse_event(sse, 0, {}), "id: 0\ndata: a\ndata: b\n\n");
}

TEST(SseSource, SplitsEachEventAndPausesBetweenEvents) {
  scenarios::SseBody sse;
  sse.events = 2;
  sse.interval_ms = 50;
  sse.data = "{i}";
  sse.split = {1, 2};
  SseSource source(sse, {}, 16384, 0ms);
  EXPECT_FALSE(source.size().has_value());
  const Drained drained = drain(source);
  EXPECT_EQ(drained.bytes, "id: 0\ndata: 0\n\nid: 1\ndata: 1\n\n");
  // "id: 0\ndata: 0\n\n" is 15 bytes: 1,2,1,2,1,2,1,2,1,2 = 15, restarting per event.
  const std::vector<std::size_t> one_event{1, 2, 1, 2, 1, 2, 1, 2, 1, 2};
  std::vector<std::size_t> expected = one_event;
  expected.insert(expected.end(), one_event.begin(), one_event.end());
  EXPECT_EQ(drained.pieces, expected);
  EXPECT_EQ(drained.pauses[10], 50ms);
  EXPECT_EQ(std::count(drained.pauses.begin(), drained.pauses.end(), 0ms), 19);
}

TEST(SseSource, ZeroEventsIsAnEmptyBody) {
  scenarios::SseBody sse;
  sse.events = 0;
  SseSource source(sse, {}, 16384, 0ms);
  EXPECT_TRUE(source.done());
}

TEST(Echo, DescribesTheRequest) {
  EchoRecorder echo("text/plain");
  echo.on_body("hel");
  echo.on_body("lo");
  RequestHead head;
  head.method = "POST";
  split_target("/echo?x=1", head.path, head.query);
  head.headers = {{"a", "1"}, {"a", "2"}, {"cookie", "c=1"}, {"cookie", "d=2"}};
  const std::string json = echo.finish_json(head);
  EXPECT_NE(json.find("\"path\":\"/echo\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"query\":\"x=1\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"a\":\"1, 2\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"cookie\":\"c=1; d=2\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"body_bytes\":5"), std::string::npos) << json;
  EXPECT_NE(json.find("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
            std::string::npos);
  EXPECT_NE(json.find("\"parts\":[]"), std::string::npos) << json;
}

}  // namespace
}  // namespace faultline::fake_server::detail
