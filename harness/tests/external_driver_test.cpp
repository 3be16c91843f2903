// ExternalDriver against stub drivers: the protocol round trip, and every kind of broken
// driver turning into an error that names the fault and quotes the driver's stderr.
#include "faultline/harness/external_driver.h"

#include <gtest/gtest.h>

#include "faultline/harness/errc.h"
#include "faultline/harness/gtest.h"

namespace faultline::harness {
namespace {

using namespace std::chrono_literals;

ExternalDriverOptions stub_driver(const std::string& mode) {
  ExternalDriverOptions o;
  o.program = "python3";
  o.args = {(std::filesystem::path(FAULTLINE_STUBS_DIR) / "stub_driver.py").string(), mode};
  o.hello_timeout = 15s;
  return o;
}

Request get(std::string url) {
  Request r;
  r.url = std::move(url);
  return r;
}

TEST(ExternalDriver, HelloDescribesTheDriver) {
  ExternalDriver driver(stub_driver("echo"));
  EXPECT_EQ(driver.hello().protocol, 1);
  EXPECT_EQ(driver.hello().name, "stub");
  EXPECT_EQ(driver.hello().version, "0.1");
  EXPECT_EQ(driver.hello().max_sessions, 4);
  EXPECT_EQ(driver.hello().max_streams, 100);
  EXPECT_TRUE(driver.hello().h2);
  EXPECT_EQ(driver.label(), "stub");
}

TEST(ExternalDriver, RequestRoundTripCarriesMethodHeadersAndBinaryBody) {
  ExternalDriver driver(stub_driver("echo"));
  Request r;
  r.method = "POST";
  r.url = "https://127.0.0.1:1/echo";
  r.headers = {{"x-faultline-request-id", "abc"}};
  r.body = std::string("\0\x01\xff binary\n", 11);
  auto ex = driver.send(r);
  EXPECT_EQ(ex->id(), 1u);  // assigned
  auto done = ex->wait_done(10s);
  ASSERT_TRUE(to_assertion(done));
  EXPECT_EQ(done.response.status, 200);
  EXPECT_EQ(done.response.protocol, "h2");
  EXPECT_EQ(find_header(done.response.headers, "x-echo-method"), "POST");
  EXPECT_EQ(find_header(done.response.headers, "x-req-x-faultline-request-id"), "abc");
  EXPECT_EQ(done.response.body, *r.body);
  EXPECT_EQ(done.response.data_events, 4u);  // 3-byte chunks
  EXPECT_EQ(driver.send(get("https://127.0.0.1:1/again"))->id(), 2u);
}

TEST(ExternalDriver, EventsArriveInOrderThroughNext) {
  ExternalDriver driver(stub_driver("echo"));
  Request r = get("https://127.0.0.1:1/x");
  r.body = "abcdef";
  auto ex = driver.send(r);
  std::vector<Event::Type> types;
  while (true) {
    auto n = ex->next(10s);
    ASSERT_TRUE(to_assertion(n));
    types.push_back(n.event->type);
    if (n.event->terminal()) {
      break;
    }
  }
  EXPECT_EQ(types, (std::vector<Event::Type>{Event::Type::headers, Event::Type::data,
                                             Event::Type::data, Event::Type::end}));
}

TEST(ExternalDriver, AbortEndsARequestAsAborted) {
  ExternalDriver driver(stub_driver("echo"));
  auto ex = driver.send(get("https://127.0.0.1:1/hang"));
  ASSERT_TRUE(to_assertion(ex->wait_headers(10s)));
  driver.abort(ex->id());
  auto r = ex->wait_error(ErrorKind::aborted, 10s);
  EXPECT_TRUE(to_assertion(r));
  driver.abort(ex->id());  // finished: ignored
  driver.abort(12345);     // unknown: ignored
  EXPECT_FALSE(driver.fault());
}

TEST(ExternalDriver, DriverSideTimeoutAndErrorsAreTyped) {
  ExternalDriver driver(stub_driver("echo"));
  Request slow = get("https://127.0.0.1:1/hang");
  slow.timeout_ms = 100;
  auto t = driver.send(slow);
  EXPECT_TRUE(to_assertion(t->wait_error(ErrorKind::timeout, 10s)));
  auto f = driver.send(get("https://127.0.0.1:1/fail"));
  auto r = f->wait_error(ErrorKind::network, 10s);
  ASSERT_TRUE(to_assertion(r));
  EXPECT_EQ(r.response.error->message, "connection refused (stub)");
}

TEST(ExternalDriver, StatsAnswerAndReusedIdsAreRejected) {
  ExternalDriver driver(stub_driver("echo"));
  Request r = get("https://127.0.0.1:1/x");
  r.id = 7;
  ASSERT_TRUE(to_assertion(driver.send(r)->wait_done(10s)));
  EXPECT_THROW(driver.send(r), std::invalid_argument);
  auto stats = driver.stats(10s);
  ASSERT_TRUE(to_assertion(stats));
  EXPECT_EQ(stats.stats["requests"], 1);
}

TEST(ExternalDriver, StatsWithoutAnswerFailsAtTheDeadline) {
  ExternalDriver driver(stub_driver("no-stats"));
  auto stats = driver.stats(200ms);
  EXPECT_FALSE(stats);
  EXPECT_NE(stats.description.find("did not answer stats"), std::string::npos) << stats.description;
}

TEST(ExternalDriver, ShutdownIsCleanAndLaterSendsFail) {
  ExternalDriver driver(stub_driver("echo"));
  auto hanging = driver.send(get("https://127.0.0.1:1/hang"));
  ASSERT_TRUE(to_assertion(hanging->wait_headers(10s)));
  EXPECT_TRUE(driver.shutdown());
  EXPECT_TRUE(driver.shutdown());  // idempotent
  // The stub aborts what it still has on shutdown.
  EXPECT_TRUE(hanging->wait_done(0s).response.done());
  auto late = driver.send(get("https://127.0.0.1:1/x"));
  EXPECT_TRUE(to_assertion(late->wait_error(ErrorKind::driver, 1s)));
  EXPECT_NE(driver.stderr_text().find("bye"), std::string::npos) << driver.stderr_text();
}

struct BrokenDriver {
  const char* mode;
  errc code;
  const char* names;  // the fault as the message must name it
};

void PrintTo(const BrokenDriver& b, std::ostream* os) {
  *os << b.mode;
}

class BrokenDriverTest : public ::testing::TestWithParam<BrokenDriver> {};

TEST_P(BrokenDriverTest, FailsEveryRequestNamingTheFaultAndQuotingStderr) {
  const BrokenDriver& param = GetParam();
  ExternalDriver driver(stub_driver(param.mode));
  auto ex = driver.send(get("https://127.0.0.1:1/x"));
  // The request fails promptly with kind driver (no hang), naming the fault.
  auto r = ex->wait_error(ErrorKind::driver, 10s);
  ASSERT_TRUE(to_assertion(r));
  const std::string message = r.response.error->message;
  EXPECT_NE(message.find(param.names), std::string::npos) << message;
  EXPECT_NE(message.find("stub stderr: mode=" + std::string(param.mode)), std::string::npos)
      << message;
  EXPECT_NE(message.find(make_error_code(param.code).message()), std::string::npos) << message;
  ASSERT_TRUE(driver.fault());
  EXPECT_NE(driver.diagnostics().find(param.names), std::string::npos);
  // Later requests and stats fail at once.
  auto later = driver.send(get("https://127.0.0.1:1/y"));
  EXPECT_TRUE(to_assertion(later->wait_error(ErrorKind::driver, 0s)));
  EXPECT_FALSE(driver.stats(1s));
}

INSTANTIATE_TEST_SUITE_P(
    Faults, BrokenDriverTest,
    ::testing::Values(
        BrokenDriver{"bad-json", errc::driver_bad_json, "'this is not json'"},
        BrokenDriver{"unknown-id", errc::driver_unknown_id, "request id 1001"},
        BrokenDriver{"missing-fields", errc::driver_missing_field, "lacks field \"status\""},
        BrokenDriver{"unknown-event", errc::driver_unknown_event, "unknown event \"bogus\""},
        BrokenDriver{"bad-order", errc::driver_bad_order, "data before headers"},
        BrokenDriver{"late-informational", errc::driver_bad_order, "informational after headers"},
        BrokenDriver{"crash", errc::driver_exited, "exited with status 3"}),
    [](const auto& info) {
      std::string name = info.param.mode;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

/** The HarnessError starting a driver with these options throws. */
HarnessError start_error(const ExternalDriverOptions& options) {
  try {
    ExternalDriver driver(options);
  } catch (const HarnessError& e) {
    return e;
  }
  ADD_FAILURE() << "the driver started";
  return HarnessError(errc::driver_failed, "");
}

TEST(ExternalDriverStart, SilentDriverFailsAtTheHelloDeadline) {
  auto options = stub_driver("silent");
  options.hello_timeout = 500ms;
  const auto e = start_error(options);
  EXPECT_EQ(e.code(), errc::driver_no_hello);
  EXPECT_NE(std::string(e.what()).find("within 500 ms"), std::string::npos) << e.what();
  // (Its stderr is quoted too, as far as the driver wrote any before the deadline: the
  // crash tests check that part deterministically.)
}

TEST(ExternalDriverStart, CrashBeforeHelloQuotesStderr) {
  const auto e = start_error(stub_driver("crash-at-start"));
  EXPECT_EQ(e.code(), errc::driver_exited);
  EXPECT_NE(std::string(e.what()).find("exited with status 1"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("cannot load the HTTP library"), std::string::npos)
      << e.what();
}

TEST(ExternalDriverStart, OtherProtocolVersionIsRefused) {
  const auto e = start_error(stub_driver("wrong-protocol"));
  EXPECT_EQ(e.code(), errc::driver_bad_hello);
  EXPECT_NE(std::string(e.what()).find("protocol 2"), std::string::npos) << e.what();
}

TEST(ExternalDriverStart, MissingProgramIsASpawnError) {
  ExternalDriverOptions o;
  o.program = "faultline-no-such-driver";
  EXPECT_EQ(start_error(o).code(), errc::spawn_failed);
}

}  // namespace
}  // namespace faultline::harness
