// Every transport error value: named, documented, distinct, in its own category.
#include "faultline/transport/errors.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace faultline::transport {
namespace {

TEST(TransportErrors, EveryValueHasANameAndAMessageInTheTransportCategory) {
  std::set<std::string> names;
  std::set<std::string> messages;
  for (const errc e : kAllErrc) {
    const std::error_code ec = e;  // implicit: is_error_code_enum
    EXPECT_EQ(&ec.category(), &transport_category());
    EXPECT_STREQ(ec.category().name(), "faultline.transport");
    const std::string name(to_string(e));
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
    const std::string message = ec.message();
    EXPECT_EQ(message.rfind(name + ": ", 0), 0U) << message;
    EXPECT_TRUE(messages.insert(message).second) << "duplicate message " << message;
    EXPECT_TRUE(ec) << name << " must be an error";
    EXPECT_EQ(ec, e);
  }
  EXPECT_EQ(names.size(), std::size(kAllErrc));
}

TEST(TransportErrors, ValuesAreDenseFromOneAndAllListed) {
  int expected = 1;
  for (const errc e : kAllErrc) {
    EXPECT_EQ(static_cast<int>(e), expected++);
  }
  // The value after the last one is unknown.
  EXPECT_NE(make_error_code(static_cast<errc>(expected)).message().find("unknown"),
            std::string::npos);
}

TEST(TransportErrors, DoNotCompareEqualToOtherCategories) {
  EXPECT_NE(make_error_code(errc::timeout), std::make_error_code(std::errc::timed_out));
}

}  // namespace
}  // namespace faultline::transport
