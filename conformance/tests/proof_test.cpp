// Proof that each check can fail: against our transport with the matching defect the
// check FAILS, and against the clean transport it passes.
#include <gtest/gtest.h>

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

INSTANTIATE_TEST_SUITE_P(
    Proof, Defect,
    ::testing::Values(ProofCase{"POOL-REUSE", Defects::count_only_ready_sessions},
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
                      ProofCase{"DRAIN-REFUSED-RETRY", Defects::surface_refused_stream}),
    proof_name);

}  // namespace
}  // namespace faultline::conformance
