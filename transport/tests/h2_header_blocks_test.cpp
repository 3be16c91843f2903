// Large response header blocks through the client's HTTP/2 protocol part, without
// sockets: the server's frames are written raw here (HPACK by hand: literals, table size
// updates, one indexed entry) and handed over in pieces of random size. What is tested:
// blocks of many CONTINUATION frames decode (nghttp2 1.52 alone ends the session at the
// 9th), siblings and the session survive, and a block beyond the header list limit fails
// its own request (header_too_large) while HPACK stays in step.
#include "detail/h2_header_coalescer.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "defect_injector.h"
#include "detail/engine.h"
#include "detail/h2_protocol.h"
#include "detail/h2_wire.h"
#include "support/fakes.h"
#include "support/h2_protocol_fixture.h"

namespace faultline::transport {
namespace {

using detail::Exchange;
using detail::H2Protocol;
using detail::Outcome;
using h2_test::FakeHost;
using h2_test::RecordingPool;

using Bytes = std::vector<std::uint8_t>;

// ---- the server's bytes, by hand (RFC 9113 4.1, RFC 7541 5 and 6)

void hpack_int(Bytes& out, std::uint8_t high, unsigned bits, std::size_t value) {
  const std::size_t max = (std::size_t{1} << bits) - 1;
  if (value < max) {
    out.push_back(static_cast<std::uint8_t>(high | value));
    return;
  }
  out.push_back(static_cast<std::uint8_t>(high | max));
  for (value -= max; value >= 128; value /= 128) {
    out.push_back(static_cast<std::uint8_t>(value % 128 + 128));
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

/** A literal field, new name, no Huffman: without indexing (0x00) or indexed (0x40). */
void literal(Bytes& block, const std::string& name, const std::string& value,
             std::uint8_t kind = 0x00) {
  block.push_back(kind);
  hpack_int(block, 0, 7, name.size());
  block.insert(block.end(), name.begin(), name.end());
  hpack_int(block, 0, 7, value.size());
  block.insert(block.end(), value.begin(), value.end());
}

void frame(Bytes& out, std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
           const Bytes& payload) {
  detail::h2_wire::write_frame(out, type, flags, stream, payload);
}

/** `block` as HEADERS + CONTINUATION frames of `size` bytes (END_HEADERS on the last). */
void header_frames(Bytes& out, std::uint32_t stream, const Bytes& block, std::size_t size,
                   std::uint8_t first_flags = 0) {
  for (std::size_t at = 0; at < block.size(); at += size) {
    const Bytes piece(
        block.begin() + static_cast<std::ptrdiff_t>(at),
        block.begin() + static_cast<std::ptrdiff_t>(std::min(at + size, block.size())));
    const bool last = at + size >= block.size();
    frame(out, at == 0 ? NGHTTP2_HEADERS : NGHTTP2_CONTINUATION,
          static_cast<std::uint8_t>((at == 0 ? first_flags : 0) |
                                    (last ? NGHTTP2_FLAG_END_HEADERS : 0)),
          stream, piece);
  }
}

std::string fill_name(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "x-fill-%04d", i);
  return name;
}

/** :status 200 and `fields` filler fields of 1000-byte values, after `prefix`. */
Bytes big_block(int fields, const Bytes& prefix = {}) {
  Bytes block = prefix;
  literal(block, ":status", "200");
  for (int i = 1; i <= fields; ++i) {
    literal(block, fill_name(i), std::to_string(i) + std::string(1000, 'v'));
  }
  return block;
}

Bytes small_block(const std::string& status = "200") {
  Bytes block;
  literal(block, ":status", status);
  return block;
}

Bytes text(const std::string& s) {
  return {s.begin(), s.end()};
}

/** The server's SETTINGS and its ACK of ours: the client's 1 MiB frames are in force. */
Bytes greeting() {
  Bytes out;
  frame(out, NGHTTP2_SETTINGS, 0, 0, {});
  frame(out, NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0, {});
  return out;
}

/** One client protocol fed raw server bytes in random pieces (the parameter seeds them). */
class H2HeaderBlocks : public ::testing::TestWithParam<unsigned> {
 protected:
  void start(testing::Defects defects = {}, bool acked = true) {
    hooks_ = std::make_unique<testing::DefectInjector>(defects);
    config_.hooks = hooks_.get();
    protocol_ = std::make_unique<H2Protocol>(config_, *detail::parse_url("https://a.test/"), 7,
                                             events_, host_);
    protocol_->start();
    random_.seed(GetParam());
    Bytes settings;
    frame(settings, NGHTTP2_SETTINGS, 0, 0, {});
    feed(acked ? greeting() : settings);
  }

  std::shared_ptr<Exchange> request(const std::string& path) {
    Request r;
    r.url = "https://a.test" + path;
    auto x = std::make_shared<Exchange>(engine_, next_id_++, std::move(r),
                                        *detail::parse_url("https://a.test" + path), Handlers{});
    x->attempt = 1;
    EXPECT_TRUE(protocol_->submit(x));
    Bytes out;
    protocol_->produce_output(out, 1 << 20);
    protocol_->flush_events();
    return x;
  }

  void feed(const Bytes& bytes) {
    std::size_t at = 0;
    while (at < bytes.size() && !protocol_->dead()) {
      const auto n =
          std::min(bytes.size() - at, std::uniform_int_distribution<std::size_t>(1, 3000)(random_));
      protocol_->receive({bytes.data() + at, n});
      at += n;
    }
    protocol_->flush_events();
  }

  /** Lets the client write what it has to say (its RST_STREAM and GOAWAY frames close
      streams and the session), then reports the events; returns the RST_STREAM codes it
      wrote, by stream. */
  std::map<std::uint32_t, std::uint32_t> resets() {
    Bytes out;
    protocol_->produce_output(out, 1 << 20);
    protocol_->finish_if_done();
    protocol_->flush_events();
    std::map<std::uint32_t, std::uint32_t> rst;
    for (std::size_t at = 0; at + detail::h2_wire::kFrameHeaderBytes <= out.size();) {
      const auto head = detail::h2_wire::read_frame_head(out.data() + at);
      const std::uint8_t* p = out.data() + at + detail::h2_wire::kFrameHeaderBytes;
      if (head.type == NGHTTP2_RST_STREAM && head.length == 4) {
        rst[head.stream] = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                           (std::uint32_t{p[2]} << 8) | p[3];
      }
      at += detail::h2_wire::kFrameHeaderBytes + head.length;
    }
    return rst;
  }

  /** How the session closed ("error: detail"); empty while it lives. */
  [[nodiscard]] std::string session_closed() const {
    const bool closed = std::any_of(events_.log.begin(), events_.log.end(), [](const auto& e) {
      return e.rfind("session closed", 0) == 0;
    });
    return closed ? events_.session_error.message() + ": " + events_.session_detail : "";
  }

  [[nodiscard]] ::testing::AssertionResult completed(const std::shared_ptr<Exchange>& x,
                                                     const std::string& body) const {
    const auto it = events_.closed.find(x->id);
    if (it == events_.closed.end()) {
      return ::testing::AssertionFailure()
             << "exchange " << x->id << " did not close; session: " << session_closed();
    }
    if (it->second.kind != Outcome::Kind::completed || x->response.body != body) {
      return ::testing::AssertionFailure()
             << "exchange " << x->id << ": " << it->second.error.message() << " "
             << it->second.detail << ", body \"" << x->response.body << "\"";
    }
    return ::testing::AssertionSuccess();
  }

  testing_support::ManualScheduler scheduler_;
  detail::Engine engine_{Options{}, scheduler_,
                         [](const detail::Url&, detail::SessionId, detail::SessionEvents&) {
                           return std::unique_ptr<detail::Session>();
                         }};
  detail::H2SessionConfig config_;
  FakeHost host_;
  RecordingPool events_;
  std::mt19937 random_;
  std::uint64_t next_id_ = 1;
  std::unique_ptr<testing::DefectInjector> hooks_;
  std::unique_ptr<H2Protocol> protocol_;  // last: destroyed first
};

// RFC 9113 6.10: a block may span any number of CONTINUATION frames. 40 KiB in frames of
// 1 KiB (HEADERS + 40 CONTINUATION), starting with table size updates to 0 and back to
// 4096 (RFC 7541 6.3), between the head and the body of a sibling stream: both complete,
// every filler field arrives, the session lives.
TEST_P(H2HeaderBlocks, ManyContinuationsDecodeBesideASibling) {
  start();
  auto one = request("/one");
  auto two = request("/two");
  Bytes updates = {0x20};
  hpack_int(updates, 0x20, 5, 4096);
  Bytes server;
  frame(server, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 3, small_block());
  header_frames(server, 1, big_block(40, updates), 1024);
  frame(server, NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 3, text("two"));
  frame(server, NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1, text("one"));
  feed(server);
  EXPECT_TRUE(completed(one, "one"));
  EXPECT_TRUE(completed(two, "two"));
  EXPECT_EQ(one->response.headers.size(), 40U);
  EXPECT_EQ(find_header(one->response.headers, fill_name(40)), "40" + std::string(1000, 'v'));
  EXPECT_EQ(session_closed(), "");
}

// PADDED and PRIORITY on the first frame (RFC 9113 6.2): the padding is dropped, the
// priority fields stay in front of the block, and the block still decodes.
TEST_P(H2HeaderBlocks, PaddingAndPriorityOfTheFirstFrameAreKept) {
  start();
  auto one = request("/one");
  const Bytes block = big_block(12);
  Bytes first = {3, 0, 0, 0, 0, 15};  // pad length 3, stream dependency 0, weight 16
  first.insert(first.end(), block.begin(), block.begin() + 500);
  first.insert(first.end(), {0, 0, 0});
  Bytes server;
  frame(server, NGHTTP2_HEADERS, NGHTTP2_FLAG_PADDED | NGHTTP2_FLAG_PRIORITY, 1, first);
  const Bytes rest(block.begin() + 500, block.end());
  for (std::size_t at = 0; at < rest.size(); at += 1000) {
    const bool last = at + 1000 >= rest.size();
    frame(server, NGHTTP2_CONTINUATION, last ? NGHTTP2_FLAG_END_HEADERS : 0, 1,
          Bytes(rest.begin() + static_cast<std::ptrdiff_t>(at),
                rest.begin() + static_cast<std::ptrdiff_t>(std::min(at + 1000, rest.size()))));
  }
  frame(server, NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1, text("one"));
  feed(server);
  EXPECT_TRUE(completed(one, "one"));
  EXPECT_EQ(one->response.headers.size(), 12U);
}

// A frame of another stream inside a block is a connection error (RFC 9113 6.10): the
// block ends unfinished where it came, and nghttp2 still ends the session for it.
TEST_P(H2HeaderBlocks, AFrameInsideABlockStillEndsTheSession) {
  start();
  auto one = request("/one");
  auto two = request("/two");
  const Bytes block = big_block(4);
  Bytes server;
  frame(server, NGHTTP2_HEADERS, 0, 1, Bytes(block.begin(), block.begin() + 1000));
  frame(server, NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 3, text("two"));
  frame(server, NGHTTP2_CONTINUATION, NGHTTP2_FLAG_END_HEADERS, 1,
        Bytes(block.begin() + 1000, block.end()));
  feed(server);
  (void)resets();
  EXPECT_TRUE(protocol_->dead());
  EXPECT_NE(session_closed(), "");
}

// RFC 9113 6.5.2 / 10.5.1: a head beyond our SETTINGS_MAX_HEADER_LIST_SIZE fails its own
// request (header_too_large, RST_STREAM) while its sibling and the session go on; the
// rest of the block is still decoded (RFC 9113 4.3): a field it indexed at its end is
// what a later head refers to (index 62).
TEST_P(H2HeaderBlocks, ABlockBeyondTheLimitFailsOnlyItsRequest) {
  config_.max_response_header_bytes = 64 * 1024;
  start();
  auto big = request("/big");
  auto sibling = request("/sibling");
  Bytes block = big_block(80);
  literal(block, "x-indexed", "yes", 0x40);
  Bytes server;
  header_frames(server, 1, block, 4096);
  frame(server, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 3, small_block());
  frame(server, NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 3, text("two"));
  feed(server);
  EXPECT_EQ(resets().count(1), 1U);
  ASSERT_EQ(events_.closed.count(big->id), 1U) << session_closed();
  EXPECT_EQ(events_.closed[big->id].error, make_error_code(errc::header_too_large));
  EXPECT_TRUE(completed(sibling, "two"));
  // A later response whose head names the entry the rejected block added.
  auto later = request("/later");
  Bytes head = small_block();
  head.push_back(0x80 | 62);
  server.clear();
  frame(server, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 5, head);
  frame(server, NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 5, text("later"));
  feed(server);
  EXPECT_TRUE(completed(later, "later"));
  EXPECT_EQ(find_header(later->response.headers, "x-indexed"), "yes");
  EXPECT_EQ(session_closed(), "");
}

// The defect no_continuation_coalescing: nghttp2 reads the frames as they came and ends
// the session at the 9th CONTINUATION (a connection error: protocol_error, not retried),
// failing the sibling too.
TEST_P(H2HeaderBlocks, WithoutCoalescingNinthContinuationEndsTheSession) {
  start(testing::Defects{}.set(testing::Defects::no_continuation_coalescing));
  auto one = request("/one");
  auto two = request("/two");
  Bytes server;
  frame(server, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 3, small_block());
  header_frames(server, 1, big_block(16), 1024);
  feed(server);
  (void)resets();
  EXPECT_TRUE(protocol_->dead());
  EXPECT_NE(session_closed().find("CONTINUATION"), std::string::npos) << session_closed();
  ASSERT_EQ(events_.closed.count(two->id), 1U);
  EXPECT_EQ(events_.closed[two->id].error, make_error_code(errc::protocol_error));
}

// Before the server acknowledged our SETTINGS, nghttp2 holds frames to 16384 bytes: the
// joined frames are no larger, and the block still decodes (HEADERS + 2 CONTINUATION).
// nghttp2 1.52 counts each read that finds it waiting for a CONTINUATION: the reads of
// the pieces held meanwhile must not reach it (they did: the session ended).
TEST_P(H2HeaderBlocks, BeforeOurSettingsAreAckedFramesStayAt16KiB) {
  start({}, false);
  auto one = request("/one");
  Bytes server;
  header_frames(server, 1, big_block(40), 1024);
  frame(server, NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1, text("one"));
  feed(server);
  EXPECT_TRUE(completed(one, "one"));
  EXPECT_EQ(one->response.headers.size(), 40U);
}

INSTANTIATE_TEST_SUITE_P(Seeds, H2HeaderBlocks, ::testing::Values(1U, 2U, 3U, 4U));

/** The frames (type, flags, length) in `bytes`. */
std::vector<detail::h2_wire::FrameHead> frames_of(const Bytes& bytes) {
  std::vector<detail::h2_wire::FrameHead> out;
  for (std::size_t at = 0; at + detail::h2_wire::kFrameHeaderBytes <= bytes.size();) {
    out.push_back(detail::h2_wire::read_frame_head(bytes.data() + at));
    at += detail::h2_wire::kFrameHeaderBytes + out.back().length;
  }
  return out;
}

// The coalescer alone: frames of 16384 until the server's SETTINGS ACK, then of its
// maximum; other frames pass untouched, an empty last CONTINUATION still ends the block.
TEST(H2HeaderCoalescer, JoinsBlocksUpToTheFrameSizeInForce) {
  detail::H2HeaderCoalescer coalescer(1 << 20);
  const Bytes block = big_block(40);
  Bytes in;
  header_frames(in, 1, block, 1024);
  Bytes out;
  coalescer.push(in, out);
  auto frames = frames_of(out);
  ASSERT_EQ(frames.size(), 3U);
  EXPECT_EQ(frames[0].type, NGHTTP2_HEADERS);
  EXPECT_EQ(frames[0].length, 16384U);
  EXPECT_EQ(frames[1].type, NGHTTP2_CONTINUATION);
  EXPECT_EQ(frames[2].flags, NGHTTP2_FLAG_END_HEADERS);
  EXPECT_EQ(frames[0].length + frames[1].length + frames[2].length, block.size());

  in.clear();
  frame(in, NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0, {});
  frame(in, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 3, Bytes(block.begin(), block.begin() + 9));
  frame(in, NGHTTP2_CONTINUATION, 0, 3, Bytes(block.begin() + 9, block.end()));
  frame(in, NGHTTP2_CONTINUATION, NGHTTP2_FLAG_END_HEADERS, 3, {});
  frame(in, NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 3, text("x"));
  out.clear();
  coalescer.push(in, out);
  frames = frames_of(out);
  ASSERT_EQ(frames.size(), 3U);
  EXPECT_EQ(frames[0].type, NGHTTP2_SETTINGS);
  EXPECT_EQ(frames[1].type, NGHTTP2_HEADERS);
  EXPECT_EQ(frames[1].flags, NGHTTP2_FLAG_END_STREAM | NGHTTP2_FLAG_END_HEADERS);
  EXPECT_EQ(frames[1].length, block.size());
  EXPECT_EQ(frames[2].type, NGHTTP2_DATA);
}

}  // namespace
}  // namespace faultline::transport
