// Every fake_server error value: named, with a message, distinct, in its own category.
#include "faultline/fake_server/errc.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace faultline::fake_server {
namespace {

TEST(FakeServerErrc, EveryValueHasANameAndAMessage) {
  std::set<std::string> names;
  std::set<std::string> messages;
  for (const errc e : kAllErrc) {
    const std::error_code code = e;  // implicit: is_error_code_enum
    const std::string name(to_string(e));
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
    const std::string message = code.message();
    EXPECT_FALSE(message.empty()) << name;
    EXPECT_EQ(message.find("unknown"), std::string::npos) << name << ": " << message;
    EXPECT_TRUE(messages.insert(message).second) << "duplicate message " << message;
    EXPECT_TRUE(code) << name << " must be an error";
  }
  EXPECT_EQ(names.size(), std::size(kAllErrc));
}

TEST(FakeServerErrc, CodesRoundTripThroughTheirCategory) {
  for (const errc e : kAllErrc) {
    const std::error_code code = make_error_code(e);
    EXPECT_EQ(&code.category(), &fake_server_category());
    EXPECT_STREQ(code.category().name(), "faultline.fake_server");
    EXPECT_EQ(static_cast<errc>(code.value()), e);
    EXPECT_EQ(code, e);
    EXPECT_EQ(code.default_error_condition().category(), fake_server_category());
    EXPECT_EQ(code.default_error_condition().value(), code.value());
    EXPECT_EQ(ServerError(e, "m").code(), code);
  }
}

TEST(FakeServerErrc, ValuesAreDenseFromOneAndAllListed) {
  int expected = 1;
  for (const errc e : kAllErrc) {
    EXPECT_EQ(static_cast<int>(e), expected++);
  }
  // The value after the last one (and 0) has no name and the fallback message.
  EXPECT_EQ(to_string(static_cast<errc>(expected)), "unknown");
  EXPECT_EQ(make_error_code(static_cast<errc>(expected)).message(), "unknown fake_server error");
  EXPECT_EQ(to_string(static_cast<errc>(0)), "unknown");
}

TEST(FakeServerErrc, DoesNotCompareEqualToOtherCategories) {
  EXPECT_NE(make_error_code(errc::invalid_argument),
            std::make_error_code(std::errc::invalid_argument));
  EXPECT_NE(make_error_code(errc::io_failed), std::make_error_code(std::errc::io_error));
}

}  // namespace
}  // namespace faultline::fake_server
