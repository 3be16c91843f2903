// Proof that each check can fail: against our transport with the matching defect the
// check FAILS, and against the clean transport it passes.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <optional>

#include "faultline/conformance/checks.h"
#include "faultline/harness/external_driver.h"
#include "support/spreading_driver.h"

namespace faultline::conformance {
namespace {

using transport::testing::Defects;

struct ProofCase {
  const char* check;
  Defects::Flag defect;
  bool force_http1 = false;
  /** A second defect, when the check's fault needs two to reach the caller. */
  std::optional<Defects::Flag> also = std::nullopt;
  /** A check of parts: the part the defect must fail (its verdict names it first). */
  const char* part = nullptr;

  [[nodiscard]] Defects defects() const {
    Defects d;
    d.set(defect);
    if (also) {
      d.set(*also);
    }
    return d;
  }
};

void PrintTo(const ProofCase& p, std::ostream* out) {
  *out << p.check << " with " << transport::testing::to_string(p.defect);
}

/** Every check of the catalogue with the defect that must make it fail. */
const ProofCase kProofs[] = {
    ProofCase{"POOL-REUSE", Defects::count_only_ready_sessions},
    ProofCase{"POOL-REUSE", Defects::fake_session_stats},
    ProofCase{"POOL-COLD-BURST", Defects::count_only_ready_sessions},
    // Our transport waits for the first SETTINGS, so it never bursts: exceeding the
    // limit (ignored) makes the server refuse, and the refusals must reach the caller.
    ProofCase{"POOL-PRE-SETTINGS-BURST", Defects::ignore_server_stream_limit, false,
              Defects::surface_refused_stream},
    ProofCase{"POOL-IDLE-REAP", Defects::no_idle_reap},
    ProofCase{"ABORT-QUEUED", Defects::ignore_abort_when_queued},
    ProofCase{"ABORT-QUEUED-TIMEOUT", Defects::ignore_abort_when_queued},
    ProofCase{"ABORT-INFLIGHT", Defects::no_rst_on_abort},
    ProofCase{"ABORT-MANY", Defects::ignore_abort_when_queued},
    ProofCase{"ALPN-H1-ONLY", Defects::no_h1_negative_cache},
    ProofCase{"ALPN-H1-STRICT", Defects::no_h1_negative_cache},
    ProofCase{"ALPN-NONE", Defects::no_h1_negative_cache},
    ProofCase{"REDIRECT-PARITY", Defects::h2_no_redirects},
    ProofCase{"DRAIN-SESSION-LOSS", Defects::no_replacement_sessions},
    ProofCase{"DRAIN-GOAWAY-ABOVE-LAST", Defects::no_goaway_retry},
    ProofCase{"DRAIN-REFUSED-RETRY", Defects::surface_refused_stream},
    ProofCase{"DRAIN-GOAWAY-GRACEFUL", Defects::close_on_goaway},
    ProofCase{"DRAIN-GOAWAY-STORM", Defects::no_reconnect_bound},
    ProofCase{"POOL-LIMIT-LOWERED", Defects::stale_stream_limit},
    ProofCase{"POOL-LIMIT-ZERO", Defects::ignore_abort_when_queued},
    ProofCase{"LATE-DATA-AFTER-RST", Defects::fatal_late_frames},
    ProofCase{"LATE-DATA-AFTER-END", Defects::fatal_late_frames},
    ProofCase{"LATE-TRAILERS", Defects::fatal_late_frames},
    ProofCase{"LATE-OUT-OF-ORDER", Defects::fifo_response_matching},
    ProofCase{"RT-SSE", Defects::buffer_streaming_bodies},
    ProofCase{"RT-SSE", Defects::buffer_streaming_bodies, true},
    ProofCase{"RT-MULTIPART", Defects::truncate_body_at_nul},
    ProofCase{"RT-MULTIPART", Defects::truncate_body_at_nul, true},
    ProofCase{"RT-BINARY", Defects::truncate_body_at_nul},
    ProofCase{"RT-ERROR-BODY", Defects::drop_error_bodies},
    ProofCase{"RT-ERROR-BODY", Defects::drop_error_bodies, true},
    ProofCase{"LIVE-DEAD-CONNECTION", Defects::no_health_check},
    ProofCase{"LIVE-IDLE-RACE", Defects::no_retry_after_lost_connection},
    ProofCase{"DRAIN-HTTP11-REQUIRED", Defects::ignore_http11_required},
    ProofCase{"RETRY-421", Defects::retry_421_forever},
    ProofCase{"RESP-TRAILERS", Defects::drop_trailers},
    ProofCase{"RESP-TRAILERS", Defects::drop_trailers, true},
    ProofCase{"RESP-INFORMATIONAL", Defects::leak_informational_fields},
    ProofCase{"RESP-INFORMATIONAL", Defects::leak_informational_fields, true},
    ProofCase{"PARITY-WIRE", Defects::form_content_type_on_post},
    ProofCase{"PARITY-WIRE", Defects::form_content_type_on_post, true},
    ProofCase{.check = "FLOW-WINDOW",
              .defect = Defects::upload_waits_for_large_window,
              .part = "window 1"},
    ProofCase{.check = "FLOW-WINDOW",
              .defect = Defects::ignore_settings_window_raise,
              .part = "window 0 then SETTINGS raise"},
    ProofCase{.check = "FLOW-WINDOW",
              .defect = Defects::tiny_data_frames_as_flood,
              .part = "download in 1 B frames"},
    ProofCase{.check = "FLOW-WINDOW",
              .defect = Defects::serial_stream_credit,
              .part = "concurrent downloads"},
    ProofCase{"FLOW-BACKPRESSURE", Defects::credit_regardless_of_consumer},
    ProofCase{"DRAIN-GOAWAY-UPLOAD", Defects::replay_unreplayable_body},
    ProofCase{"RESP-ERROR-TYPING", Defects::protocol_errors_as_session_lost},
    ProofCase{"RESP-ERROR-TYPING", Defects::push_left_enabled},
    ProofCase{"RESP-TRUNCATED", Defects::rst_no_error_completes},
    // h1 only: over h2 the server's nghttp2 resets a stream whose DATA runs past its
    // content-length before the excess reaches the server's count, so the defect
    // cannot show there.
    ProofCase{"RESP-CONTENT-LENGTH", Defects::trust_pull_source_length, true},
    ProofCase{"RESP-CONTENT-LENGTH", Defects::ignore_content_length, true},
    ProofCase{"RESP-EARLY-RESPONSE", Defects::early_response_as_error},
    ProofCase{"RESP-EARLY-RESPONSE", Defects::early_response_as_error, true},
    ProofCase{"RESP-HEADER-BLOCK", Defects::no_continuation_coalescing},
    ProofCase{"RESP-HEADER-BLOCK", Defects::header_limit_ends_session},
    ProofCase{"RESP-HEADER-BLOCK", Defects::header_limit_ends_session, true},
};

class Defect : public ::testing::TestWithParam<ProofCase> {};

TEST_P(Defect, FailsTheCheck) {
  const auto& p = GetParam();
  const CheckInfo* check = find_check(p.check);
  ASSERT_NE(check, nullptr) << p.check;
  const Verdict clean = run_check(*check, transport_driver_spec(p.force_http1));
  if (clean.outcome == Outcome::skip) {
    GTEST_SKIP() << "the check itself skips: " << clean.summary;
  }
  ASSERT_EQ(clean.outcome, Outcome::pass) << "clean transport: " << clean.message();
  const Verdict broken = run_check(*check, transport_driver_spec(p.force_http1, p.defects()));
  EXPECT_EQ(broken.outcome, Outcome::fail)
      << p.check << " did not fail with defect " << transport::testing::to_string(p.defect) << ": "
      << broken.message();
  if (p.part != nullptr) {
    EXPECT_EQ(broken.summary.rfind(std::string(p.part) + ": ", 0), 0u)
        << "the defect should fail part \"" << p.part << "\": " << broken.summary;
  }
  RecordProperty("defective_verdict", broken.summary);
}

std::string proof_name(const ::testing::TestParamInfo<ProofCase>& info) {
  std::string name =
      test_name(info.param.check) + "_" + transport::testing::to_string(info.param.defect);
  if (info.param.also) {
    name += std::string("_") + transport::testing::to_string(*info.param.also);
  }
  return name + (info.param.force_http1 ? "_h1" : "");
}

INSTANTIATE_TEST_SUITE_P(Proof, Defect, ::testing::ValuesIn(kProofs), proof_name);

/** The second kind of proof: a scripted driver shaped to dodge a check's fault (its pool
    spreads the requests, or it sends before the SETTINGS) does not pass a check it
    would fail if the fault reached it - the check makes the fault fire, or fails. */
struct DodgeCase {
  const char* check;
  const char* how;                        ///< what the driver does to dodge
  std::function<DriverSpec()> clean;      ///< the dodging driver, correct otherwise
  std::function<DriverSpec()> defective;  ///< the same with the defect the check catches
};

void PrintTo(const DodgeCase& c, std::ostream* out) {
  *out << c.check << " " << c.how;
}

/** node:http2 through harness/drivers/node-http2 with extra arguments (nullopt when
    that driver is not here). */
std::optional<DriverSpec> node_http2_spec(std::vector<std::string> extra) {
  for (auto d : bundled_drivers()) {
    if (d.name != "node-http2") {
      continue;
    }
    d.name = "node-http2-scripted";
    d.make = [extra](const std::filesystem::path& ca) {
      harness::NodeHttp2DriverConfig c;
      c.ca_file = ca;
      auto o = harness::node_http2_driver_options(c);
      o.args.insert(o.args.end(), extra.begin(), extra.end());
      return std::unique_ptr<harness::Driver>(std::make_unique<harness::ExternalDriver>(o));
    };
    return d;
  }
  return std::nullopt;
}

const DodgeCase kDodges[] = {
    // Four one-session clients: the old per-connection streams_opened triggers never
    // fired for 8 requests spread 2/2/2/2, and the checks skipped.
    DodgeCase{
        "DRAIN-GOAWAY-ABOVE-LAST", "spreads requests over 4 connections",
        [] { return testing::spreading_driver_spec(4); },
        [] { return testing::spreading_driver_spec(4, Defects{}.set(Defects::no_goaway_retry)); }},
    DodgeCase{
        "DRAIN-GOAWAY-GRACEFUL", "spreads requests over 4 connections",
        [] { return testing::spreading_driver_spec(4); },
        [] { return testing::spreading_driver_spec(4, Defects{}.set(Defects::close_on_goaway)); }},
};

class Dodge : public ::testing::TestWithParam<DodgeCase> {};

TEST_P(Dodge, DoesNotPass) {
  const auto& c = GetParam();
  const CheckInfo* check = find_check(c.check);
  ASSERT_NE(check, nullptr) << c.check;
  const Verdict clean = run_check(*check, c.clean());
  EXPECT_EQ(clean.outcome, Outcome::pass)
      << "a correct driver that " << c.how << ": " << clean.message();
  const Verdict broken = run_check(*check, c.defective());
  EXPECT_EQ(broken.outcome, Outcome::fail)
      << c.check << " did not fail a defective driver that " << c.how << ": " << broken.message();
  RecordProperty("defective_verdict", broken.summary);
}

std::string dodge_name(const ::testing::TestParamInfo<DodgeCase>& info) {
  return test_name(info.param.check) + "_" + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(Proof, Dodge, ::testing::ValuesIn(kDodges), dodge_name);

/** A scripted external driver (nullopt when its program is not here). */
std::optional<DriverSpec> scripted_spec(const std::string& name, std::vector<std::string> command) {
  DriverSpec d;
  d.name = name;
  d.make = [command](const std::filesystem::path& ca) {
    harness::ExternalDriverOptions o;
    o.program = command.front();
    o.args.assign(command.begin() + 1, command.end());
    o.args.push_back("--ca");
    o.args.push_back(ca.string());
    return std::unique_ptr<harness::Driver>(std::make_unique<harness::ExternalDriver>(o));
  };
  return d;
}

/** A proof by a scripted client that misbehaves (or dodges) in a way no defect of our
    transport can: the check must fail it, saying `expect`. */
struct ScriptedCase {
  const char* check;
  const char* how;
  std::function<std::optional<DriverSpec>()> driver;
  const char* expect;  ///< a part of the failing verdict's summary
};

void PrintTo(const ScriptedCase& c, std::ostream* out) {
  *out << c.check << " " << c.how;
}

const ScriptedCase kScripted[] = {
    // A client that opens a new connection for every request sends each one before that
    // connection's SETTINGS: under the old POOL-LIMIT-ZERO (cold pool) the server served
    // them all and the check passed. Now the limit is acknowledged first, and a request
    // that never waited means the fault did not fire.
    ScriptedCase{"POOL-LIMIT-ZERO", "opens a connection per request, sending before its SETTINGS",
                 [] { return node_http2_spec({"--session-per-request"}); }, "fault did not fire"},
    // node:http2 sends its requests before the server's SETTINGS and hands REFUSED_STREAM
    // to the caller.
    ScriptedCase{"POOL-PRE-SETTINGS-BURST", "bursts before SETTINGS, surfaces REFUSED_STREAM",
                 [] { return node_http2_spec({}); }, "refused"},
    // nghttp2 (under our transport, curl and Node) never exceeds a limit it has received:
    // a hand-written h2 client that acknowledges the SETTINGS and then ignores them.
    ScriptedCase{"POOL-SERVER-LIMIT", "exceeds the limit it acknowledged (raw h2 frames)",
                 [] {
                   return scripted_spec("raw-h2", {"python3", FAULTLINE_RAW_H2_DRIVER});
                 },
                 "the client had acknowledged"},
};

class Scripted : public ::testing::TestWithParam<ScriptedCase> {};

TEST_P(Scripted, FailsTheCheck) {
  const auto& c = GetParam();
  auto spec = c.driver();
  if (!spec) {
    GTEST_SKIP() << "the scripted driver is not here";
  }
  const Verdict v = run_check(*find_check(c.check), *spec);
  EXPECT_EQ(v.outcome, Outcome::fail)
      << c.check << " on a driver that " << c.how << ": " << v.message();
  EXPECT_NE(v.summary.find(c.expect), std::string::npos) << v.summary;
  RecordProperty("verdict", v.summary);
}

std::string scripted_name(const ::testing::TestParamInfo<ScriptedCase>& info) {
  return test_name(info.param.check);
}

INSTANTIATE_TEST_SUITE_P(Proof, Scripted, ::testing::ValuesIn(kScripted), scripted_name);

TEST(Proof, EveryCheckOfTheCatalogueHasOne) {
  for (const auto& check : catalogue()) {
    const bool proven = std::any_of(std::begin(kProofs), std::end(kProofs),
                                    [&](const ProofCase& p) { return check.id == p.check; }) ||
                        std::any_of(std::begin(kScripted), std::end(kScripted),
                                    [&](const ScriptedCase& p) { return check.id == p.check; });
    EXPECT_TRUE(proven) << check.id << " has no proof that it can fail";
  }
  for (const auto& p : kProofs) {
    EXPECT_NE(find_check(p.check), nullptr) << p.check << " is not in the catalogue";
  }
}

}  // namespace
}  // namespace faultline::conformance
