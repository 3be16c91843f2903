// JSON for wire bytes: invalid UTF-8 becomes U+FFFD; valid text and the bytes around
// an invalid one are kept.
#include "detail/json_text.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace faultline::fake_server::detail {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

std::string written(const std::string& text) {
  return nlohmann::json::parse(to_json_text(nlohmann::json(text))).get<std::string>();
}

TEST(JsonText, ValidUtf8IsKept) {
  for (const std::string text : {"", "plain", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
    EXPECT_EQ(written(text), text);
  }
}

TEST(JsonText, InvalidBytesBecomeReplacementsAndTheRestStays) {
  EXPECT_EQ(written(std::string("a\xFF") + "b"), "a" + kFffd + "b");
  EXPECT_EQ(written("\xFF\xFE"), kFffd + kFffd);
  EXPECT_EQ(written(std::string("x\xC3")), "x" + kFffd);  // truncated sequence
}

TEST(JsonText, StringsAndKeysAtAnyDepthAreWritten) {
  const nlohmann::json value = {{"k\xFF", {{"inner", nlohmann::json::array({"v\xFE", 1, true})}}},
                                {"ok", "fine"}};
  const auto parsed = nlohmann::json::parse(to_json_text(value));
  EXPECT_EQ(parsed["k" + kFffd]["inner"][0], "v" + kFffd);
  EXPECT_EQ(parsed["k" + kFffd]["inner"][1], 1);
  EXPECT_EQ(parsed["ok"], "fine");
  EXPECT_EQ(to_json_text(nlohmann::json{{"a", "b"}}), R"({"a":"b"})");
}

}  // namespace
}  // namespace faultline::fake_server::detail
