// Bodies and redirects behave the same over h2 and HTTP/1.1 (the h1 driver is the same
// Client with force_http1): SSE, multipart, binary, pull sources, error bodies,
// redirects. Check IDs in the names.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "faultline/transport/client.h"
#include "faultline/transport/multipart.h"
#include "support/peers.h"

namespace faultline::transport {
namespace {

using namespace std::chrono_literals;
using testing_support::await;
using testing_support::NodePeer;

class RoundTrip : public ::testing::TestWithParam<Protocol> {
 protected:
  void SetUp() override {
    FAULTLINE_REQUIRE_PROGRAM("node");
    peer_ = std::make_unique<NodePeer>("h2");
    Options options = testing_support::trusting_options();
    options.force_http1 = GetParam() == Protocol::http11;
    client_ = std::make_unique<Client>(options);
  }
  /** Sends and waits; the response must come over the protocol under test unless
      `protocol` says otherwise (a redirect to an HTTP/1.1-only origin). */
  Result run(Request request, std::optional<Protocol> protocol = std::nullopt) {
    if (request.timeout.count() == 0) {
      request.timeout = 20s;
    }
    auto future = client_->send(std::move(request));
    Result result;
    EXPECT_TRUE(await(future, result));
    if (result.ok()) {
      EXPECT_EQ(result.response.protocol, protocol.value_or(GetParam()));
    }
    return result;
  }
  Request get(const std::string& path) {
    Request request;
    request.url = peer_->url(path);
    return request;
  }
  Request post(const std::string& path, std::string body) {
    Request request;
    request.method = "POST";
    request.url = peer_->url(path);
    request.body = Body::bytes(std::move(body));
    return request;
  }
  static std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::string out(n, '\0');
    for (auto& c : out) {
      c = static_cast<char>(gen() & 0xff);
    }
    return out;
  }
  std::unique_ptr<NodePeer> peer_;
  std::unique_ptr<Client> client_;
};

// RT-SSE: events arrive incrementally, before the response completes, and parse right.
TEST_P(RoundTrip, RT_SSE_EventsArriveIncrementally) {
  std::mutex mutex;
  std::vector<std::string> chunks;
  std::promise<Result> done;
  Handlers handlers;
  handlers.on_data = [&](std::string_view chunk) {
    std::lock_guard lock(mutex);
    chunks.emplace_back(chunk);
  };
  handlers.on_complete = [&](Result&& result) { done.set_value(std::move(result)); };
  Request request = get("/sse?n=5&interval=40");
  request.timeout = 20s;
  client_->send(request, handlers);
  auto future = done.get_future();
  Result result;
  ASSERT_TRUE(await(future, result));
  ASSERT_TRUE(result.ok()) << result.error.message() << " " << result.detail;
  EXPECT_EQ(find_header(result.response.headers, "content-type"), "text/event-stream");
  EXPECT_TRUE(result.response.body.empty()) << "chunks went to on_data";
  std::lock_guard lock(mutex);
  EXPECT_GE(chunks.size(), 5U) << "one chunk per event at least: delivered as they arrived";
  std::string all;
  for (const auto& c : chunks) {
    all += c;
  }
  std::vector<std::string> events;
  for (std::size_t pos = 0, end; (end = all.find("\n\n", pos)) != std::string::npos;
       pos = end + 2) {
    events.push_back(all.substr(pos, end - pos));
  }
  ASSERT_EQ(events.size(), 5U);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(events[i], "id: " + std::to_string(i) + "\ndata: event " + std::to_string(i));
  }
}

// RT-MULTIPART: a form with text and binary parts comes back byte for byte.
TEST_P(RoundTrip, RT_MULTIPART_RoundTripsBinaryParts) {
  MultipartBuilder form;
  const auto binary = random_bytes(100'000, 7);
  form.add_field("name", "faultline").add_file("blob", "blob.bin", binary);
  Request request = post("/echo", "");
  form.apply_to(request);
  const auto result = run(std::move(request));
  ASSERT_TRUE(result.ok()) << result.error.message() << " " << result.detail;
  EXPECT_EQ(result.response.body, form.build());
  EXPECT_EQ(find_header(result.response.headers, "content-type"), form.content_type());
}

// RT-BINARY: downloads and uploads of binary bodies, 0 B to 4 MiB.
TEST_P(RoundTrip, RT_BINARY_DownloadsAndUploadsIntact) {
  for (const std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{65'536}, std::size_t{4 << 20}}) {
    const auto down = run(get("/bytes/" + std::to_string(n)));
    ASSERT_TRUE(down.ok()) << n << ": " << down.error.message();
    ASSERT_EQ(down.response.body.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(static_cast<unsigned char>(down.response.body[i]), (i * 31 + 7) & 255)
          << "byte " << i;
    }
    const auto payload = random_bytes(n, static_cast<unsigned>(n));
    const auto up = run(post("/echo", payload));
    ASSERT_TRUE(up.ok()) << n << ": " << up.error.message();
    EXPECT_EQ(up.response.body == payload, true) << n;
    EXPECT_EQ(find_header(up.response.headers, "x-body-length"), std::to_string(n));
  }
}

// A streamed (pull) request body, length unknown: chunked over h1, DATA frames over h2.
TEST_P(RoundTrip, PullSourceBodyUploads) {
  const auto payload = random_bytes(300'000, 3);
  std::size_t offset = 0;
  Request request;
  request.method = "PUT";
  request.url = peer_->url("/echo");
  request.body = Body::pull([&payload, &offset](std::span<char> buffer) {
    const auto n = std::min(buffer.size(), std::min<std::size_t>(payload.size() - offset, 7'777));
    std::copy_n(payload.data() + offset, n, buffer.data());
    offset += n;
    return PullResult{n, offset == payload.size(), false};
  });
  const auto result = run(std::move(request));
  ASSERT_TRUE(result.ok()) << result.error.message() << " " << result.detail;
  EXPECT_EQ(result.response.body == payload, true);
  EXPECT_EQ(find_header(result.response.headers, "x-method"), "PUT");
}

TEST_P(RoundTrip, FailingPullSourceFailsTyped) {
  Request request;
  request.method = "POST";
  request.url = peer_->url("/echo");
  request.body = Body::pull([](std::span<char>) { return PullResult{0, false, true}; }, 10);
  const auto result = run(std::move(request));
  EXPECT_EQ(result.error, errc::body_source_failed)
      << result.error.message() << " " << result.detail;
}

// RT-ERROR-BODY: 4xx/5xx responses are responses, with their bodies.
TEST_P(RoundTrip, RT_ERROR_BODY_DeliveredIntact) {
  for (int status : {400, 404, 500, 503}) {
    const auto result =
        run(get("/status/" + std::to_string(status) + "?body=oops-" + std::to_string(status)));
    ASSERT_TRUE(result.ok()) << result.error.message();
    EXPECT_EQ(result.response.status, status);
    EXPECT_EQ(result.response.body, "oops-" + std::to_string(status));
  }
}

// REDIRECT-PARITY: the same results over both protocols.
TEST_P(RoundTrip, REDIRECT_PARITY_SeeOtherTurnsPostIntoGet) {
  const auto result = run(post("/redirect/303?to=/headers", "form-data"));
  ASSERT_TRUE(result.ok()) << result.error.message() << " " << result.detail;
  const auto seen = nlohmann::json::parse(result.response.body);
  EXPECT_EQ(seen["method"], "GET");
  EXPECT_EQ(seen["body_length"], 0);
  EXPECT_EQ(result.response.url, peer_->url("/headers"));
  EXPECT_EQ(result.response.redirects, 1U);
}

TEST_P(RoundTrip, REDIRECT_PARITY_TemporaryKeepsMethodAndBody) {
  for (int status : {307, 308}) {
    const auto result = run(post("/redirect/" + std::to_string(status) + "?to=/echo", "keep me"));
    ASSERT_TRUE(result.ok()) << result.error.message();
    EXPECT_EQ(result.response.body, "keep me");
    EXPECT_EQ(find_header(result.response.headers, "x-method"), "POST");
  }
}

TEST_P(RoundTrip, REDIRECT_PARITY_CrossOriginDropsCredentialsAndFollowsToH1Origin) {
  NodePeer h1_origin("h1");
  Request request = get("/redirect/302?to=" + h1_origin.url("/headers"));
  request.headers = {{"authorization", "Bearer secret"}, {"cookie", "sid=1"}, {"x-trace", "t"}};
  const auto result = run(std::move(request), Protocol::http11);
  ASSERT_TRUE(result.ok()) << result.error.message() << " " << result.detail;
  const auto seen = nlohmann::json::parse(result.response.body);
  EXPECT_FALSE(seen["headers"].contains("authorization"));
  EXPECT_FALSE(seen["headers"].contains("cookie"));
  EXPECT_EQ(seen["headers"]["x-trace"], "t");
  EXPECT_EQ(result.response.url, h1_origin.url("/headers"));
}

TEST_P(RoundTrip, REDIRECT_PARITY_LoopsStopAndModesApply) {
  Request loop = get("/loop");
  loop.max_redirects = 5;
  EXPECT_EQ(run(std::move(loop)).error, errc::too_many_redirects);
  Request manual = get("/redirect/301?to=/hello");
  manual.redirect = RedirectMode::manual;
  const auto m = run(std::move(manual));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.response.status, 301);
  EXPECT_EQ(find_header(m.response.headers, "location"), "/hello");
  Request error = get("/redirect/308?to=/hello");
  error.redirect = RedirectMode::error;
  EXPECT_EQ(run(std::move(error)).error, errc::redirect_not_allowed);
}

TEST_P(RoundTrip, HeadAndCustomMethods) {
  Request head = get("/hello");
  head.method = "HEAD";
  const auto h = run(std::move(head));
  ASSERT_TRUE(h.ok()) << h.error.message();
  EXPECT_EQ(h.response.status, 200);
  EXPECT_TRUE(h.response.body.empty());
  Request del = get("/echo");
  del.method = "DELETE";
  const auto d = run(std::move(del));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(find_header(d.response.headers, "x-method"), "DELETE");
}

INSTANTIATE_TEST_SUITE_P(TransportDrivers, RoundTrip,
                         ::testing::Values(Protocol::http2, Protocol::http11),
                         [](const auto& info) {
                           return info.param == Protocol::http2 ? "h2" : "h1";
                         });

}  // namespace
}  // namespace faultline::transport
