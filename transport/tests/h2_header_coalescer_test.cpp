// H2HeaderCoalescer's spans: what passes as it came is a view of the input (DATA is not
// copied), the frames it writes for header blocks are its own, and the bytes are the same
// however the input is cut. The block contents are arbitrary bytes: the coalescer never
// decodes HPACK (h2_header_blocks_test.cpp feeds real blocks through nghttp2).
#include "detail/h2_header_coalescer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "detail/h2_wire.h"

namespace faultline::transport {
namespace {

namespace wire = detail::h2_wire;
using detail::H2HeaderCoalescer;
using Bytes = std::vector<std::uint8_t>;
using Span = std::span<const std::uint8_t>;

constexpr std::uint8_t kEndStream = 0x1;
constexpr std::uint8_t kPing = 0x6;
constexpr std::uint8_t kWindowUpdate = 0x8;

void frame(Bytes& out, std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
           const Bytes& payload) {
  wire::write_frame(out, type, flags, stream, payload);
}

Bytes filled(std::size_t n, std::uint8_t seed) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<std::uint8_t>(seed + i * 7);
  }
  return out;
}

bool inside(Span span, Span in) {
  return !span.empty() && span.data() >= in.data() &&
         span.data() + span.size() <= in.data() + in.size();
}

Bytes joined(std::span<const Span> spans) {
  Bytes out;
  for (const Span span : spans) {
    out.insert(out.end(), span.begin(), span.end());
  }
  return out;
}

// Frames without a header block: one span, the input itself.
TEST(H2HeaderCoalescerSpans, FramesWithoutABlockAreTheInputItself) {
  H2HeaderCoalescer coalescer(1 << 20);
  Bytes in;
  frame(in, wire::kSettings, wire::kAck, 0, {});
  frame(in, wire::kData, 0, 1, filled(16384, 1));
  frame(in, kPing, 0, 0, filled(8, 2));
  frame(in, wire::kData, wire::kPadded, 1, [] {
    Bytes padded = {4};
    const Bytes body = filled(100, 3);
    padded.insert(padded.end(), body.begin(), body.end());
    padded.insert(padded.end(), 4, 0);
    return padded;
  }());
  const auto spans = coalescer.push(in);
  ASSERT_EQ(spans.size(), 1U);
  EXPECT_EQ(spans[0].data(), in.data());
  EXPECT_EQ(spans[0].size(), in.size());
}

// A block's frames are the coalescer's; the DATA after them is a view of the input again,
// its frame header in the same span as the block (a frame header cut across pushes
// is the coalescer's too, whole).
TEST(H2HeaderCoalescerSpans, BlocksAreOwnAndTheDataAfterThemIsAView) {
  H2HeaderCoalescer coalescer(1 << 20);
  Bytes in;
  frame(in, wire::kData, 0, 1, filled(1000, 1));
  frame(in, wire::kHeaders, 0, 3, filled(300, 2));
  frame(in, wire::kContinuation, wire::kEndHeaders, 3, filled(300, 3));
  const std::size_t data_at = in.size() + wire::kFrameHeaderBytes;
  frame(in, wire::kData, kEndStream, 3, filled(5000, 4));
  const Span input(in);
  const auto spans = coalescer.push(input);
  ASSERT_EQ(spans.size(), 3U);
  EXPECT_EQ(spans[0].data(), in.data());
  EXPECT_EQ(spans[0].size(), wire::kFrameHeaderBytes + 1000);
  EXPECT_FALSE(inside(spans[1], input));
  EXPECT_EQ(spans[1].size(), 2 * wire::kFrameHeaderBytes + 600);  // HEADERS + DATA's header
  EXPECT_EQ(spans[2].data(), in.data() + data_at);
  EXPECT_EQ(spans[2].size(), 5000U);

  Bytes data;
  frame(data, wire::kData, 0, 1, filled(50, 5));
  EXPECT_TRUE(coalescer.push(Span(data).first(4)).empty());
  const Span rest = Span(data).subspan(4);
  const auto after = coalescer.push(rest);
  ASSERT_EQ(after.size(), 2U);
  EXPECT_FALSE(inside(after[0], rest));
  EXPECT_EQ(joined(std::span(after).first(1)), Bytes(data.begin(), data.begin() + 9));
  EXPECT_EQ(after[1].data(), rest.data() + 5);
  EXPECT_EQ(after[1].size(), 50U);
}

// Nothing at all while a block is held; a block cut short by another frame ends in the
// span that also holds that frame's header, so nghttp2 never starts a read waiting for
// the block's CONTINUATION.
TEST(H2HeaderCoalescerSpans, NothingWhileHeldAndAnUnfinishedBlockKeepsTheNextHeader) {
  H2HeaderCoalescer coalescer(1 << 20);
  Bytes first;
  frame(first, wire::kHeaders, 0, 1, filled(200, 1));
  EXPECT_TRUE(coalescer.push(first).empty());
  Bytes second;
  frame(second, wire::kContinuation, 0, 1, filled(200, 2));
  EXPECT_TRUE(coalescer.push(second).empty());
  Bytes third;
  frame(third, wire::kData, 0, 1, filled(700, 3));
  const auto spans = coalescer.push(third);
  ASSERT_EQ(spans.size(), 2U);
  EXPECT_FALSE(inside(spans[0], third));
  const Bytes own = joined(std::span(spans).first(1));
  ASSERT_EQ(own.size(), 2 * wire::kFrameHeaderBytes + 400);
  EXPECT_EQ(wire::read_frame_head(own.data()).type, wire::kHeaders);
  EXPECT_EQ(wire::read_frame_head(own.data()).flags & wire::kEndHeaders, 0);
  EXPECT_EQ(Bytes(own.end() - 9, own.end()), Bytes(third.begin(), third.begin() + 9));
  EXPECT_EQ(spans[1].data(), third.data() + 9);
}

/** A server's stream of mixed frames: DATA (some padded), pings, window updates, blocks
    of HEADERS / PUSH_PROMISE + CONTINUATION frames of random sizes (some padded, with
    priority, an empty last CONTINUATION, one cut short by DATA, one with broken
    padding), the SETTINGS ACK midway. `data_bytes`: the DATA frames' payload bytes. */
Bytes mixed_stream(std::mt19937& rng, std::size_t& data_bytes) {
  auto pick = [&rng](std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
  };
  Bytes out;
  data_bytes = 0;
  frame(out, wire::kSettings, 0, 0, {});
  for (int i = 0; i < 120; ++i) {
    const auto stream = static_cast<std::uint32_t>(1 + 2 * pick(0, 5));
    if (i == 60) {
      frame(out, wire::kSettings, wire::kAck, 0, {});
    }
    switch (pick(0, 7)) {
      case 0:
      case 1:
      case 2: {
        const Bytes body = filled(pick(0, 40000), static_cast<std::uint8_t>(i));
        frame(out, wire::kData, 0, stream, body);
        data_bytes += body.size();
        break;
      }
      case 3: {
        Bytes body = {static_cast<std::uint8_t>(pick(0, 20))};
        const Bytes text = filled(pick(0, 3000), static_cast<std::uint8_t>(i));
        body.insert(body.end(), text.begin(), text.end());
        body.insert(body.end(), body[0], 0);
        frame(out, wire::kData, wire::kPadded, stream, body);
        data_bytes += body.size();
        break;
      }
      case 4:
        frame(out, kPing, 0, 0, filled(8, static_cast<std::uint8_t>(i)));
        frame(out, kWindowUpdate, 0, stream, {0, 0, 0x40, 0});
        break;
      default: {
        const Bytes block = filled(pick(1, 60000), static_cast<std::uint8_t>(i));
        const std::size_t size = pick(1, 16384);
        const bool promise = pick(0, 5) == 0;
        Bytes first = promise ? Bytes{0, 0, 0, 2} : Bytes{};
        std::uint8_t flags = 0;
        const auto kind = pick(0, 5);
        if (kind == 0 && !promise) {
          flags = wire::kPriority;
          first.insert(first.end(), {0, 0, 0, 0, 15});
        }
        if (kind == 1 || kind == 2) {
          flags |= wire::kPadded;
          first.insert(first.begin(), static_cast<std::uint8_t>(kind == 1 ? 6 : 250));
        }
        for (std::size_t at = 0; at < block.size(); at += size) {
          const auto end = std::min(at + size, block.size());
          Bytes payload = at == 0 ? first : Bytes{};
          payload.insert(payload.end(), block.begin() + static_cast<std::ptrdiff_t>(at),
                         block.begin() + static_cast<std::ptrdiff_t>(end));
          if (at == 0 && (flags & wire::kPadded) != 0 && kind == 1) {
            payload.insert(payload.end(), 6, 0);  // kind 2: pad longer than the frame
          }
          const bool last = end == block.size();
          if (last && kind == 3) {
            break;  // cut short: the DATA below interrupts the block
          }
          const auto type =
              at == 0 ? (promise ? wire::kPushPromise : wire::kHeaders) : wire::kContinuation;
          const bool empty_last = kind == 4;
          frame(out, type,
                static_cast<std::uint8_t>((at == 0 ? flags : 0) |
                                          (last && !empty_last ? wire::kEndHeaders : 0)),
                stream, payload);
          if (last && empty_last) {
            frame(out, wire::kContinuation, wire::kEndHeaders, stream, {});
          }
        }
        if (kind == 3) {
          frame(out, wire::kData, 0, stream, filled(10, 9));
          data_bytes += 10;
        }
        break;
      }
    }
  }
  return out;
}

// Cut anywhere (a fixed seed per case), the spans join to the bytes of one whole push,
// none is empty, and every DATA payload byte is a view of the input.
TEST(H2HeaderCoalescerSpans, RandomCutsGiveTheBytesOfOneWholePush) {
  for (unsigned seed = 1; seed <= 12; ++seed) {
    std::mt19937 rng(seed);
    std::size_t data_bytes = 0;
    const Bytes stream = mixed_stream(rng, data_bytes);
    Bytes whole;
    H2HeaderCoalescer reference(1 << 20);
    reference.push(stream, whole);
    ASSERT_GT(reference.block_frames(), 0U);

    H2HeaderCoalescer coalescer(1 << 20);
    Bytes got;
    std::size_t viewed = 0;
    const std::size_t most = seed % 3 == 0 ? 16 : seed % 3 == 1 ? 2000 : 70000;
    for (std::size_t at = 0; at < stream.size();) {
      const auto n =
          std::min(std::uniform_int_distribution<std::size_t>(1, most)(rng), stream.size() - at);
      const Span piece = Span(stream).subspan(at, n);
      for (const Span span : coalescer.push(piece)) {
        ASSERT_FALSE(span.empty());
        if (inside(span, piece)) {
          viewed += span.size();
        }
        got.insert(got.end(), span.begin(), span.end());
      }
      at += n;
    }
    ASSERT_EQ(got.size(), whole.size()) << "seed " << seed;
    EXPECT_TRUE(got == whole) << "seed " << seed;
    EXPECT_GE(viewed, data_bytes) << "seed " << seed;
    EXPECT_EQ(coalescer.block_frames(), reference.block_frames()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace faultline::transport
