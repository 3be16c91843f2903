// multipart/form-data encoding.
#include "faultline/transport/multipart.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace faultline::transport {
namespace {

TEST(TransportMultipart, EncodesFieldsAndBinaryFilesExactly) {
  MultipartBuilder builder("XyZ");
  const std::string binary("\x00\x01\xff\r\n--XyZ-not-a-boundary", 26);
  builder.add_field("name", "value").add_file("upload", "a\"b.bin", binary);
  const std::string want =
      std::string(
          "--XyZ\r\ncontent-disposition: form-data; name=\"name\"\r\n\r\nvalue\r\n"
          "--XyZ\r\ncontent-disposition: form-data; name=\"upload\"; filename=\"a\\\"b.bin\"\r\n"
          "content-type: application/octet-stream\r\n\r\n") +
      binary + "\r\n--XyZ--\r\n";
  EXPECT_EQ(builder.build(), want);
  EXPECT_EQ(builder.content_type(), "multipart/form-data; boundary=XyZ");
}

TEST(TransportMultipart, AppliesToARequest) {
  MultipartBuilder builder;
  builder.add_field("a", "1");
  Request request;
  request.headers.emplace_back("Content-Type", "text/plain");
  builder.apply_to(request);
  ASSERT_EQ(request.headers.size(), 1U);
  EXPECT_EQ(request.headers[0].second, builder.content_type());
  EXPECT_EQ(request.body.data(), builder.build());
  EXPECT_TRUE(request.body.replayable());
}

TEST(TransportMultipart, RandomBoundariesDiffer) {
  EXPECT_NE(MultipartBuilder().boundary(), MultipartBuilder().boundary());
}

TEST(TransportMultipart, RejectsBadInput) {
  EXPECT_THROW(MultipartBuilder(""), std::invalid_argument);
  EXPECT_THROW(MultipartBuilder(std::string(71, 'a')), std::invalid_argument);
  EXPECT_THROW(MultipartBuilder("bad\"boundary"), std::invalid_argument);
  MultipartBuilder builder;
  EXPECT_THROW(builder.add_field("a\r\nb", "v"), std::invalid_argument);
  EXPECT_THROW(builder.add_file("a", "f\n", "v"), std::invalid_argument);
}

}  // namespace
}  // namespace faultline::transport
