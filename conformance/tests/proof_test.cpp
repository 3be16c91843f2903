// Proof that each check can fail: against our transport with the matching defect the
// check FAILS, and against the clean transport it passes.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>

#include "faultline/conformance/checks.h"

namespace faultline::conformance {
namespace {

using transport::testing::Defects;

struct ProofCase {
  const char* check;
  Defects::Flag defect;
  bool force_http1 = false;
};

void PrintTo(const ProofCase& p, std::ostream* out) {
  *out << p.check << " with " << transport::testing::to_string(p.defect);
}

/** Every check of the catalogue with the defect that must make it fail. */
const ProofCase kProofs[] = {
    ProofCase{"POOL-REUSE", Defects::count_only_ready_sessions},
    ProofCase{"POOL-REUSE", Defects::fake_session_stats},
    ProofCase{"POOL-COLD-BURST", Defects::count_only_ready_sessions},
    ProofCase{"POOL-SERVER-LIMIT", Defects::ignore_server_stream_limit},
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
  const Verdict broken =
      run_check(*check, transport_driver_spec(p.force_http1, Defects{}.set(p.defect)));
  EXPECT_EQ(broken.outcome, Outcome::fail)
      << p.check << " did not fail with defect " << transport::testing::to_string(p.defect) << ": "
      << broken.message();
  RecordProperty("defective_verdict", broken.summary);
}

std::string proof_name(const ::testing::TestParamInfo<ProofCase>& info) {
  std::string name =
      test_name(info.param.check) + "_" + transport::testing::to_string(info.param.defect);
  return name + (info.param.force_http1 ? "_h1" : "");
}

INSTANTIATE_TEST_SUITE_P(Proof, Defect, ::testing::ValuesIn(kProofs), proof_name);

TEST(Proof, EveryCheckOfTheCatalogueHasOne) {
  for (const auto& check : catalogue()) {
    const bool proven = std::any_of(std::begin(kProofs), std::end(kProofs),
                                    [&](const ProofCase& p) { return check.id == p.check; });
    EXPECT_TRUE(proven) << check.id << " has no proof that it can fail";
  }
  for (const auto& p : kProofs) {
    EXPECT_NE(find_check(p.check), nullptr) << p.check << " is not in the catalogue";
  }
}

}  // namespace
}  // namespace faultline::conformance
