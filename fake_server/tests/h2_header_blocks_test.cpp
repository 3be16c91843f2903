// respond.header_block in memory, over the session seam (h2_exchange.h): the final head
// of a route leaves as HEADERS + CONTINUATION frames of the route's frame_bytes, with its
// HPACK table size updates first, and nghttp2's client decodes every filler field. The
// same blocks on the wire: fault_header_block_test.cpp.
#include "detail/h2_header_blocks.h"

#include <gtest/gtest.h>

#include <string>

#include "faultline/scenarios/loader.h"
#include "h2_exchange.h"

namespace faultline::fake_server::testing {
namespace {

using detail::FrameType;
namespace frame_flag = detail::frame_flag;

/** Routes with header blocks: 16 KiB in 4 KiB frames after table size updates 0 and 4096
    (trailers after), 16 KiB in 1 KiB frames (a 103 first), 64 KiB in default frames. */
scenarios::Scenario block_scenario() {
  return scenarios::parse_scenario(R"({"name": "blocks", "routes": [
    {"match": {"path": "/b/16k-4k"},
     "respond": {"body": "block", "trailers": {"x-end": "yes"},
                 "header_block": {"bytes": 16384, "frame_bytes": 4096,
                                  "table_size_update": [0, 4096]}}},
    {"match": {"path": "/b/16k-1k"},
     "respond": {"body": "block", "informational": [{"status": 103, "headers": {"link": "</a>"}}],
                 "header_block": {"bytes": 16384, "frame_bytes": 1024}}},
    {"match": {"path": "/b/64k"}, "respond": {"body": "block", "header_block": {"bytes": 65536}}},
    {"match": {"path": "/plain"}, "respond": {"body": "plain", "headers": {"x-plain": "yes"}}}
  ]})");
}

/** The frames the server wrote on stream `id` that carry header blocks, in order. */
std::vector<const SentFrame*> block_frames(const H2Exchange& ex, std::uint32_t id) {
  std::vector<const SentFrame*> out;
  for (const SentFrame& frame : ex.frames) {
    if (frame.header.stream_id == id &&
        (frame.is(FrameType::headers) || frame.is(FrameType::continuation))) {
      out.push_back(&frame);
    }
  }
  return out;
}

std::string expected_fill_value(int i, std::size_t size) {
  char number[12];
  std::snprintf(number, sizeof number, "%04d", i);
  std::string value(number);
  value.resize(size - 32 - 11, 'X');
  return value;
}

// RFC 9113 6.2 and 6.10: one block in HEADERS + CONTINUATION frames of 4096 bytes, only
// the last with END_HEADERS; RFC 7541 6.3: the table size updates open the block. The
// trailers after it are a block of their own, untouched. nghttp2's client decodes the 16
// filler fields, and a later response on the connection still decodes.
TEST(H2HeaderBlocks, FramesTheFinalHeadAfterTableSizeUpdates) {
  H2Exchange ex(block_scenario());
  const auto id = ex.client.request("GET", "/b/16k-4k");
  ASSERT_TRUE(ex.finish(id));
  const auto& stream = ex.client.streams[id];
  EXPECT_EQ(stream.status, 200);
  EXPECT_EQ(stream.body, "block");
  EXPECT_EQ(stream.trailers.at("x-end"), "yes");
  for (int i = 1; i <= 16; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "x-fill-%04d", i);
    ASSERT_EQ(stream.headers.count(name), 1U) << name;
    EXPECT_EQ(stream.headers.at(name), expected_fill_value(i, 1024)) << name;
  }
  EXPECT_EQ(stream.headers.count("x-fill-0017"), 0U);

  const auto frames = block_frames(ex, static_cast<std::uint32_t>(id));
  // The final head (HEADERS + CONTINUATIONs), the trailers.
  ASSERT_GE(frames.size(), 5U);
  const SentFrame& first = *frames[0];
  EXPECT_TRUE(first.is(FrameType::headers));
  EXPECT_EQ(first.header.length, 4096U);
  EXPECT_EQ(first.header.flags & frame_flag::kEndHeaders, 0);
  // 0x20: size 0; 0x3f 0xe1 0x1f: size 4096 (5-bit prefix integer).
  ASSERT_GE(first.payload.size(), 4U);
  EXPECT_EQ(first.payload[0], 0x20);
  EXPECT_EQ(first.payload[1], 0x3f);
  EXPECT_EQ(first.payload[2], 0xe1);
  EXPECT_EQ(first.payload[3], 0x1f);
  std::size_t i = 1;
  for (; i + 1 < frames.size() && frames[i]->header.length == 4096; ++i) {
    EXPECT_TRUE(frames[i]->is(FrameType::continuation));
    EXPECT_EQ(frames[i]->header.flags, 0);
  }
  EXPECT_TRUE(frames[i]->is(FrameType::continuation));
  EXPECT_EQ(frames[i]->header.flags, frame_flag::kEndHeaders);
  EXPECT_LE(frames[i]->header.length, 4096U);
  const SentFrame& trailers = *frames.back();
  EXPECT_TRUE(trailers.is(FrameType::headers));
  EXPECT_EQ(trailers.header.flags, frame_flag::kEndHeaders | frame_flag::kEndStream);

  // The connection's HPACK state is still in step: a plain response decodes.
  const auto next = ex.client.request("GET", "/plain");
  ASSERT_TRUE(ex.finish(next));
  EXPECT_EQ(ex.client.streams[next].headers["x-plain"], "yes");
  EXPECT_EQ(ex.client.streams[next].body, "plain");
}

// 16 KiB in 1 KiB frames: HEADERS + 15 or more CONTINUATION frames, each of 1024 bytes
// but the last, after the 103's block, which passes as nghttp2 framed it. nghttp2 1.52's
// client accepts at most 8 CONTINUATION frames per block
// (NGHTTP2_ERR_TOO_MANY_CONTINUATIONS), so a lenient client only watches the frames.
TEST(H2HeaderBlocks, SplitsIntoManySmallFrames) {
  H2Exchange ex(block_scenario());
  ex.client.strict = false;
  const auto id = ex.client.request("GET", "/b/16k-1k");
  ASSERT_TRUE(ex.pump([&] {
    const auto frames = block_frames(ex, static_cast<std::uint32_t>(id));
    return !frames.empty() && (frames.back()->header.flags & frame_flag::kEndHeaders) != 0;
  }));
  auto frames = block_frames(ex, static_cast<std::uint32_t>(id));
  ASSERT_GE(frames.size(), 17U);
  EXPECT_TRUE(frames.front()->is(FrameType::headers));
  EXPECT_EQ(frames.front()->header.flags, frame_flag::kEndHeaders);  // the 103
  EXPECT_LT(frames.front()->header.length, 64U);
  frames.erase(frames.begin());
  EXPECT_TRUE(frames.front()->is(FrameType::headers));
  std::size_t total = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    total += frames[i]->header.length;
    if (i > 0) {
      EXPECT_TRUE(frames[i]->is(FrameType::continuation)) << i;
    }
    if (i + 1 < frames.size()) {
      EXPECT_EQ(frames[i]->header.length, 1024U) << i;
      EXPECT_EQ(frames[i]->header.flags & frame_flag::kEndHeaders, 0) << i;
    }
  }
  EXPECT_GT(total, 15U * 1024);
  EXPECT_EQ(ex.client.recv_error, NGHTTP2_ERR_TOO_MANY_CONTINUATIONS);
}

// Without frame_bytes the block goes out in frames of 16384 bytes (4 CONTINUATIONs for
// 64 KiB), beyond nghttp2's default 64 KiB send limit on header blocks.
TEST(H2HeaderBlocks, DefaultFramesAre16KiB) {
  H2Exchange ex(block_scenario());
  const auto id = ex.client.request("GET", "/b/64k");
  ASSERT_TRUE(ex.finish(id));
  EXPECT_EQ(ex.client.streams[id].headers.count("x-fill-0064"), 1U);
  const auto frames = block_frames(ex, static_cast<std::uint32_t>(id));
  ASSERT_GE(frames.size(), 4U);
  EXPECT_EQ(frames.front()->header.length, 16384U);
  EXPECT_EQ(ex.client.streams[id].body, "block");
}

}  // namespace
}  // namespace faultline::fake_server::testing
