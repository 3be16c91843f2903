// Bodies end to end over h2 and h1: echo digests up to 16 MiB, random bytes,
// multipart, SSE pacing measured at the client, redirects, trailers.
#include <gtest/gtest.h>

#include "faultline/common/sha256.h"
#include "process_support.h"

namespace faultline::fake_server::testing {
namespace {

using common::sha256_hex;
using nlohmann::json;

/** One server for these stateless requests. */
class Bodies : public SharedServerTest {
 protected:
  /** curl against the main listener with the given protocol flag; stdout. */
  static CommandResult fetch(const std::string& flag, std::vector<std::string> args) {
    std::vector<std::string> argv{curl(), "-sS", flag, "--cacert", server_->ca()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, 120s);
  }
};

struct EchoCase {
  std::size_t size;
  const char* flag;
};

void PrintTo(const EchoCase& c, std::ostream* out) {
  *out << c.size << " B " << c.flag;
}

class EchoDigest : public Bodies, public ::testing::WithParamInterface<EchoCase> {};

TEST_P(EchoDigest, MatchesWhatWasSent) {
  const auto [size, flag] = GetParam();
  const std::string body = splitmix_bytes(size, size);
  const auto file = write_temp_file("echo.bin", body);
  const CommandResult result =
      fetch(flag, {"--data-binary", "@" + file.string(), "-H", "content-type: application/x-test",
                   server_->https() + "/echo"});
  std::filesystem::remove(file);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json echo = json::parse(result.out);
  EXPECT_EQ(echo["body_bytes"], size);
  EXPECT_EQ(echo["sha256"], sha256_hex(body));
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["headers"]["content-type"], "application/x-test");
}

INSTANTIATE_TEST_SUITE_P(SizesAndProtocols, EchoDigest,
                         ::testing::Values(EchoCase{0, "--http2"}, EchoCase{1, "--http2"},
                                           EchoCase{1 << 20, "--http2"},
                                           EchoCase{16 << 20, "--http2"}, EchoCase{0, "--http1.1"},
                                           EchoCase{1, "--http1.1"}, EchoCase{1 << 20, "--http1.1"},
                                           EchoCase{16 << 20, "--http1.1"}),
                         [](const auto& info) {
                           return std::to_string(info.param.size) + "B_" +
                                  (std::string(info.param.flag) == "--http2" ? "h2" : "h1");
                         });

TEST_F(Bodies, RandomBytesAreTheDocumentedStreamOnBothProtocols) {
  constexpr std::size_t kSize = 1 << 20;
  const std::string expected = splitmix_bytes(7, kSize);  // the default scenario's seed
  for (const char* flag : {"--http2", "--http1.1", "--http2-prior-knowledge"}) {
    const std::string base =
        std::string(flag) == "--http2-prior-knowledge" ? server_->http() : server_->https();
    const CommandResult result = fetch(flag, {base + "/bytes/" + std::to_string(kSize)});
    ASSERT_EQ(result.exit_code, 0) << flag << ": " << result.err;
    EXPECT_EQ(result.out.size(), kSize) << flag;
    EXPECT_TRUE(result.out == expected) << flag << ": bytes differ";
  }
}

TEST_F(Bodies, MultipartPartsAreDigested) {
  const std::string binary = splitmix_bytes(99, 300000);
  const auto file = write_temp_file("part.bin", binary);
  for (const char* flag : {"--http2", "--http1.1"}) {
    const CommandResult result =
        fetch(flag, {"-F", "field=hello", "-F", "upload=@" + file.string() + ";type=image/png",
                     server_->https() + "/echo"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const json parts = json::parse(result.out)["parts"];
    ASSERT_EQ(parts.size(), 2u) << result.out;
    EXPECT_EQ(parts[0]["name"], "field");
    EXPECT_EQ(parts[0]["bytes"], 5);
    EXPECT_EQ(parts[0]["sha256"], sha256_hex("hello"));
    EXPECT_EQ(parts[1]["name"], "upload");
    EXPECT_EQ(parts[1]["filename"], file.filename().string());
    EXPECT_EQ(parts[1]["content_type"], "image/png");
    EXPECT_EQ(parts[1]["bytes"], binary.size());
    EXPECT_EQ(parts[1]["sha256"], sha256_hex(binary));
  }
  std::filesystem::remove(file);
}

/** Node client printing {"status","alpn","chunks":[{"t":ms,"text":...}]} for a GET. */
constexpr const char* kTimedGet = R"(
  const [url, ca, mode] = process.argv.slice(1);
  const fs = require('fs'), start = Date.now(), chunks = [];
  const done = (status, alpn) => console.log(JSON.stringify({status, alpn, chunks}));
  if (mode === 'h2') {
    const s = require('http2').connect(url, {ca: fs.readFileSync(ca)});
    s.on('error', e => { console.log(e.code); process.exit(1); });
    const req = s.request({':path': new URL(url).pathname});
    let status = 0;
    req.on('response', h => status = h[':status']);
    req.on('data', d => chunks.push({t: Date.now() - start, text: d.toString()}));
    req.on('end', () => { done(status, s.alpnProtocol); s.close(); });
  } else {
    require('https').get(url, {ca: fs.readFileSync(ca)}, res => {
      const alpn = res.socket.alpnProtocol || 'http/1.1';
      res.on('data', d => chunks.push({t: Date.now() - start, text: d.toString()}));
      res.on('end', () => done(res.statusCode, alpn));
    }).on('error', e => { console.log(e.code); process.exit(1); });
  }
)";

TEST(Sse, ArrivesIncrementally) {
  // Four events 300 ms apart: whatever the load, a client that gets them as they are
  // sent sees the first one long before the last.
  const auto file = write_temp_file("sse.json", R"({
    "name": "sse",
    "routes": [{"match": {"path": "/sse"},
                "respond": {"body": {"sse": {"events": 4, "interval_ms": 300, "data": "{i}"}}}}]})");
  auto server = TestServer::start({"--scenario", file.string()});
  ASSERT_TRUE(server);
  for (const char* mode : {"h2", "h1"}) {
    const CommandResult result =
        run_command({node(), "-e", kTimedGet, server->https() + "/sse", server->ca(), mode});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    const json answer = json::parse(result.out);
    EXPECT_EQ(answer["status"], 200);
    EXPECT_EQ(answer["alpn"], std::string(mode) == "h2" ? "h2" : "http/1.1");
    std::string text;
    double first_event_at = -1;
    double last_event_at = -1;
    for (const auto& chunk : answer["chunks"]) {
      text += chunk["text"].get<std::string>();
      if (first_event_at < 0 && text.find("data: 0\n\n") != std::string::npos) {
        first_event_at = chunk["t"];
      }
      if (last_event_at < 0 && text.find("data: 3\n\n") != std::string::npos) {
        last_event_at = chunk["t"];
      }
    }
    EXPECT_EQ(text, "id: 0\ndata: 0\n\nid: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\n");
    ASSERT_GE(first_event_at, 0) << text;
    ASSERT_GE(last_event_at, 0) << text;
    // The server sends the last event 900 ms after the first; received at least half
    // of that apart means the events were not buffered until the end.
    EXPECT_GE(last_event_at - first_event_at, 450) << mode << " " << result.out;
    EXPECT_GE(answer["chunks"].size(), 4u) << mode;
  }
}

TEST_F(Bodies, SplitSseEventsSpanDataFrames) {
  const CommandResult result =
      run_command({FAULTLINE_NGHTTP, "-v", server_->https() + "/sse/split"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // split [1,2,3]: DATA frames of 1, 2 and 3 bytes.
  EXPECT_NE(result.out.find("recv DATA frame <length=1,"), std::string::npos);
  EXPECT_NE(result.out.find("recv DATA frame <length=2,"), std::string::npos);
  EXPECT_NE(result.out.find("recv DATA frame <length=3,"), std::string::npos);
  EXPECT_EQ(result.out.find("recv DATA frame <length=4"), std::string::npos);
}

TEST_F(Bodies, RedirectChainsFollowedByCurl) {
  for (const char* flag : {"--http2", "--http1.1"}) {
    for (const char* path :
         {"/redirect/5", "/redirect301/3", "/redirect303/3", "/redirect307/3", "/redirect308/3"}) {
      const CommandResult result =
          fetch(flag, {"-L", "-w", " %{num_redirects} %{http_code}", server_->https() + path});
      EXPECT_EQ(result.out,
                std::string("done ") + (std::string(path) == "/redirect/5" ? "5" : "3") + " 200")
          << flag << " " << path << " " << result.err;
    }
    const CommandResult loop =
        fetch(flag, {"-L", "--max-redirs", "10", server_->https() + "/loop/a"});
    EXPECT_EQ(loop.exit_code, 47) << "too many redirects expected";
  }
}

TEST_F(Bodies, CrossOriginRedirectLandsOnTheH1OnlyListener) {
  const CommandResult result = fetch(
      "--http2", {"-L", "-o", "/dev/null", "-w", "%{url_effective} %{http_version} %{http_code}",
                  server_->https() + "/cross/h1"});
  EXPECT_EQ(result.out, server_->origin("h1only") + "/echo 1.1 200") << result.err;
}

TEST_F(Bodies, TrailersInChunkedHttp1) {
  const CommandResult result = fetch("--http1.1", {"--raw", server_->https() + "/trailers"});
  EXPECT_NE(result.out.find("13\r\nbody with trailers\n\r\n0\r\nx-trailer: yes\r\n\r\n"),
            std::string::npos)
      << result.out;
}

// respond.informational and respond.expect_continue on the wire, seen by nghttp (h2)
// and curl (HTTP/1.1): each 1xx head before the final one, with its own fields only.
TEST(Informational, EarlyHintsAndContinueOnBothProtocols) {
  const auto file = write_temp_file("informational.json", R"({
    "name": "informational",
    "routes": [
      {"match": {"path": "/early"},
       "respond": {"informational": [{"status": 103, "headers": {"link": "</a.css>"}},
                                     {"status": 103, "headers": {"link": "</b.css>"}}],
                   "headers": {"x-final": "yes"}, "body": "final"}},
      {"match": {"path": "/expect"}, "respond": {"body": {"echo": true}}},
      {"match": {"path": "/expect/none"},
       "respond": {"expect_continue": false, "body": {"echo": true}}}]})");
  auto server = TestServer::start({"--scenario", file.string()});
  ASSERT_TRUE(server);
  // h2: two HEADERS frames with :status 103 (no END_STREAM), then the final one.
  auto h2 = run_command({FAULTLINE_NGHTTP, "-v", server->https() + "/early"}, 60s);
  ASSERT_EQ(h2.exit_code, 0) << h2.err;
  const auto first = h2.out.find(":status: 103");
  const auto second = h2.out.find(":status: 103", first + 1);
  const auto final_head = h2.out.find(":status: 200");
  ASSERT_NE(first, std::string::npos) << h2.out;
  ASSERT_NE(second, std::string::npos) << h2.out;
  ASSERT_NE(final_head, std::string::npos) << h2.out;
  EXPECT_LT(second, final_head);
  EXPECT_EQ(h2.out.find("link:", final_head), std::string::npos)
      << "a 1xx field after the final head";
  // HTTP/1.1: two interim heads, then the final head without their fields.
  auto h1 = run_command(
      {curl(), "-sS", "-v", "--http1.1", "--cacert", server->ca(), server->https() + "/early"},
      60s);
  ASSERT_EQ(h1.exit_code, 0) << h1.err;
  EXPECT_EQ(h1.out, "final");
  const auto hint = h1.err.find("< HTTP/1.1 103");
  const auto hint2 = h1.err.find("< HTTP/1.1 103", hint + 1);
  const auto ok = h1.err.find("< HTTP/1.1 200");
  ASSERT_NE(hint2, std::string::npos) << h1.err;
  ASSERT_NE(ok, std::string::npos) << h1.err;
  EXPECT_LT(hint2, ok);
  EXPECT_EQ(h1.err.find("< link:", ok), std::string::npos) << h1.err;
  // expect: 100-continue on h2: 100 before the final head, unless the route says no.
  const auto body = write_temp_file("expect-body.txt", std::string(1000, 'b'));
  for (const std::string path : {"/expect", "/expect/none"}) {
    auto r = run_command({FAULTLINE_NGHTTP, "-v", "-H", "expect: 100-continue", "-d", body.string(),
                          server->https() + path},
                         60s);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find(":status: 100") != std::string::npos, path == "/expect") << r.out;
    EXPECT_NE(r.out.find("\"body_bytes\":1000"), std::string::npos) << r.out;
  }
}

TEST_F(Bodies, NotFoundIsJson) {
  const CommandResult result = fetch("--http2", {"-w", " %{http_code}", server_->http() + "/x"});
  EXPECT_NE(result.out.find("404"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace faultline::fake_server::testing
