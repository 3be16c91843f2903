#include "faultline/harness/errc.h"

#include <gtest/gtest.h>

#include <set>

namespace faultline::harness {
namespace {

TEST(HarnessErrc, EveryValueHasItsOwnMessage) {
  std::set<std::string> messages;
  for (int v = static_cast<int>(errc::spawn_failed); v <= static_cast<int>(errc::wait_timeout);
       ++v) {
    const std::error_code ec = static_cast<errc>(v);
    EXPECT_EQ(&ec.category(), &harness_category());
    EXPECT_EQ(ec.category().name(), std::string("faultline.harness"));
    EXPECT_EQ(ec.message().find("unknown harness error"), std::string::npos) << v;
    EXPECT_TRUE(messages.insert(ec.message()).second) << "duplicate message for " << v;
  }
  EXPECT_NE(std::error_code(static_cast<errc>(999)).message().find("unknown harness error"),
            std::string::npos);
}

TEST(HarnessErrc, HarnessErrorCarriesCodeAndText) {
  const HarnessError e(errc::ready_timeout, "server said nothing");
  EXPECT_EQ(e.code(), errc::ready_timeout);
  EXPECT_STREQ(e.what(), "server said nothing");
}

}  // namespace
}  // namespace faultline::harness
