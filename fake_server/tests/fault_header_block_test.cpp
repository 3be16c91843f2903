// Large response heads (respond.header_block, docs/scenarios.md "Large header blocks") on
// the wire: the frames and their sizes as a raw h2 client reads them, the fields as
// nghttp2's own client (nghttp -v) decodes them, and the same fields in an HTTP/1.1 head
// as curl prints it.
#include <gtest/gtest.h>

#include "fault_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;

std::unique_ptr<TestServer> start_block_server() {
  const auto block = [](const std::string& path, int bytes, int frame_bytes, bool updates) {
    json header_block = {{"bytes", bytes}, {"frame_bytes", frame_bytes}};
    if (updates) {
      header_block["table_size_update"] = {0, 4096};
    }
    return json{{"match", {{"path", path}}},
                {"respond", {{"body", "block"}, {"header_block", header_block}}}};
  };
  const json scenario = {
      {"name", "header-blocks"},
      {"listeners",
       {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}, {{"name", "plain"}, {"tls", false}}}},
      {"routes",
       {block("/block/16k-1k", 16384, 1024, true), block("/block/16k-4k", 16384, 4096, true)}}};
  const auto file = write_temp_file("faultline-header-blocks.json", scenario.dump());
  return TestServer::start({"--scenario", file.string()});
}

// HEADERS + CONTINUATION frames of 1024 bytes each but the last (RFC 9113 6.2, 6.10),
// END_HEADERS only on the last, then the DATA.
TEST(FaultHeaderBlock, FramesOfTheRoutesSizeAsARawClientReadsThem) {
  auto server = start_block_server();
  ASSERT_TRUE(server);
  const json seen = raw_h2(server->port("plain"),
                           {{"requests", {{{"path", "/block/16k-1k"}}}}, {"until_data_on", 1}});
  ASSERT_FALSE(seen["timed_out"].get<bool>()) << seen.dump();
  std::vector<json> block;
  for (const auto& frame : seen["frames"]) {
    if (frame["stream"] == 1 && (frame["type"] == 1 || frame["type"] == 9)) {
      block.push_back(frame);
    }
  }
  ASSERT_GE(block.size(), 16u) << seen.dump();
  EXPECT_EQ(block.front()["type"], 1);
  for (std::size_t i = 0; i < block.size(); ++i) {
    const int flags = block[i]["flags"].get<int>();
    if (i > 0) {
      EXPECT_EQ(block[i]["type"], 9) << i;
    }
    if (i + 1 < block.size()) {
      EXPECT_EQ(block[i]["length"], 1024) << i;
      EXPECT_EQ(flags & 0x4, 0) << i;
    } else {
      EXPECT_EQ(flags & 0x4, 0x4);
      EXPECT_LE(block[i]["length"].get<int>(), 1024);
    }
  }
}

// nghttp2's client decodes the 16 filler fields after the table size updates (4 frames of
// 4096 bytes: within nghttp2 1.52's 8 CONTINUATION frames); the 1 KiB framing of the same
// block (17 frames) stops it at the 9th CONTINUATION (NGHTTP2_ERR_TOO_MANY_CONTINUATIONS),
// the cap our transport works around.
TEST(FaultHeaderBlock, NghttpDecodesTheFieldsAndShowsItsCap) {
  auto server = start_block_server();
  ASSERT_TRUE(server);
  const CommandResult ok = nghttp({server->https() + "/block/16k-4k"});
  EXPECT_NE(ok.out.find("x-fill-0001: 0001XXXX"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("x-fill-0016: 0016XXXX"), std::string::npos) << ok.out;
  EXPECT_EQ(ok.out.find("x-fill-0017"), std::string::npos);
  const CommandResult capped = nghttp({server->https() + "/block/16k-1k"});
  // It decodes what HEADERS + 8 CONTINUATION frames carry, then reads nothing more: not
  // the rest of the block, not the body.
  EXPECT_NE(capped.out.find("x-fill-0008: 0008XXXX"), std::string::npos) << capped.out;
  EXPECT_EQ(capped.out.find("x-fill-0016"), std::string::npos) << capped.out;
  EXPECT_TRUE(received(parse_nghttp_log(capped.out), "DATA").empty()) << capped.out;
}

// HTTP/1.1: the same fields in the head.
TEST(FaultHeaderBlock, Http11HeadCarriesTheSameFields) {
  auto server = start_block_server();
  ASSERT_TRUE(server);
  const CommandResult result =
      run_command({curl(), "-sS", "--http1.1", "--cacert", server->ca(), "-D", "-", "-o",
                   "/dev/null", server->https() + "/block/16k-4k"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("x-fill-0001: 0001XXX"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("x-fill-0016: 0016XXX"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("x-fill-0017"), std::string::npos);
}

}  // namespace
}  // namespace faultline::fake_server::testing
