// Response framing that lies (respond.content_length, docs/scenarios.md "Declared
// length"), answers before the request body (respond.early, "Early answers") and the
// request body bytes the server records per request id, each seen by an independent
// client: nghttp -v for HTTP/2, curl for HTTP/1.1.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fault_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;

/** Lengths that lie, a chunked body, and an echo route for uploads. */
std::unique_ptr<TestServer> start_framing_server() {
  const json scenario = {
      {"name", "framing"},
      {"routes",
       {{{"match", {{"path", "/cl/fewer"}}},
         {"respond", {{"body", {{"random_bytes", 400}}}, {"content_length", 1000}}}},
        {{"match", {{"path", "/cl/conflict"}}},
         {"respond", {{"body", {{"random_bytes", 1000}}}, {"content_length", {1000, 999}}}}},
        {{"match", {{"path", "/cl/none"}}},
         {"respond", {{"body", {{"random_bytes", 5000}}}, {"content_length", "none"}}}},
        {{"match", {{"path", "/early/413"}}},
         {"respond", {{"status", 413}, {"early", true}, {"body", "too large"}}}},
        {{"match", {{"path", "/up/{name}"}}}, {"respond", {{"body", {{"echo", true}}}}}}}}};
  const auto file = write_temp_file("faultline-framing.json", scenario.dump());
  return TestServer::start({"--scenario", file.string()});
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// HTTP/2: the head declares 1000, the DATA frames total 400 and end the stream (the
// server's timeline); nghttp (nghttp2's own client) sees the lie and resets the stream
// with PROTOCOL_ERROR before it logs the DATA.
TEST(FaultFraming, H2DeclaredLengthDiffersFromTheData) {
  auto server = start_framing_server();
  ASSERT_TRUE(server);
  const CommandResult result = nghttp({server->https() + "/cl/fewer"});
  EXPECT_NE(result.out.find("content-length: 1000"), std::string::npos) << result.out;
  const auto frames = parse_nghttp_log(result.out);
  const bool reset = std::any_of(frames.begin(), frames.end(), [](const LoggedFrame& f) {
    return f.dir == "send" && f.type == "RST_STREAM" &&
           f.detail.find("PROTOCOL_ERROR") != std::string::npos;
  });
  EXPECT_TRUE(reset) << result.out;
  std::uint64_t sent = 0;
  bool end_stream = false;
  for (const auto& data : timeline_events(*server, 1, "out", "DATA")) {
    sent += data["length"].get<std::uint64_t>();
    end_stream = end_stream || data.dump().find("END_STREAM") != std::string::npos;
  }
  EXPECT_EQ(sent, 400U);
  EXPECT_TRUE(end_stream);
}

// HTTP/2: two content-length fields, in order; nghttp2 rejects the head.
TEST(FaultFraming, H2ConflictingContentLengthFields) {
  auto server = start_framing_server();
  ASSERT_TRUE(server);
  const CommandResult result = nghttp({server->https() + "/cl/conflict"});
  const auto frames = parse_nghttp_log(result.out);
  EXPECT_EQ(received(frames, "HEADERS").size(), 1U) << result.out;
  EXPECT_TRUE(
      received(frames, "DATA").empty() ||
      std::any_of(frames.begin(), frames.end(),
                  [](const LoggedFrame& f) { return f.dir == "send" && f.type == "RST_STREAM"; }))
      << result.out;
}

// HTTP/1.1: the raw head carries both fields; "none" sends the body chunked.
TEST(FaultFraming, H1DeclaredLengthsAndChunkedBody) {
  auto server = start_framing_server();
  ASSERT_TRUE(server);
  const auto head = write_temp_file("faultline-framing-head", "");
  const auto body = write_temp_file("faultline-framing-body", "");
  const CommandResult conflict =
      run_command({curl(), "-sS", "--http1.1", "--max-time", "5", "--cacert", server->ca(), "-D",
                   head.string(), "-o", body.string(), server->https() + "/cl/conflict"});
  const std::string conflict_head = read_file(head);
  EXPECT_NE(conflict_head.find("content-length: 1000\r\ncontent-length: 999\r\n"),
            std::string::npos)
      << conflict_head << conflict.err;

  const CommandResult chunked =
      run_command({curl(), "-sS", "--http1.1", "--raw", "--cacert", server->ca(), "-D",
                   head.string(), "-o", body.string(), server->https() + "/cl/none"});
  ASSERT_EQ(chunked.exit_code, 0) << chunked.err;
  const std::string chunked_head = read_file(head);
  EXPECT_NE(chunked_head.find("transfer-encoding: chunked"), std::string::npos) << chunked_head;
  EXPECT_EQ(chunked_head.find("content-length"), std::string::npos) << chunked_head;
  EXPECT_GT(std::filesystem::file_size(body), 5000U);  // --raw: the chunk framing too
}

// The request body bytes of every request id, as they arrived, over both protocols.
TEST(FaultFraming, RequestBodyBytesAreCountedPerRequestId) {
  auto server = start_framing_server();
  ASSERT_TRUE(server);
  const auto upload = write_temp_file("faultline-framing-upload", std::string(3000, 'u'));
  for (const std::string protocol : {"--http2", "--http1.1"}) {
    const std::string id = "up" + protocol;
    const CommandResult result = run_command(
        {curl(), "-sS", protocol, "--cacert", server->ca(), "-H", "x-faultline-request-id: " + id,
         "--data-binary", "@" + upload.string(), "-o", "/dev/null", server->https() + "/up/x"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(server->stats()["request_body_bytes"][id], 3000) << server->stats().dump();
    EXPECT_EQ(server->admin_call("GET", "/v1/requests/" + id).body["body_bytes"], 3000);
  }
}

// respond.early: the answer goes out on the request head. HTTP/2: HEADERS, DATA with
// END_STREAM, then RST_STREAM(NO_ERROR) while nghttp still uploads; HTTP/1.1: curl gets
// the 413 with connection: close, and the server read (almost) nothing of the upload.
TEST(FaultFraming, EarlyAnswerBeforeTheUpload) {
  auto server = start_framing_server();
  ASSERT_TRUE(server);
  const std::uint64_t size = 10u << 20;
  const auto upload = write_temp_file("faultline-early-upload", std::string(size, 'u'));
  const CommandResult h2 = nghttp({"-H", "x-faultline-request-id: early-h2", "-d", upload.string(),
                                   server->https() + "/early/413"});
  EXPECT_NE(h2.out.find(":status: 413"), std::string::npos) << h2.out;
  const auto frames = parse_nghttp_log(h2.out);
  const auto end = std::find_if(frames.begin(), frames.end(), [](const LoggedFrame& f) {
    return f.dir == "recv" && f.type == "DATA" && (f.flags & 0x1) != 0;
  });
  ASSERT_NE(end, frames.end()) << h2.out;
  const auto reset = std::find_if(end, frames.end(), [](const LoggedFrame& f) {
    return f.dir == "recv" && f.type == "RST_STREAM";
  });
  ASSERT_NE(reset, frames.end()) << "no RST_STREAM after END_STREAM\n" << h2.out;
  EXPECT_NE(reset->detail.find("NO_ERROR"), std::string::npos) << reset->detail;
  EXPECT_EQ(server->stats()["request_body_bytes"].value("early-h2", std::uint64_t{0}), 0u);

  const CommandResult h1 =
      run_command({curl(), "-sS", "-v", "--http1.1", "--cacert", server->ca(), "-H",
                   "x-faultline-request-id: early-h1", "--data-binary", "@" + upload.string(), "-w",
                   " %{http_code}", server->https() + "/early/413"},
                  60s);
  EXPECT_EQ(h1.out, "too large 413") << h1.err;
  EXPECT_NE(h1.err.find("< connection: close"), std::string::npos) << h1.err;
  EXPECT_LT(server->stats()["request_body_bytes"].value("early-h1", std::uint64_t{0}), size);
}

}  // namespace
}  // namespace faultline::fake_server::testing
