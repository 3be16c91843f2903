// The raw frame writer and reader, byte for byte against RFC 9113 section 4 and 6,
// including frames a compliant library refuses to write.
#include "detail/h2_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace faultline::fake_server::detail {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes written(void (*write)(FrameWriter&)) {
  Bytes out;
  FrameWriter writer(out);
  write(writer);
  return out;
}

TEST(H2FrameWriter, DataOnAClosedStreamWithoutFlags) {
  // RFC 9113 6.1: length 5, type 0, flags 0, stream 3, then the payload.
  const Bytes out = written([](FrameWriter& w) { w.data(3, 5, 'x'); });
  EXPECT_EQ(out, Bytes({0, 0, 5, 0, 0, 0, 0, 0, 3, 'x', 'x', 'x', 'x', 'x'}));
}

TEST(H2FrameWriter, DataOnStreamZeroAndAnEmptyEndStream) {
  // Stream 0 is a connection error for DATA (6.1): the writer sends it anyway.
  const Bytes out = written([](FrameWriter& w) { w.data(0, 0, 0, frame_flag::kEndStream); });
  EXPECT_EQ(out, Bytes({0, 0, 0, 0, 1, 0, 0, 0, 0}));
}

TEST(H2FrameWriter, TheReservedBitIsAlwaysClearAndLengthsUse24Bits) {
  Bytes out;
  FrameWriter(out).header(0x1234567, FrameType::headers, 0xff, 0xffffffff);
  // 0x1234567 mod 2^24 = 0x234567; the stream id loses its top (reserved) bit.
  EXPECT_EQ(out, Bytes({0x23, 0x45, 0x67, 1, 0xff, 0x7f, 0xff, 0xff, 0xff}));
}

TEST(H2FrameWriter, GoawayWithAnEvenLastStreamIdAndDebugData) {
  // 6.8: last-stream-id 2 names a stream the client could never open; sent as given.
  const Bytes out = written([](FrameWriter& w) { w.goaway(2, 0xb, "hi"); });
  EXPECT_EQ(out, Bytes({0, 0, 10, 7, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0xb, 'h', 'i'}));
}

TEST(H2FrameWriter, GoawayKeepsAnyErrorCodeAndAllThirtyTwoBitsOfTheId) {
  const Bytes out = written([](FrameWriter& w) { w.goaway(0xffffffff, 0xdeadbeef, ""); });
  EXPECT_EQ(out,
            Bytes({0, 0, 8, 7, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xde, 0xad, 0xbe, 0xef}));
}

TEST(H2FrameWriter, SettingsEntriesAndAck) {
  const SettingEntry entries[] = {{setting_id::kMaxConcurrentStreams, 100},
                                  {setting_id::kInitialWindowSize, 0x7fffffff}};
  Bytes out;
  FrameWriter writer(out);
  writer.settings(entries);
  writer.settings_ack();
  EXPECT_EQ(out, Bytes({0,    0, 12, 4, 0, 0,   0, 0, 0,  // SETTINGS, 2 entries
                        0,    3, 0,  0, 0, 100, 0, 4, 0x7f, 0xff, 0xff,
                        0xff, 0, 0,  0, 4, 1,   0, 0, 0,    0}));  // SETTINGS ACK
}

TEST(H2FrameWriter, RstPingWindowUpdateAndAnExtensionFrame) {
  Bytes out;
  FrameWriter writer(out);
  writer.rst_stream(1, 8);
  writer.ping(0x0102030405060708, true);
  writer.window_update(0, 0x10000);
  const Bytes payload = {0xaa, 0xbb};
  writer.frame(0xfa, 0x10, 9, payload);  // an unknown type: a receiver must ignore it (5.5)
  EXPECT_EQ(out, Bytes({0, 0, 4, 3,    0,    0, 0, 0, 1, 0,    0,   0, 8,              // RST_STREAM
                        0, 0, 8, 6,    1,    0, 0, 0, 0, 1,    2,   3, 4, 5, 6, 7, 8,  // PING ACK
                        0, 0, 4, 8,    0,    0, 0, 0, 0, 0,    1,   0, 0,  // WINDOW_UPDATE
                        0, 0, 2, 0xfa, 0x10, 0, 0, 0, 9, 0xaa, 0xbb}));
}

TEST(H2FrameWriter, HeadersCarryTheBlockAsGiven) {
  Bytes block;
  append_hpack_literal(block, "x-late", "1");
  // RFC 7541 6.2.2: 0x00, name length 6, name, value length 1, value.
  EXPECT_EQ(block, Bytes({0, 6, 'x', '-', 'l', 'a', 't', 'e', 1, '1'}));
  Bytes out;
  FrameWriter(out).headers(5, block, frame_flag::kEndStream | frame_flag::kEndHeaders);
  Bytes expected = {0, 0, 10, 1, 5, 0, 0, 0, 5};
  expected.insert(expected.end(), block.begin(), block.end());
  EXPECT_EQ(out, expected);
}

TEST(H2FrameWriter, HpackLiteralLengthsUseTheSevenBitPrefixContinuation) {
  // RFC 7541 5.1: 126 fits the prefix; 127 is 0x7f then 0; 300 is 0x7f, 173 | 0x80, 1.
  for (const auto& [n, prefix] : std::vector<std::pair<std::size_t, Bytes>>{
           {126, {126}}, {127, {0x7f, 0}}, {300, {0x7f, 0xad, 0x01}}}) {
    Bytes block;
    append_hpack_literal(block, std::string(n, 'a'), "");
    const Bytes head(block.begin() + 1, block.begin() + 1 + static_cast<long>(prefix.size()));
    EXPECT_EQ(head, prefix) << n;
    EXPECT_EQ(block.size(), 1 + prefix.size() + n + 1) << n;
  }
}

TEST(H2FrameReader, WalksCompleteFramesAndLeavesAPartialOne) {
  Bytes bytes;
  FrameWriter writer(bytes);
  writer.data(1, 3, 'a', frame_flag::kEndStream);
  writer.goaway(1, 0, "");
  writer.data(3, 4, 'b');
  bytes.pop_back();  // the last frame misses one payload byte

  FrameReader reader(bytes);
  const auto data = reader.next();
  ASSERT_TRUE(data);
  EXPECT_EQ(data->header, (FrameHeader{3, 0, frame_flag::kEndStream, 1, false}));
  EXPECT_EQ(Bytes(data->payload.begin(), data->payload.end()), Bytes({'a', 'a', 'a'}));
  const auto goaway = reader.next();
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->offset, 12u);
  EXPECT_TRUE(goaway->header.is(FrameType::goaway));
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.rest().size(), 9u + 3u);
  EXPECT_EQ(reader.offset(), 12u + 17u);
}

TEST(H2FrameReader, ReportsTheReservedBitAndNeedsTheWholeHeader) {
  const Bytes bytes = {0, 0, 0, 0x6, 0, 0x80, 0, 0, 1};
  const auto header = complete_frame_at(bytes, 0);
  ASSERT_TRUE(header);
  EXPECT_TRUE(header->reserved_bit);
  EXPECT_EQ(header->stream_id, 1u);
  EXPECT_FALSE(complete_frame_at(std::span(bytes).first(8), 0));
  EXPECT_FALSE(complete_frame_at(bytes, 1));
  EXPECT_FALSE(complete_frame_at(bytes, 10));
}

TEST(H2FrameReader, DecodersCheckTheirPayloadLength) {
  Bytes bytes;
  FrameWriter writer(bytes);
  writer.goaway(7, 2, "debug");
  writer.rst_stream(3, 7);
  writer.frame(static_cast<std::uint8_t>(FrameType::rst_stream), 0, 3, Bytes{0, 0, 7});
  writer.frame(static_cast<std::uint8_t>(FrameType::settings), 0, 0, Bytes{0, 3, 0, 0, 0});
  FrameReader reader(bytes);
  const auto goaway = decode_goaway(*reader.next());
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->last_stream_id, 7u);
  EXPECT_EQ(goaway->error_code, 2u);
  EXPECT_EQ(goaway->debug, "debug");
  EXPECT_EQ(decode_rst_stream(*reader.next()), 7u);
  EXPECT_FALSE(decode_rst_stream(*reader.next()));  // 3 bytes: a FRAME_SIZE_ERROR (6.4)
  EXPECT_FALSE(decode_settings(*reader.next()));    // 5 bytes: not a multiple of 6 (6.5)
}

TEST(H2FrameSettingsPatch, AppendsAnEntryAndRewritesTheLengthOfThatFrameOnly) {
  Bytes bytes;
  FrameWriter writer(bytes);
  writer.ping(1);
  const std::size_t at = bytes.size();
  const SettingEntry window[] = {{setting_id::kInitialWindowSize, 65535}};
  writer.settings(window);
  writer.settings_ack();

  EXPECT_EQ(append_setting(bytes, at, {setting_id::kMaxConcurrentStreams, 10}), 12u);
  FrameReader reader(bytes);
  ASSERT_TRUE(reader.next());  // the PING is untouched
  const auto settings = reader.next();
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->header.length, 12u);
  EXPECT_EQ(decode_settings(*settings),
            (std::vector<SettingEntry>{{setting_id::kInitialWindowSize, 65535},
                                       {setting_id::kMaxConcurrentStreams, 10}}));
  const auto ack = reader.next();
  ASSERT_TRUE(ack);  // the ACK after it moved along intact
  EXPECT_EQ(ack->header, (FrameHeader{0, 4, frame_flag::kAck, 0, false}));
  EXPECT_TRUE(reader.rest().empty());
}

}  // namespace
}  // namespace faultline::fake_server::detail
