// Bad input: garbage on the wire closes only that connection; oversize requests get
// 413/431; the server keeps serving everyone else.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "process_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;

/** Sends bytes on a fresh TCP connection and reads until the server closes it (or the
    deadline); returns what arrived and whether the close happened. */
std::pair<std::string, bool> send_raw(int port, const std::string& bytes,
                                      std::chrono::milliseconds deadline = 10s) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {"connect failed", false};
  }
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string received;
  bool closed = false;
  const auto end = std::chrono::steady_clock::now() + deadline;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      continue;
    }
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      closed = true;
      break;
    }
    received.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return {received, closed};
}

TEST(Robustness, GarbageOnCleartextIs400AndCloseWhileOthersAreServed) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  const auto [answer, closed] = send_raw(server->port("plain"), "\x01\x02\x03 garbage\r\n\r\n");
  EXPECT_TRUE(closed);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << answer;
  // A preface that goes wrong after "PRI": HTTP/1.1 parsing, 400 as well.
  const auto [pri, pri_closed] =
      send_raw(server->port("plain"), "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n");
  EXPECT_TRUE(pri_closed);
  EXPECT_EQ(pri.rfind("HTTP/1.1 400", 0), 0u) << pri;
  const CommandResult ok = run_command({curl(), "-sS", server->http() + "/health"});
  EXPECT_EQ(ok.out, "ok") << ok.err;
}

// One HTTP/1.1 request with bytes that are not UTF-8 (field value, query, request id)
// used to end the whole process from the echo's JSON; it is answered, and the server
// and its stats keep working.
TEST(Robustness, BytesThatAreNotUtf8AreEchoedAndCountedWithoutHarm) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  const std::string request =
      "GET /echo?q=\xff HTTP/1.1\r\nHost: x\r\nx-bin: \xff\xfe\r\n"
      "x-faultline-request-id: r-\xff\r\nConnection: close\r\n\r\n";
  const auto [answer, closed] = send_raw(server->port("plain"), request);
  EXPECT_TRUE(closed);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("\"q=\xef\xbf\xbd\""), std::string::npos) << answer;
  const CommandResult ok = run_command({curl(), "-sS", server->http() + "/health"});
  EXPECT_EQ(ok.out, "ok") << ok.err;
  const auto stats = server->admin_call("GET", "/v1/stats");
  EXPECT_EQ(stats.status, 200) << stats.body.dump();
  EXPECT_EQ(stats.body["requests"].value("r-\xef\xbf\xbd", 0), 1) << stats.body.dump();
}

TEST(Robustness, GarbageAfterH2NegotiationIsGoawayProtocolErrorWhileOthersAreServed) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  // One healthy h2 session stays open around a TLS connection that negotiates h2 and
  // then sends garbage; the healthy one must keep working.
  const char* script = R"(
    const http2 = require('http2'), tls = require('tls'), fs = require('fs');
    const [url, ca] = process.argv.slice(1), u = new URL(url), caPem = fs.readFileSync(ca);
    const session = http2.connect(url, {ca: caPem});
    const get = (path, done) => {
      const req = session.request({':path': path});
      let body = ''; req.on('data', d => body += d); req.on('end', () => done(body));
    };
    get('/health', before => {
      const bad = tls.connect({host: u.hostname, port: +u.port, ca: caPem, servername: 'localhost',
                               ALPNProtocols: ['h2']}, () => bad.write('GARBAGE GARBAGE GARBAGE!\r\n\r\n'));
      const chunks = [];
      bad.on('data', d => chunks.push(d));
      bad.on('error', () => {});
      bad.on('close', () => {
        const bytes = Buffer.concat(chunks);
        // Walk the frames: [len:3][type:1][flags:1][stream:4]; GOAWAY = 7, error code at +4.
        let goaway = null;
        for (let at = 0; at + 9 <= bytes.length;) {
          const len = bytes.readUIntBE(at, 3), type = bytes[at + 3];
          if (type === 7) goaway = bytes.readUInt32BE(at + 9 + 4);
          at += 9 + len;
        }
        get('/health', after => {
          console.log(JSON.stringify({alpn: bad.alpnProtocol, before, after, goaway}));
          session.close();
        });
      });
    });
  )";
  const CommandResult result = run_command({node(), "-e", script, server->https(), server->ca()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json answer = json::parse(result.out);
  EXPECT_EQ(answer["alpn"], "h2");
  EXPECT_EQ(answer["before"], "ok");
  EXPECT_EQ(answer["after"], "ok");
  EXPECT_EQ(answer["goaway"], 1);  // PROTOCOL_ERROR
  EXPECT_EQ(server->stats()["goaway_sent"], 1);
  EXPECT_TRUE(eventually([&] { return server->stats()["connections_open"] == 0; }, 10s,
                         "both connections closed"));
}

TEST(Robustness, ClientVanishingMidBodyDoesNotDisturbOthers) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  const char* script = R"(
    const http2 = require('http2'), fs = require('fs');
    const [url, ca] = process.argv.slice(1), opts = {ca: fs.readFileSync(ca)};
    const doomed = http2.connect(url, opts);
    const req = doomed.request({':path': '/bytes/16777216'});
    req.on('error', () => {});
    doomed.on('error', () => {});
    req.once('data', () => {
      doomed.destroy();
      const other = http2.connect(url, opts);
      const ok = other.request({':path': '/health'});
      let body = ''; ok.on('data', d => body += d);
      ok.on('end', () => { console.log(body); other.close(); });
    });
  )";
  const CommandResult result = run_command({node(), "-e", script, server->https(), server->ca()});
  EXPECT_EQ(result.out, "ok\n") << result.err;
  ASSERT_TRUE(eventually([&] { return server->stats()["connections_open"] == 0; }, 10s,
                         "both connections closed"));
}

TEST(Robustness, OversizeRequestsAre413And431) {
  const auto file = write_temp_file("limits.json", R"({
    "name": "limits",
    "limits": {"max_request_body_bytes": 1000, "max_header_bytes": 2048},
    "routes": [{"match": {"path": "/echo"}, "respond": {"body": {"echo": true}}}]})");
  auto server = TestServer::start({"--scenario", file.string()});
  ASSERT_TRUE(server);
  const auto body = write_temp_file("body.bin", std::string(5000, 'x'));
  for (const char* flag : {"--http2", "--http1.1"}) {
    const CommandResult big = run_command({curl(), "-sS", flag, "--cacert", server->ca(), "-o",
                                           "/dev/null", "-w", "%{http_code}", "--data-binary",
                                           "@" + body.string(), server->https() + "/echo"});
    EXPECT_EQ(big.out, "413") << flag << " " << big.err;
    const CommandResult chunked =
        run_command({curl(), "-sS", flag, "--cacert", server->ca(), "-o", "/dev/null", "-w",
                     "%{http_code}", "-H", "transfer-encoding: chunked", "--data-binary",
                     "@" + body.string(), server->https() + "/echo"});
    EXPECT_EQ(chunked.out, "413") << flag << " (no content-length) " << chunked.err;
    const CommandResult headers = run_command(
        {curl(), "-sS", flag, "--cacert", server->ca(), "-o", "/dev/null", "-w", "%{http_code}",
         "-H", "x-big: " + std::string(4000, 'h'), server->https() + "/echo"});
    EXPECT_EQ(headers.out, "431") << flag << " " << headers.err;
  }
  // Within the limits all is well.
  const CommandResult fine = run_command(
      {curl(), "-sS", "--cacert", server->ca(), "-d", "abc", server->https() + "/echo"});
  EXPECT_EQ(json::parse(fine.out)["body_bytes"], 3) << fine.err;
}

TEST(Robustness, H2loadBurstOnSeveralThreadsAllSucceed) {
  // Many multiplexed streams on a server with several I/O threads: every request is
  // answered and the counters add up (correctness, not speed).
  auto server = TestServer::start({"--scenario", "tiny", "--threads", "3"});
  ASSERT_TRUE(server);
  const CommandResult result = run_command(
      {FAULTLINE_H2LOAD, "-n", "20000", "-c", "4", "-m", "32", server->https() + "/tiny"}, 120s);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("20000 succeeded, 0 failed, 0 errored"), std::string::npos)
      << result.out;
  const json stats = server->stats();
  EXPECT_EQ(stats["connections_total"], 4);
  EXPECT_EQ(stats["streams_total"], 20000);
  EXPECT_EQ(stats["requests_total"], 20000);
  for (const auto& conn : stats["connections"]) {
    EXPECT_LE(conn["peak_concurrent_streams"], 32);
  }
  EXPECT_EQ(server->stop(), 0);
}

}  // namespace
}  // namespace faultline::fake_server::testing
