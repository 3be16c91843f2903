// The streaming multipart/form-data parser, fed at random split sizes.
#include "detail/multipart.h"

#include <gtest/gtest.h>

#include <random>

#include "faultline/common/sha256.h"

namespace faultline::fake_server::detail {
namespace {

using common::sha256_hex;

std::string form(const std::string& boundary, const std::string& binary) {
  return "preamble to ignore\r\n"
         "--" +
         boundary +
         "\r\n"
         "Content-Disposition: form-data; name=\"field\"\r\n\r\n"
         "value\r\n"
         "--" +
         boundary +
         "\r\n"
         "Content-Disposition: form-data; name=\"file\"; filename=\"a;b.bin\"\r\n"
         "Content-Type: application/octet-stream\r\n\r\n" +
         binary +
         "\r\n"
         "--" +
         boundary +
         "--\r\n"
         "epilogue\r\n";
}

std::string binary_with_near_delimiters(const std::string& boundary) {
  std::string binary;
  for (int i = 0; i < 300; ++i) {
    binary += static_cast<char>(i * 7);
  }
  binary += "\r\n--" + boundary.substr(0, boundary.size() - 1) + "X";  // almost a delimiter
  binary += std::string("\0\r\n\r", 4);
  return binary;
}

TEST(MultipartBoundary, FromContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=x; boundary=\"a b;c\""), "a b;c");
  EXPECT_FALSE(multipart_boundary("text/plain; boundary=abc"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
}

TEST(Multipart, PartsDigestedWhateverTheSplit) {
  const std::string boundary = "----faultline42";
  const std::string binary = binary_with_near_delimiters(boundary);
  const std::string body = form(boundary, binary);
  std::mt19937 rng(3);
  for (int round = 0; round < 50; ++round) {
    MultipartParser parser(boundary);
    std::size_t at = 0;
    while (at < body.size()) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(1, round + 1)(rng);
      parser.feed(std::string_view(body).substr(at, n));
      at += n;
    }
    parser.finish();
    ASSERT_TRUE(parser.complete()) << parser.error();
    ASSERT_EQ(parser.parts().size(), 2u);
    EXPECT_EQ(parser.parts()[0].name, "field");
    EXPECT_EQ(parser.parts()[0].bytes, 5u);
    EXPECT_EQ(parser.parts()[0].sha256, sha256_hex("value"));
    EXPECT_EQ(parser.parts()[1].name, "file");
    EXPECT_EQ(parser.parts()[1].filename, "a;b.bin");
    EXPECT_EQ(parser.parts()[1].content_type, "application/octet-stream");
    EXPECT_EQ(parser.parts()[1].bytes, binary.size());
    EXPECT_EQ(parser.parts()[1].sha256, sha256_hex(binary));
  }
}

TEST(Multipart, EmptyPartAndNoHeaders) {
  MultipartParser parser("b");
  parser.feed("--b\r\n\r\n\r\n--b\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n--b--");
  parser.finish();
  ASSERT_TRUE(parser.complete()) << parser.error();
  ASSERT_EQ(parser.parts().size(), 2u);
  EXPECT_EQ(parser.parts()[0].bytes, 0u);
  EXPECT_EQ(parser.parts()[1].name, "x");
  EXPECT_EQ(parser.parts()[1].sha256, sha256_hex(""));
}

TEST(Multipart, TruncatedBodyReportsAnError) {
  MultipartParser parser("b");
  parser.feed("--b\r\nContent-Disposition: form-data; name=x\r\n\r\nabc");
  parser.finish();
  EXPECT_FALSE(parser.complete());
  EXPECT_FALSE(parser.error().empty());
  ASSERT_EQ(parser.parts().size(), 1u);
  EXPECT_EQ(parser.parts()[0].bytes, 3u);
}

TEST(Multipart, GarbageAfterDelimiterFails) {
  MultipartParser parser("b");
  parser.feed("--bXYZ\r\n\r\n");
  parser.finish();
  EXPECT_FALSE(parser.complete());
  EXPECT_NE(parser.error().find("garbage"), std::string::npos) << parser.error();
}

}  // namespace
}  // namespace faultline::fake_server::detail
