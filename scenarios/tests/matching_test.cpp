// find_route(), expand() and resolve().
#include "faultline/scenarios/loader.h"

#include <gtest/gtest.h>

namespace faultline::scenarios {
namespace {

Scenario routes_scenario() {
  return parse_scenario(R"({"name":"m",
    "listeners": [{"name":"main"},{"name":"plain","tls":false}],
    "routes": [
      {"match":{"method":"GET","path":"/only-get"},"respond":{"status":201}},
      {"match":{"path":"/only-plain","listener":"plain"},"respond":{"status":202}},
      {"match":{"path":"/bytes/{n}"},"respond":{"status":203}},
      {"match":{"path":"/two/{a}/{b}"},"respond":{"status":204}},
      {"match":{"path":"/files/*"},"respond":{"status":205}},
      {"match":{"path":"/first"},"respond":{"status":206}},
      {"match":{"path":"/first"},"respond":{"status":207}},
      {"match":{"path":"/slash/"},"respond":{"status":208}}
    ]})");
}

/** The status of the route that answers, or 0 when none does. */
int status_for(const Scenario& s, std::string_view listener, std::string_view method,
               std::string_view path, Captures* out = nullptr) {
  Captures captures{{"stale", "x"}};
  const Route* route = find_route(s, listener, method, path, captures);
  if (out != nullptr) {
    *out = captures;
  }
  return route != nullptr ? route->respond.status : 0;
}

TEST(ScenarioMatch, MethodIsComparedExactly) {
  const Scenario s = routes_scenario();
  EXPECT_EQ(status_for(s, "main", "GET", "/only-get"), 201);
  EXPECT_EQ(status_for(s, "main", "POST", "/only-get"), 0);
  EXPECT_EQ(status_for(s, "main", "get", "/only-get"), 0);
  // A route without a method takes any.
  EXPECT_EQ(status_for(s, "main", "DELETE", "/first"), 206);
}

TEST(ScenarioMatch, ListenerFilter) {
  const Scenario s = routes_scenario();
  EXPECT_EQ(status_for(s, "plain", "GET", "/only-plain"), 202);
  EXPECT_EQ(status_for(s, "main", "GET", "/only-plain"), 0);
}

TEST(ScenarioMatch, CapturesOneNonEmptySegment) {
  const Scenario s = routes_scenario();
  Captures captures;
  EXPECT_EQ(status_for(s, "main", "GET", "/bytes/42", &captures), 203);
  EXPECT_EQ(captures, (Captures{{"n", "42"}}));
  EXPECT_EQ(status_for(s, "main", "GET", "/bytes/", &captures), 0);
  EXPECT_TRUE(captures.empty()) << "no stale captures after a miss";
  EXPECT_EQ(status_for(s, "main", "GET", "/bytes", &captures), 0);
  EXPECT_EQ(status_for(s, "main", "GET", "/bytes/1/2", &captures), 0);
  EXPECT_EQ(status_for(s, "main", "GET", "/two/x/y", &captures), 204);
  EXPECT_EQ(captures, (Captures{{"a", "x"}, {"b", "y"}}));
}

TEST(ScenarioMatch, TrailingStarMatchesAnyRest) {
  const Scenario s = routes_scenario();
  EXPECT_EQ(status_for(s, "main", "GET", "/files/"), 205);
  EXPECT_EQ(status_for(s, "main", "GET", "/files/a"), 205);
  EXPECT_EQ(status_for(s, "main", "GET", "/files/a/b/c"), 205);
  EXPECT_EQ(status_for(s, "main", "GET", "/files"), 0);
  EXPECT_EQ(status_for(s, "main", "GET", "/filesx"), 0);
}

TEST(ScenarioMatch, CatchAllMatchesEverything) {
  const Scenario s =
      parse_scenario(R"({"name":"c","routes":[{"match":{"path":"/*"},"respond":{"status":404}}]})");
  EXPECT_EQ(status_for(s, "main", "GET", "/"), 404);
  EXPECT_EQ(status_for(s, "main", "GET", "/a/b"), 404);
  EXPECT_EQ(status_for(s, "main", "GET", "/?q=1"), 404);
}

TEST(ScenarioMatch, FirstMatchWins) {
  const Scenario s = routes_scenario();
  EXPECT_EQ(status_for(s, "main", "GET", "/first"), 206);
}

TEST(ScenarioMatch, QueryAndFragmentIgnored) {
  const Scenario s = routes_scenario();
  Captures captures;
  EXPECT_EQ(status_for(s, "main", "GET", "/bytes/7?x=1&y=/2", &captures), 203);
  EXPECT_EQ(captures, (Captures{{"n", "7"}}));
  EXPECT_EQ(status_for(s, "main", "GET", "/first#frag"), 206);
  EXPECT_EQ(status_for(s, "main", "GET", "/first?"), 206);
}

TEST(ScenarioMatch, TrailingSlashIsSignificant) {
  const Scenario s = routes_scenario();
  EXPECT_EQ(status_for(s, "main", "GET", "/slash/"), 208);
  EXPECT_EQ(status_for(s, "main", "GET", "/slash"), 0);
  EXPECT_EQ(status_for(s, "main", "GET", "/first/"), 0);
}

// match.attempt: the first attempts take one route, later ones fall through; it
// survives to_json and back.
TEST(ScenarioMatch, AttemptSelectsTheRoute) {
  const Scenario s = parse_scenario(R"({"name":"a",
    "routes": [
      {"match":{"path":"/m","attempt":{"first":2}},"respond":{"status":421}},
      {"match":{"path":"/m","attempt":[4]},"respond":{"status":503}},
      {"match":{"path":"/m"},"respond":{"status":200}}]})");
  EXPECT_TRUE(routes_match_attempts(s));
  Captures captures;
  const int want[] = {421, 421, 200, 503, 200};
  for (std::uint32_t attempt = 1; attempt <= 5; ++attempt) {
    const Route* route = find_route(s, "main", "GET", "/m", captures, attempt);
    ASSERT_NE(route, nullptr);
    EXPECT_EQ(route->respond.status, want[attempt - 1]) << "attempt " << attempt;
  }
  const std::string text = to_json(s);
  EXPECT_NE(text.find("\"attempt\""), std::string::npos) << text;
  EXPECT_EQ(to_json(parse_scenario(text)), text);
  EXPECT_FALSE(routes_match_attempts(routes_scenario()));
}

TEST(ScenarioMatch, NoRouteGivesNull) {
  const Scenario s = routes_scenario();
  EXPECT_EQ(status_for(s, "main", "GET", "/nothing"), 0);
  EXPECT_EQ(status_for(s, "main", "GET", ""), 0);
  EXPECT_EQ(status_for(s, "main", "GET", "*"), 0);
}

TEST(ScenarioExpand, CapturesAndArithmetic) {
  const Captures c{{"n", "10"}, {"k", "0"}, {"name", "abc"}, {"i", "3"}};
  EXPECT_EQ(expand("/r/{n}", c), "/r/10");
  EXPECT_EQ(expand("/r/{n-1}", c), "/r/9");
  EXPECT_EQ(expand("/r/{n+2}", c), "/r/12");
  EXPECT_EQ(expand("{k-1}", c), "-1");
  EXPECT_EQ(expand("{name}-{i}", c), "abc-3");
  EXPECT_EQ(expand("{n}{n}", c), "1010");
  EXPECT_EQ(expand("", c), "");
  EXPECT_EQ(expand("no refs", c), "no refs");
}

TEST(ScenarioExpand, UnknownAndNonNumericLeftAsIs) {
  const Captures c{{"name", "abc"}, {"n", "5"}};
  EXPECT_EQ(expand("/r/{missing}", c), "/r/{missing}");
  EXPECT_EQ(expand("{name-1}", c), "{name-1}");
  EXPECT_EQ(expand("{name+1}/{n}", c), "{name+1}/5");
  // Braces that are not references are text.
  EXPECT_EQ(expand(R"({"a":{n}})", c), R"({"a":5})");
  EXPECT_EQ(expand("{", c), "{");
  EXPECT_EQ(expand("{}", c), "{}");
  EXPECT_EQ(expand("{1}", c), "{1}");
  EXPECT_EQ(expand("{n-}", c), "{n-}");
  EXPECT_EQ(expand("{n*2}", c), "{n*2}");
  EXPECT_EQ(expand("{{n}}", c), "{5}");
}

TEST(ScenarioResolve, LiteralsAndCaptures) {
  const Captures c{{"n", "100"},
                   {"z", "0"},
                   {"word", "abc"},
                   {"max", "18446744073709551615"},
                   {"huge", "18446744073709551616"}};
  EXPECT_EQ(resolve(NumberExpr{7, "", 0}, c), 7u);
  EXPECT_EQ(resolve(NumberExpr{0, "n", 0}, c), 100u);
  EXPECT_EQ(resolve(NumberExpr{0, "n", -1}, c), 99u);
  EXPECT_EQ(resolve(NumberExpr{0, "n", 5}, c), 105u);
  EXPECT_EQ(resolve(NumberExpr{0, "n", -100}, c), 0u);
  EXPECT_EQ(resolve(NumberExpr{0, "n", -101}, c), std::nullopt);
  EXPECT_EQ(resolve(NumberExpr{0, "z", -1}, c), std::nullopt);
  EXPECT_EQ(resolve(NumberExpr{0, "missing", 0}, c), std::nullopt);
  EXPECT_EQ(resolve(NumberExpr{0, "word", 0}, c), std::nullopt);
  EXPECT_EQ(resolve(NumberExpr{0, "max", 0}, c), UINT64_MAX);
  EXPECT_EQ(resolve(NumberExpr{0, "max", 1}, c), std::nullopt);
  EXPECT_EQ(resolve(NumberExpr{0, "huge", 0}, c), std::nullopt);
  EXPECT_EQ(resolve(NumberExpr{0, "n", INT64_MIN}, c), std::nullopt);
}

TEST(ScenarioResolve, FromParsedRoute) {
  const Scenario s = parse_scenario(R"({"name":"b","routes":[
      {"match":{"path":"/bytes/{n}"},"respond":{"body":{"random_bytes":"{n-1}","seed":7}}}]})");
  Captures captures;
  const Route* route = find_route(s, "main", "GET", "/bytes/1024", captures);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(resolve(std::get<RandomBody>(route->respond.body).size, captures), 1023u);
  ASSERT_NE(find_route(s, "main", "GET", "/bytes/lots", captures), nullptr);
  EXPECT_EQ(resolve(std::get<RandomBody>(route->respond.body).size, captures), std::nullopt);
}

}  // namespace
}  // namespace faultline::scenarios
