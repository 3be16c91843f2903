// URL parsing, origins and Location resolution (RFC 3986 section 5).
#include "detail/url.h"

#include <gtest/gtest.h>

namespace faultline::transport::detail {
namespace {

TEST(TransportUrl, ParsesOriginAuthorityAndPath) {
  const auto url = parse_url("HTTPS://Example.COM:8443/a/b?c=d#frag");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->path_and_query, "/a/b?c=d");
  EXPECT_EQ(url->origin(), "https://example.com:8443");
  EXPECT_EQ(url->authority(), "example.com:8443");
  EXPECT_EQ(url->str(), "https://example.com:8443/a/b?c=d");
}

TEST(TransportUrl, DefaultsPortsAndPath) {
  EXPECT_EQ(parse_url("https://a.test")->str(), "https://a.test/");
  EXPECT_EQ(parse_url("http://a.test")->port, 80);
  EXPECT_EQ(parse_url("https://a.test:443/x")->authority(), "a.test");
  EXPECT_EQ(parse_url("https://a.test?q")->path_and_query, "/?q");
}

TEST(TransportUrl, Ipv6Literals) {
  const auto url = parse_url("https://[::1]:9000/x");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "[::1]");
  EXPECT_EQ(url->bare_host(), "::1");
  EXPECT_EQ(url->origin(), "https://[::1]:9000");
}

TEST(TransportUrl, RejectsWhatItCannotServe) {
  std::string why;
  for (const char* bad :
       {"ftp://a/", "a.test/x", "https://", "https://a.test:0/", "https://a.test:70000/",
        "https://user@a.test/", "https://[::1/", "https://a b/", "https://a.test/x y"}) {
    why.clear();
    EXPECT_FALSE(parse_url(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(TransportUrl, RemovesDotSegments) {
  EXPECT_EQ(remove_dot_segments("/a/b/c/./../../g"), "/a/g");
  EXPECT_EQ(remove_dot_segments("/../x"), "/x");
  EXPECT_EQ(remove_dot_segments("/a/.."), "/");
  EXPECT_EQ(parse_url("https://a.test/a/../b/./c")->path_and_query, "/b/c");
}

// RFC 3986 section 5.4.1 examples that apply to http(s).
TEST(TransportUrl, ResolvesReferences) {
  const auto base = *parse_url("http://a/b/c/d;p?q");
  const std::pair<const char*, const char*> cases[] = {
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g/"},
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q"},
      {"..", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../g", "http://a/g"},
      {"https://b:8/x", "https://b:8/x"},
      {"", "http://a/b/c/d;p?q"},
  };
  for (const auto& [ref, want] : cases) {
    const auto got = resolve_url(base, ref);
    ASSERT_TRUE(got) << ref;
    EXPECT_EQ(got->str(), want) << ref;
  }
  EXPECT_FALSE(resolve_url(base, "mailto:x@y"));
}

}  // namespace
}  // namespace faultline::transport::detail
