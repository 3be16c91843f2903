#include "faultline/common/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace faultline::common {
namespace {

TEST(Base64, RoundTripsEveryLengthInBothModes) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes) << i;
    EXPECT_EQ(base64_decode(base64_encode(bytes), Base64Padding::optional), bytes) << i;
    bytes += static_cast<char>(i * 37);
  }
}

TEST(Base64, EncodesTheRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\x00\x01\x02\xff", 4)), "AAEC/w==");
}

TEST(Base64, RequiredPaddingAcceptsTheCanonicalFormOnly) {
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_FALSE(base64_decode("Zm8"));    // padding missing
  EXPECT_FALSE(base64_decode("Zg="));    // padding short
  EXPECT_FALSE(base64_decode("Z==="));   // three '='
  EXPECT_FALSE(base64_decode("Zm=v"));   // '=' inside
  EXPECT_FALSE(base64_decode("Zm9="));   // dropped bits not zero
  EXPECT_FALSE(base64_decode("Zh=="));   // dropped bits not zero
  EXPECT_FALSE(base64_decode("ab!="));   // outside the alphabet
  EXPECT_FALSE(base64_decode("Zm9v "));  // whitespace
  EXPECT_FALSE(base64_decode("abc"));
}

TEST(Base64, OptionalPaddingAcceptsWhatOtherEncodersWrite) {
  EXPECT_EQ(base64_decode("Zm8", Base64Padding::optional), "fo");
  EXPECT_EQ(base64_decode("Zm8=", Base64Padding::optional), "fo");
  EXPECT_EQ(base64_decode("Zm9=", Base64Padding::optional), "fo");  // dropped bits ignored
  EXPECT_FALSE(base64_decode("Zm9v!", Base64Padding::optional));
  EXPECT_FALSE(base64_decode("Z", Base64Padding::optional));
  EXPECT_FALSE(base64_decode("Zm=v", Base64Padding::optional));
}

}  // namespace
}  // namespace faultline::common
