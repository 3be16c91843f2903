// Who may call the admin API, decided on a request's head (no sockets).
#include "detail/admin_access.h"

#include <gtest/gtest.h>

namespace faultline::fake_server::detail {
namespace {

/** A request as curl sends it to a loopback admin API. */
AdminRequestFacts plain_get(std::string_view host = "127.0.0.1:4000") {
  AdminRequestFacts facts;
  facts.method = "GET";
  facts.host = host;
  return facts;
}

int status_of(const AdminAccessPolicy& policy, const AdminRequestFacts& facts) {
  const auto refused = check_admin_access(policy, facts);
  return refused ? refused->status : 0;
}

const AdminAccessPolicy kLoopback{"", "127.0.0.1"};
const AdminAccessPolicy kWithToken{"s3cret", "127.0.0.1"};

TEST(AdminAccess, LoopbackHostsAndTheBoundAddressAreAllowed) {
  for (const char* host : {"127.0.0.1:4000", "127.0.0.1", "localhost:4000", "LOCALHOST",
                           "[::1]:4000", "127.1.2.3:9"}) {
    EXPECT_EQ(status_of(kLoopback, plain_get(host)), 0) << host;
  }
  const AdminAccessPolicy bound{"t", "10.1.2.3"};
  AdminRequestFacts facts = plain_get("10.1.2.3:4000");
  facts.authorization = "Bearer t";
  EXPECT_EQ(status_of(bound, facts), 0);
}

// A page that rebinds its own name to 127.0.0.1 still sends its name as Host.
TEST(AdminAccess, OtherHostNamesAreRefused) {
  EXPECT_EQ(status_of(kLoopback, plain_get("evil.example:4000")), 403);
  EXPECT_EQ(status_of(kLoopback, plain_get("localhost.evil.example")), 403);
  EXPECT_EQ(status_of(kLoopback, plain_get("10.0.0.1:4000")), 403);
  AdminRequestFacts no_host = plain_get();
  no_host.host.reset();
  EXPECT_EQ(status_of(kLoopback, no_host), 400);
  EXPECT_EQ(status_of(kLoopback, plain_get("::1")), 400);  // IPv6 without brackets
  EXPECT_EQ(status_of(kLoopback, plain_get("[::1")), 400);
}

// Bound to every address (with a token): IP literals are how clients reach it; names
// stay refused.
TEST(AdminAccess, AnUnspecifiedBindAcceptsAddressesButNoNames) {
  const AdminAccessPolicy any{"t", "0.0.0.0"};
  AdminRequestFacts facts = plain_get("192.0.2.7:4000");
  facts.authorization = "Bearer t";
  EXPECT_EQ(status_of(any, facts), 0);
  facts.host = "attacker.example:4000";
  EXPECT_EQ(status_of(any, facts), 403);
}

TEST(AdminAccess, CrossOriginBrowserRequestsAreRefused) {
  AdminRequestFacts post = plain_get();
  post.method = "POST";
  post.origin = "http://evil.example";
  EXPECT_EQ(status_of(kLoopback, post), 403);
  post.origin = "null";
  EXPECT_EQ(status_of(kLoopback, post), 403);
  post.origin = "http://127.0.0.1:4000";  // the admin API's own origin
  EXPECT_EQ(status_of(kLoopback, post), 0);
  AdminRequestFacts fetch = plain_get();
  fetch.sec_fetch_site = "cross-site";
  EXPECT_EQ(status_of(kLoopback, fetch), 403);
  fetch.sec_fetch_site = "same-site";
  EXPECT_EQ(status_of(kLoopback, fetch), 403);
  fetch.sec_fetch_site = "same-origin";
  EXPECT_EQ(status_of(kLoopback, fetch), 0);
  fetch.sec_fetch_site = "none";  // typed into the address bar
  EXPECT_EQ(status_of(kLoopback, fetch), 0);
}

// A page may POST text/plain or form bodies without a preflight: no such body is acted on.
TEST(AdminAccess, BodiesMustBeDeclaredJson) {
  AdminRequestFacts post = plain_get();
  post.method = "POST";
  post.body_bytes = 12;
  EXPECT_EQ(status_of(kLoopback, post), 415);
  post.content_type = "text/plain";
  EXPECT_EQ(status_of(kLoopback, post), 415);
  post.content_type = "application/x-www-form-urlencoded";
  EXPECT_EQ(status_of(kLoopback, post), 415);
  post.content_type = "Application/JSON; charset=utf-8";
  EXPECT_EQ(status_of(kLoopback, post), 0);
  post.body_bytes = 0;  // no body: nothing to declare (a reset, a release of all)
  post.content_type = "application/x-www-form-urlencoded";
  EXPECT_EQ(status_of(kLoopback, post), 0);
}

TEST(AdminAccess, WithATokenEveryCallNeedsTheBearerToken) {
  AdminRequestFacts facts = plain_get();
  EXPECT_EQ(status_of(kWithToken, facts), 401);
  facts.authorization = "Bearer wrong";
  EXPECT_EQ(status_of(kWithToken, facts), 401);
  facts.authorization = "Bearer s3cre";  // a prefix is not the token
  EXPECT_EQ(status_of(kWithToken, facts), 401);
  facts.authorization = "Basic s3cret";
  EXPECT_EQ(status_of(kWithToken, facts), 401);
  facts.authorization = "Bearer ";
  EXPECT_EQ(status_of(kWithToken, facts), 401);
  facts.authorization = "Bearer s3cret";
  EXPECT_EQ(status_of(kWithToken, facts), 0);
  facts.authorization = "bearer s3cret";  // the scheme is case-insensitive (RFC 9110 11.1)
  EXPECT_EQ(status_of(kWithToken, facts), 0);
  const auto refused = check_admin_access(kWithToken, plain_get());
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->body.find("Authorization: Bearer"), std::string::npos) << refused->body;
  EXPECT_EQ(refused->body.find("s3cret"), std::string::npos) << "the token never leaks";
}

TEST(AdminAccess, LoopbackAddressesAndTokenComparison) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.255.0.1"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_TRUE(is_loopback_address("::ffff:127.0.0.1"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0"));
  EXPECT_FALSE(is_loopback_address("::"));
  EXPECT_FALSE(is_loopback_address("10.0.0.1"));
  EXPECT_FALSE(is_loopback_address("localhost"));  // names are not resolved
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

}  // namespace
}  // namespace faultline::fake_server::detail
