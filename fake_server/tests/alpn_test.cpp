// ALPN decisions per policy (the OpenSSL callback only maps them to return codes).
#include "detail/alpn.h"

#include <gtest/gtest.h>

namespace faultline::fake_server::detail {
namespace {

using scenarios::AlpnPolicy;

const std::string kBoth("\x02h2\x08http/1.1", 12);
const std::string kH2("\x02h2", 3);
const std::string kH1("\x08http/1.1", 9);

TEST(Alpn, H2H1PrefersH2) {
  EXPECT_EQ(decide_alpn(AlpnPolicy::h2_h1, kBoth).protocol, "h2");
  EXPECT_EQ(decide_alpn(AlpnPolicy::h2_h1, kH1).protocol, "http/1.1");
  EXPECT_EQ(decide_alpn(AlpnPolicy::h2_h1, "\x03xyz").answer, AlpnAnswer::no_protocol);
}

TEST(Alpn, H1OnlyNegotiatesNothingForAnH2OnlyOffer) {
  EXPECT_EQ(decide_alpn(AlpnPolicy::h1_only, kBoth).protocol, "http/1.1");
  EXPECT_EQ(decide_alpn(AlpnPolicy::h1_only, kH2).answer, AlpnAnswer::no_protocol);
}

TEST(Alpn, StrictPoliciesAlert) {
  EXPECT_EQ(decide_alpn(AlpnPolicy::h1_strict, kBoth).protocol, "http/1.1");
  EXPECT_EQ(decide_alpn(AlpnPolicy::h1_strict, kH2).answer, AlpnAnswer::reject);
  EXPECT_EQ(decide_alpn(AlpnPolicy::h2_only, kBoth).protocol, "h2");
  EXPECT_EQ(decide_alpn(AlpnPolicy::h2_only, kH1).answer, AlpnAnswer::reject);
}

TEST(Alpn, NoneAndMalformed) {
  EXPECT_EQ(decide_alpn(AlpnPolicy::none, kBoth).answer, AlpnAnswer::no_protocol);
  // A length running past the end is not read.
  EXPECT_EQ(decide_alpn(AlpnPolicy::h2_h1, "\x09h2").answer, AlpnAnswer::no_protocol);
}

}  // namespace
}  // namespace faultline::fake_server::detail
