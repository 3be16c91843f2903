// Fetch redirect rules as a pure function.
#include "detail/redirect.h"

#include <gtest/gtest.h>

#include "faultline/transport/errors.h"

namespace faultline::transport::detail {
namespace {

const Url kBase = *parse_url("https://a.test/dir/page");

TEST(TransportRedirect, StatusesThatRedirect) {
  for (int s : {301, 302, 303, 307, 308}) {
    EXPECT_TRUE(is_redirect_status(s)) << s;
  }
  for (int s : {200, 300, 304, 305, 306, 399}) {
    EXPECT_FALSE(is_redirect_status(s)) << s;
  }
}

TEST(TransportRedirect, SeeOtherBecomesGetAndDropsBodyHeaders) {
  Headers headers{{"Content-Type", "x"}, {"content-length", "3"}, {"accept", "y"}};
  RedirectPlan plan;
  ASSERT_FALSE(plan_redirect("DELETE", kBase, 303, "other", headers, plan));
  EXPECT_EQ(plan.method, "GET");
  EXPECT_TRUE(plan.drop_body);
  EXPECT_EQ(plan.url.str(), "https://a.test/dir/other");
  EXPECT_EQ(headers, (Headers{{"accept", "y"}}));
}

TEST(TransportRedirect, HeadStaysHeadOnSeeOther) {
  Headers headers;
  RedirectPlan plan;
  ASSERT_FALSE(plan_redirect("HEAD", kBase, 303, "/x", headers, plan));
  EXPECT_EQ(plan.method, "HEAD");
}

TEST(TransportRedirect, PermanentAndFoundKeepNonPostMethods) {
  for (int status : {301, 302}) {
    Headers headers{{"content-type", "x"}};
    RedirectPlan plan;
    ASSERT_FALSE(plan_redirect("PUT", kBase, status, "/x", headers, plan));
    EXPECT_EQ(plan.method, "PUT");
    EXPECT_FALSE(plan.drop_body);
    EXPECT_EQ(headers.size(), 1U);
  }
}

TEST(TransportRedirect, CredentialsDroppedOnlyAcrossOrigins) {
  Headers headers{
      {"Authorization", "a"}, {"Cookie", "c"}, {"proxy-authorization", "p"}, {"x", "y"}};
  RedirectPlan plan;
  ASSERT_FALSE(plan_redirect("GET", kBase, 307, "https://a.test:443/same", headers, plan));
  EXPECT_FALSE(plan.cross_origin);
  EXPECT_EQ(headers.size(), 4U);
  ASSERT_FALSE(plan_redirect("GET", kBase, 307, "https://a.test:8443/other-port", headers, plan));
  EXPECT_TRUE(plan.cross_origin);
  EXPECT_EQ(headers, (Headers{{"x", "y"}}));
}

TEST(TransportRedirect, SchemeChangeIsCrossOrigin) {
  Headers headers{{"cookie", "c"}};
  RedirectPlan plan;
  ASSERT_FALSE(plan_redirect("GET", kBase, 302, "http://a.test/dir/page", headers, plan));
  EXPECT_TRUE(plan.cross_origin);
  EXPECT_TRUE(headers.empty());
}

TEST(TransportRedirect, BadLocations) {
  Headers headers;
  RedirectPlan plan;
  EXPECT_EQ(plan_redirect("GET", kBase, 302, "", headers, plan), errc::bad_redirect);
  EXPECT_EQ(plan_redirect("GET", kBase, 302, "data:text/plain,x", headers, plan),
            errc::bad_redirect);
  EXPECT_EQ(plan_redirect("GET", kBase, 302, "https://bad host/", headers, plan),
            errc::bad_redirect);
}

}  // namespace
}  // namespace faultline::transport::detail
