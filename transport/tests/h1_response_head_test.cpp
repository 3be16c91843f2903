// The HTTP/1.1 fallback's judge of response header lines, fed lines as libcurl's header
// callback hands them over (RFC 9112 sections 4 and 5).
#include "detail/h1_response_head.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "detail/limits.h"
#include "detail/text.h"

namespace faultline::transport {
namespace {

using detail::H1ResponseHead;
using Step = H1ResponseHead::Step;

/** Feeds `lines` in order; returns the step of the last one. */
Step feed(H1ResponseHead& head, std::initializer_list<std::string_view> lines) {
  Step step = Step::more;
  for (const auto line : lines) {
    step = head.on_line(line);
  }
  return step;
}

TEST(H1ResponseHead, FinalHeadWithLowerCasedTrimmedFields) {
  H1ResponseHead head;
  ASSERT_EQ(feed(head, {"HTTP/1.1 200 OK\r\n", "Content-Type:  text/plain \t\r\n", "X-Empty:\r\n",
                        "\r\n"}),
            Step::head);
  EXPECT_EQ(head.status(), 200);
  const Headers expected{{"content-type", "text/plain"}, {"x-empty", ""}};
  EXPECT_EQ(head.take_headers(), expected);
}

TEST(H1ResponseHead, InterimHeadsAreReportedThenLeftOutOfTheFinalOne) {
  H1ResponseHead head;
  ASSERT_EQ(feed(head, {"HTTP/1.1 100 Continue\r\n", "\r\n"}), Step::interim);
  EXPECT_EQ(head.interim_status(), 100);
  EXPECT_TRUE(head.take_interim().empty());
  ASSERT_EQ(feed(head, {"HTTP/1.1 103 Early Hints\r\n", "Link: </a.css>\r\n", "\r\n"}),
            Step::interim);
  EXPECT_EQ(head.interim_status(), 103);
  const Headers hints{{"link", "</a.css>"}};
  EXPECT_EQ(head.take_interim(), hints);
  EXPECT_FALSE(head.head_done());
  EXPECT_EQ(head.status(), 0);
  ASSERT_EQ(feed(head, {"HTTP/1.1 204 No Content\r\n", "\r\n"}), Step::head);
  EXPECT_EQ(head.status(), 204);
  EXPECT_TRUE(head.take_headers().empty());
}

// The hook of leak_informational_fields: the interim fields stay for the final head.
TEST(H1ResponseHead, KeptInterimFieldsJoinTheFinalHead) {
  H1ResponseHead head;
  head.keep_interim_fields(true);
  ASSERT_EQ(feed(head, {"HTTP/1.1 103 Early Hints\r\n", "Link: </a.css>\r\n", "\r\n"}),
            Step::interim);
  ASSERT_EQ(feed(head, {"HTTP/1.1 200 OK\r\n", "\r\n"}), Step::head);
  const Headers leaked{{"link", "</a.css>"}};
  EXPECT_EQ(head.take_headers(), leaked);
}

TEST(H1ResponseHead, TrailersAfterTheHead) {
  H1ResponseHead head;
  ASSERT_EQ(feed(head, {"HTTP/1.1 200 OK\r\n", "\r\n"}), Step::head);
  ASSERT_EQ(feed(head, {"X-Digest: abc\r\n", "\r\n"}), Step::more);
  const Headers expected{{"x-digest", "abc"}};
  EXPECT_EQ(head.take_trailers(), expected);
}

// RFC 9112 5.2: obs-fold is replaced by one SP.
TEST(H1ResponseHead, FoldedLinesContinueThePreviousField) {
  H1ResponseHead head;
  ASSERT_EQ(
      feed(head, {"HTTP/1.1 200 OK\n", "X-Folded: first\n", "  second\n", "\tthird \n", "\n"}),
      Step::head);
  const Headers expected{{"x-folded", "first second third"}};
  EXPECT_EQ(head.take_headers(), expected);
}

// The parser before H1ResponseHead took "HTTP/1.1 2xx" as status 2 (an interim head, so
// the final head never came) and a negative or 4-digit code as given.
TEST(H1ResponseHead, StatusLinesOutsideTheGrammarAreRejected) {
  for (const std::string_view line :
       {"HTTP/1.1 2xx OK\r\n", "HTTP/1.1 -99 Negative\r\n", "HTTP/1.1 2000 OK\r\n",
        "HTTP/1.1 099 Low\r\n", "HTTP/1.1 600 High\r\n", "HTTP/1.1 20\r\n", "HTTP/2 200\r\n",
        "HTTP/1.1  200 OK\r\n", "ICY 200 OK\r\n", "HTTP/1.1 200\rOK\r\n", "\r\n"}) {
    H1ResponseHead head;
    EXPECT_EQ(head.on_line(line), Step::rejected) << line;
    EXPECT_FALSE(head.error().empty()) << line;
  }
  H1ResponseHead head;
  EXPECT_EQ(feed(head, {"HTTP/1.0 599\r\n", "\r\n"}), Step::head);
  EXPECT_EQ(head.status(), 599);
}

TEST(H1ResponseHead, SwitchingProtocolsIsRejected) {
  H1ResponseHead head;
  EXPECT_EQ(head.on_line("HTTP/1.1 101 Switching Protocols\r\n"), Step::rejected);
}

// Names must be tokens (no whitespace before the colon); values hold no NUL or CR: what
// nghttp2 enforces on the h2 path.
TEST(H1ResponseHead, MalformedFieldLinesRejectTheResponse) {
  using namespace std::string_view_literals;
  for (const std::string_view line :
       {"X-Bad : value\r\n"sv, "Bad Name: x\r\n"sv, ": empty name\r\n"sv, "no colon at all\r\n"sv,
        "X-Nul: a\0b\r\n"sv, "X-Cr: a\rb\r\n"sv}) {
    H1ResponseHead head;
    ASSERT_EQ(head.on_line("HTTP/1.1 200 OK\r\n"), Step::more);
    EXPECT_EQ(head.on_line(line), Step::rejected) << line;
  }
  H1ResponseHead head;
  ASSERT_EQ(head.on_line("HTTP/1.1 200 OK\r\n"), Step::more);
  EXPECT_EQ(head.on_line(" folded without a field\r\n"), Step::rejected);
}

TEST(H1ResponseHead, ARejectedResponseStaysRejected) {
  H1ResponseHead head;
  ASSERT_EQ(feed(head, {"HTTP/1.1 200 OK\r\n", "X Bad: 1\r\n"}), Step::rejected);
  EXPECT_EQ(head.on_line("\r\n"), Step::rejected);
  EXPECT_FALSE(head.head_done());
  EXPECT_TRUE(head.take_headers().empty());
}

TEST(H1ResponseHead, AStatusLineAfterTheHeadIsRejected) {
  H1ResponseHead head;
  ASSERT_EQ(feed(head, {"HTTP/1.1 200 OK\r\n", "\r\n"}), Step::head);
  EXPECT_EQ(head.on_line("HTTP/1.1 200 OK\r\n"), Step::rejected);
}

/** Feeds `field` until the head rejects it (at most `most` times); returns how many. */
std::size_t lines_until_rejected(H1ResponseHead& head, const std::string& field,
                                 std::size_t most = 1000) {
  std::size_t lines = 0;
  while (lines < most) {
    ++lines;
    if (head.on_line(field) != Step::more) {
      break;
    }
  }
  return lines;
}

TEST(H1ResponseHead, HeadsAndTrailersAreBounded) {
  const std::string field = "X-Big: " + std::string(1000, 'v') + "\r\n";
  constexpr std::string_view kStatusLine = "HTTP/1.1 200 OK\r\n";
  H1ResponseHead head;
  ASSERT_EQ(head.on_line(kStatusLine), Step::more);
  // The line that takes the head over the bound is the one rejected.
  EXPECT_EQ(lines_until_rejected(head, field),
            (detail::kMaxResponseHeadBytes - kStatusLine.size()) / field.size() + 1);
  EXPECT_TRUE(head.rejected());

  H1ResponseHead trailers;
  ASSERT_EQ(feed(trailers, {"HTTP/1.1 200 OK\r\n", "\r\n"}), Step::head);
  EXPECT_EQ(lines_until_rejected(trailers, field),
            detail::kMaxResponseTrailerBytes / field.size() + 1);
  EXPECT_TRUE(trailers.rejected());
  EXPECT_TRUE(head.too_large());
  EXPECT_TRUE(trailers.too_large());
}

// Options::max_response_header_bytes sets the bound; a head refused for anything else is
// not "too large".
TEST(H1ResponseHead, TheBoundIsConfigurableAndNamesItsCause) {
  const std::string field = "X-Big: " + std::string(1000, 'v') + "\r\n";
  H1ResponseHead head;
  head.limit_bytes(4096);
  ASSERT_EQ(head.on_line("HTTP/1.1 200 OK\r\n"), Step::more);
  EXPECT_EQ(lines_until_rejected(head, field, 100), 5U);
  EXPECT_TRUE(head.too_large());
  EXPECT_NE(head.error().find("4096"), std::string::npos) << head.error();
  H1ResponseHead malformed;
  EXPECT_EQ(malformed.on_line("HTTP/1.1 2000 OK\r\n"), Step::rejected);
  EXPECT_FALSE(malformed.too_large());
}

TEST(StatusCode, ThreeDigitsFrom100To599) {
  EXPECT_EQ(detail::parse_status_code("100"), 100);
  EXPECT_EQ(detail::parse_status_code("599"), 599);
  for (const std::string_view bad : {"", "99", "099", "600", "1000", "2x0", "-20", " 200"}) {
    EXPECT_FALSE(detail::parse_status_code(bad).has_value()) << bad;
  }
}

// RFC 9112 6.3: Content-Length fields that disagree (or are not numbers) are a framing
// error; identical repeats, as separate fields or a list, are one length.
TEST(H1ResponseHead, ConflictingContentLengthIsRejected) {
  const auto judge = [](std::initializer_list<std::string_view> fields) {
    H1ResponseHead head;
    EXPECT_EQ(head.on_line("HTTP/1.1 200 OK\r\n"), H1ResponseHead::Step::more);
    for (const auto field : fields) {
      EXPECT_EQ(head.on_line(std::string(field) + "\r\n"), H1ResponseHead::Step::more);
    }
    head.on_line("\r\n");
    return head.rejected() ? head.error() : std::string("accepted");
  };
  EXPECT_EQ(judge({"Content-Length: 1000", "Content-Length: 999"}),
            "conflicting Content-Length values 1000 and 999");
  EXPECT_EQ(judge({"Content-Length: 1000, 999"}), "conflicting Content-Length values 1000 and 999");
  EXPECT_EQ(judge({"Content-Length: 1e3"}), "malformed Content-Length \"1e3\"");
  EXPECT_EQ(judge({"Content-Length: "}), "malformed Content-Length \"\"");
  EXPECT_EQ(judge({"Content-Length: 1000", "content-length: 1000"}), "accepted");
  EXPECT_EQ(judge({"Content-Length: 1000 , 1000"}), "accepted");
  EXPECT_EQ(judge({"Content-Length: 7"}), "accepted");
}

// ignore_content_length switches the judgement off (what RESP-CONTENT-LENGTH's h1 proof
// relies on).
TEST(H1ResponseHead, ContentLengthJudgementCanBeSwitchedOff) {
  H1ResponseHead head;
  head.judge_content_length(false);
  head.on_line("HTTP/1.1 200 OK\r\n");
  head.on_line("Content-Length: 1000\r\n");
  head.on_line("Content-Length: 999\r\n");
  EXPECT_EQ(head.on_line("\r\n"), H1ResponseHead::Step::head);
}

}  // namespace
}  // namespace faultline::transport
