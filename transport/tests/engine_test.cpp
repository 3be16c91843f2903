// The engine above both protocols: validation, deadlines, redirects with the Fetch
// rules (identical for h2 and HTTP/1.1), and protocol selection per origin.
#include "detail/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <memory>

#include "support/engine_fixture.h"

namespace faultline::transport {
namespace {

using namespace std::chrono_literals;
using testing_support::EngineFixture;

class EngineTest : public EngineFixture, public ::testing::WithParamInterface<Protocol> {
 protected:
  void SetUp() override {
    Options options;
    options.force_http1 = GetParam() == Protocol::http11;
    make_engine(options);
  }
  /** Answers the oldest outstanding attempt over the protocol under test. */
  void answer(int status, Headers headers = {}, const std::string& body = {}) {
    if (GetParam() == Protocol::http11) {
      ASSERT_FALSE(http11_->transfers.empty());
      http11_->respond_first(status, body, std::move(headers));
      return;
    }
    for (auto* s : factory_.live()) {
      if (!s->streams.empty()) {
        s->respond(s->streams.begin()->first, status, body, std::move(headers));
        return;
      }
      if (s->open_streams() == 0 && s->submitted == 0) {
        s->ready(100);
        if (!s->streams.empty()) {
          s->respond(s->streams.begin()->first, status, body, std::move(headers));
          return;
        }
      }
    }
    FAIL() << "no outstanding attempt";
  }
  /** The attempt the protocol under test is carrying now. */
  detail::Exchange& current() {
    if (GetParam() == Protocol::http11) {
      return *http11_->transfers.front().first;
    }
    for (auto* s : factory_.live()) {
      if (s->streams.empty() && s->submitted == 0) {
        s->ready(100);
      }
      if (!s->streams.empty()) {
        return *s->streams.begin()->second.exchange;
      }
    }
    throw std::runtime_error("no outstanding attempt");
  }
  static Headers location(const std::string& to) { return {{"location", to}}; }
};

TEST_P(EngineTest, InvalidRequestsFailTyped) {
  for (const char* url : {"ftp://a.test/", "https://", "not a url", "https://a.test:99999/"}) {
    Request request;
    request.url = url;
    const auto id = send(request);
    EXPECT_EQ(error_of(id), errc::invalid_request) << url;
    EXPECT_FALSE(results_.at(id).detail.empty()) << url;
  }
  Request bad_header;
  bad_header.url = "https://a.test/";
  bad_header.headers.emplace_back("x-evil", "a\r\nb: c");
  EXPECT_EQ(error_of(send(bad_header)), errc::invalid_request);
  Request bad_method;
  bad_method.url = "https://a.test/";
  bad_method.method = "GE T";
  EXPECT_EQ(error_of(send(bad_method)), errc::invalid_request);
}

TEST_P(EngineTest, AbortedSignalBeforeSendFailsAtOnce) {
  AbortController controller;
  controller.abort();
  Request request;
  request.url = "https://a.test/";
  request.abort = controller.signal();
  EXPECT_EQ(error_of(send(request)), errc::aborted);
}

TEST_P(EngineTest, DeadlineCoversInFlightResponse) {
  Request request;
  request.url = "https://a.test/slow";
  request.timeout = 300ms;
  const auto id = send(request);
  (void)current();
  scheduler_.advance(300ms);
  EXPECT_EQ(error_of(id), errc::timeout);
}

// Receive backpressure (Client::pause/resume): while paused, body bytes and the
// completion wait; resume hands them over in order, over both protocols.
TEST_P(EngineTest, PausedRequestHoldsItsBodyAndCompletionUntilResumed) {
  const auto id = get();
  engine_->pause(id);
  answer(200, {}, "held body");
  EXPECT_FALSE(done(id)) << "a paused request completed";
  engine_->resume(id);
  ASSERT_TRUE(done(id));
  EXPECT_TRUE(results_.at(id).ok());
  EXPECT_EQ(results_.at(id).response.body, "held body");
  // Unknown and finished ids are ignored.
  engine_->pause(id);
  engine_->resume(id);
  engine_->resume(9999);
}

TEST_P(EngineTest, PlainResponseCarriesHeadBodyAndUrl) {
  const auto id = get("https://a.test/a");
  answer(200, {{"content-type", "text/plain"}}, "hello");
  ASSERT_TRUE(results_.at(id).ok());
  const auto& response = results_.at(id).response;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
  EXPECT_EQ(response.url, "https://a.test/a");
  EXPECT_EQ(response.protocol, GetParam());
  EXPECT_EQ(heads_.at(id).status, 200);
}

// RFC 9113 8.2.2 and RFC 9110 10.1.4: TE is hop-by-hop, but "trailers" is the one value
// an h2 request may carry (gRPC needs it); every other value goes.
TEST_P(EngineTest, TeTrailersIsKeptOtherTeValuesAreNot) {
  Request request;
  request.url = "https://a.test/te";
  request.headers = {{"te", "trailers"}};
  send(request);
  EXPECT_EQ(find_header(current().headers, "te"), "trailers");
  answer(200);
  request.headers = {{"TE", "gzip"}};
  send(request);
  EXPECT_FALSE(has_header(current().headers, "te"));
  answer(200);
}

// RFC 9110 15.2: each 1xx head reaches on_informational; the final head has its own fields.
TEST_P(EngineTest, InformationalHeadsReachTheirHandlerNotTheFinalHead) {
  std::vector<ResponseHead> interim;
  Result result;
  Handlers handlers;
  handlers.on_informational = [&interim](const ResponseHead& head) { interim.push_back(head); };
  handlers.on_complete = [&result](Result&& r) { result = std::move(r); };
  Request request;
  request.url = "https://a.test/early";
  engine_->start(100, request, std::move(handlers));
  auto& exchange = current();
  exchange.on_informational(exchange.attempt, 103, {{"link", "</a.css>"}}, GetParam());
  exchange.on_informational(exchange.attempt, 103, {{"link", "</b.css>"}}, GetParam());
  answer(200, {{"content-type", "text/plain"}}, "body");
  ASSERT_TRUE(result.ok()) << result.error.message();
  ASSERT_EQ(interim.size(), 2U);
  EXPECT_EQ(interim[1].status, 103);
  EXPECT_EQ(find_header(interim[1].headers, "link"), "</b.css>");
  EXPECT_EQ(interim[1].url, "https://a.test/early");
  const Headers final_head{{"content-type", "text/plain"}};
  EXPECT_EQ(result.response.headers, final_head);
  EXPECT_EQ(result.response.body, "body");
}

// Trailers reach Response::trailers on both protocols; drop_trailers loses them.
TEST_P(EngineTest, TrailersReachTheResponseUnlessTheDefectDropsThem) {
  for (const bool defect : {false, true}) {
    Options options;
    options.force_http1 = GetParam() == Protocol::http11;
    make_engine(options, defect ? testing::Defects{}.set(testing::Defects::drop_trailers)
                                : testing::Defects{});
    const auto id = get("https://a.test/t");
    auto& exchange = current();
    const auto attempt = exchange.attempt;
    exchange.on_head(attempt, 200, {}, GetParam());
    exchange.on_data(attempt, "body");
    exchange.on_trailers(attempt, {{"x-digest", "d1"}});
    exchange.on_attempt_end(attempt, detail::Outcome::completed_ok());
    ASSERT_TRUE(results_.at(id).ok());
    EXPECT_EQ(results_.at(id).response.body, "body");
    EXPECT_EQ(find_header(results_.at(id).response.trailers, "x-digest"), defect ? "" : "d1")
        << "defect " << defect;
    results_.clear();
  }
}

// REDIRECT-PARITY: 303 -> GET without body; 301/302 POST -> GET; 307/308 keep both.
TEST_P(EngineTest, RedirectMethodAndBodyRules) {
  struct Case {
    int status;
    const char* method;
    const char* want_method;
    bool keeps_body;
  };
  for (const Case c : {Case{301, "POST", "GET", false}, Case{302, "POST", "GET", false},
                       Case{303, "POST", "GET", false}, Case{303, "PUT", "GET", false},
                       Case{307, "POST", "POST", true}, Case{308, "PUT", "PUT", true},
                       Case{301, "PUT", "PUT", true}}) {
    Request request;
    request.method = c.method;
    request.url = "https://a.test/form";
    request.headers = {{"content-type", "text/plain"}};
    request.body = Body::bytes("the-body");
    const auto id = send(request);
    answer(c.status, location("/next"));
    auto& next = current();
    EXPECT_EQ(next.method, c.want_method) << c.status << " " << c.method;
    EXPECT_EQ(next.url.str(), "https://a.test/next");
    EXPECT_EQ(!next.body.empty(), c.keeps_body) << c.status << " " << c.method;
    EXPECT_EQ(has_header(next.headers, "content-type"), c.keeps_body) << c.status;
    answer(200);
    ASSERT_TRUE(results_.at(id).ok());
    EXPECT_EQ(results_.at(id).response.url, "https://a.test/next");
    EXPECT_EQ(results_.at(id).response.redirects, 1U);
  }
}

TEST_P(EngineTest, CrossOriginRedirectDropsCredentials) {
  Request request;
  request.url = "https://a.test/login";
  request.headers = {{"authorization", "Bearer x"}, {"cookie", "a=b"}, {"x-keep", "1"}};
  const auto id = send(request);
  answer(302, location("/same-origin"));
  EXPECT_TRUE(has_header(current().headers, "authorization"));
  answer(307, location("https://b.test/elsewhere"));
  auto& next = current();
  EXPECT_EQ(next.url.origin(), "https://b.test:443");
  EXPECT_FALSE(has_header(next.headers, "authorization"));
  EXPECT_FALSE(has_header(next.headers, "cookie"));
  EXPECT_TRUE(has_header(next.headers, "x-keep"));
  answer(200);
  EXPECT_EQ(results_.at(id).response.url, "https://b.test/elsewhere");
}

TEST_P(EngineTest, TooManyRedirectsStopsAtTheLimit) {
  Request request;
  request.url = "https://a.test/loop";
  request.max_redirects = 3;
  const auto id = send(request);
  for (int i = 0; i < 4; ++i) {
    answer(302, location("/loop"));
  }
  EXPECT_EQ(error_of(id), errc::too_many_redirects);
}

TEST_P(EngineTest, DefaultRedirectLimitIsTwenty) {
  const auto id = get("https://a.test/loop");
  int hops = 0;
  while (!done(id) && hops < 30) {
    answer(301, location("/loop"));
    ++hops;
  }
  EXPECT_EQ(error_of(id), errc::too_many_redirects);
  EXPECT_EQ(hops, 21);
}

TEST_P(EngineTest, ManualModeReturnsTheRedirect) {
  Request request;
  request.url = "https://a.test/r";
  request.redirect = RedirectMode::manual;
  const auto id = send(request);
  answer(302, location("/x"));
  ASSERT_TRUE(results_.at(id).ok());
  EXPECT_EQ(results_.at(id).response.status, 302);
  EXPECT_EQ(find_header(results_.at(id).response.headers, "location"), "/x");
}

TEST_P(EngineTest, ErrorModeFails) {
  Request request;
  request.url = "https://a.test/r";
  request.redirect = RedirectMode::error;
  const auto id = send(request);
  answer(308, location("/x"));
  EXPECT_EQ(error_of(id), errc::redirect_not_allowed);
}

TEST_P(EngineTest, RedirectToNonHttpSchemeIsBadRedirect) {
  const auto id = get("https://a.test/r");
  answer(302, location("ftp://a.test/file"));
  EXPECT_EQ(error_of(id), errc::bad_redirect);
}

TEST_P(EngineTest, RedirectWithoutLocationIsAResponse) {
  const auto id = get("https://a.test/r");
  answer(302);
  ASSERT_TRUE(results_.at(id).ok());
  EXPECT_EQ(results_.at(id).response.status, 302);
}

TEST_P(EngineTest, TemporaryRedirectWithPullBodyIsNotReplayable) {
  Request request;
  request.method = "POST";
  request.url = "https://a.test/up";
  request.body = Body::pull([](std::span<char>) { return PullResult{0, true, false}; });
  const auto id = send(request);
  answer(307, location("/again"));
  EXPECT_EQ(error_of(id), errc::body_not_replayable);
}

/** A pull source that yields `total` bytes of 'x' in pieces of at most `piece`. */
PullSource yielding(std::uint64_t total, std::size_t piece = 300) {
  auto sent = std::make_shared<std::uint64_t>(0);
  return [total, piece, sent](std::span<char> buffer) {
    const auto n =
        static_cast<std::size_t>(std::min<std::uint64_t>({buffer.size(), piece, total - *sent}));
    std::fill_n(buffer.data(), n, 'x');
    *sent += n;
    return PullResult{n, *sent == total, false};
  };
}

/** Reads the current attempt's body the way a protocol does, until it ends or fails. */
struct BodyRead {
  std::uint64_t bytes = 0;
  bool failed = false;
};
BodyRead read_all(detail::Exchange& exchange) {
  BodyRead read;
  std::array<char, 1024> buffer{};
  for (int i = 0; i < 10000; ++i) {
    const auto r = exchange.read_body(buffer);
    read.bytes += r.size;
    if (r.failed || r.end) {
      read.failed = r.failed;
      return read;
    }
  }
  ADD_FAILURE() << "the body never ended";
  return read;
}

// RFC 9112 6.3 / RFC 9113 8.1.1: the declared length frames the body. A source that runs
// past it gives out no byte beyond it; one that ends before it fails instead of leaving
// the server waiting for the rest.
TEST_P(EngineTest, PullSourceIsHeldToItsDeclaredLength) {
  struct Case {
    std::uint64_t declared;
    std::uint64_t yields;
    bool fails;
  };
  for (const auto& c : {Case{1000, 1000, false}, Case{1000, 2000, true}, Case{1000, 400, true},
                        Case{0, 0, false}, Case{0, 1, true}}) {
    SCOPED_TRACE("declared " + std::to_string(c.declared) + ", yields " + std::to_string(c.yields));
    Request request;
    request.method = "POST";
    request.url = "https://a.test/up";
    request.body = Body::pull(yielding(c.yields), c.declared);
    send(request);
    const auto read = read_all(current());
    EXPECT_EQ(read.failed, c.fails);
    EXPECT_LE(read.bytes, c.declared);
    if (c.fails) {
      EXPECT_NE(current().body_error().find("declared " + std::to_string(c.declared)),
                std::string::npos)
          << current().body_error();
    } else {
      EXPECT_EQ(read.bytes, c.declared);
    }
    answer(200);
  }
}

// trust_pull_source_length through its hook point: every byte the source yields goes out.
TEST(EngineDefects, TrustPullSourceLengthSendsWhatTheSourceYields) {
  testing_support::ManualScheduler scheduler;
  testing_support::FakeSessionFactory factory(scheduler);
  testing::DefectInjector hooks(testing::Defects{}.set(testing::Defects::trust_pull_source_length));
  detail::Engine engine({}, scheduler, factory.factory(), &hooks);
  Request request;
  request.method = "POST";
  request.url = "https://a.test/up";
  request.body = Body::pull(yielding(2000), 1000);
  engine.start(1, request, Handlers{});
  factory.sessions.at(0)->ready(10);
  const auto read = read_all(*factory.sessions.at(0)->streams.at(1).exchange);
  EXPECT_FALSE(read.failed);
  EXPECT_EQ(read.bytes, 2000U);
}

TEST_P(EngineTest, RedirectToCleartextOriginUsesHttp11) {
  const auto id = get("https://a.test/r");
  answer(302, location("http://c.test/plain"));
  ASSERT_EQ(http11_->transfers.size(), 1U);
  http11_->respond_first(200, "plain");
  ASSERT_TRUE(results_.at(id).ok());
  EXPECT_EQ(results_.at(id).response.protocol, Protocol::http11);
}

INSTANTIATE_TEST_SUITE_P(TransportProtocols, EngineTest,
                         ::testing::Values(Protocol::http2, Protocol::http11),
                         [](const auto& info) {
                           return info.param == Protocol::http2 ? "h2" : "h1";
                         });

// The h2_no_redirects defect: h2 returns the 3xx while h1 would follow.
TEST(EngineDefects, H2NoRedirectsReturnsTheRedirectOverH2) {
  testing_support::ManualScheduler scheduler;
  testing_support::FakeSessionFactory factory(scheduler);
  testing::DefectInjector hooks(testing::Defects{}.set(testing::Defects::h2_no_redirects));
  detail::Engine engine({}, scheduler, factory.factory(), &hooks);
  Result result;
  Handlers handlers;
  handlers.on_complete = [&](Result&& r) { result = std::move(r); };
  Request request;
  request.url = "https://a.test/r";
  engine.start(1, request, handlers);
  factory.sessions.at(0)->ready(10);
  factory.sessions.at(0)->respond(1, 302, {}, {{"location", "/x"}});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.response.status, 302);
}

}  // namespace
}  // namespace faultline::transport
