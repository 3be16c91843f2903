// parse_scenario(): what it accepts, and the exact JSON path of everything it rejects.
#include "faultline/scenarios/loader.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "rejection.h"

namespace faultline::scenarios {
namespace {

/** A document with one route on path `path` whose "respond" is `respond`. */
std::string with_respond(const std::string& respond, const std::string& path = "/r/{k}") {
  return R"({"name":"t","routes":[{"match":{"path":")" + path + R"("},"respond":)" + respond +
         "}]}";
}

/** A document with one route whose response body is `body`. */
std::string with_body(const std::string& body, const std::string& path = "/bytes/{n}") {
  return with_respond(R"({"body":)" + body + "}", path);
}

using testing::Rejection;

class Rejects : public ::testing::TestWithParam<Rejection> {};

TEST_P(Rejects, WithExactPath) {
  testing::expect_rejection(GetParam(),
                            [](const std::string& json) { return parse_scenario(json); });
}

const std::string kThreeRoutes = R"({"name":"t","routes":[{"match":{"path":"/a"},"respond":{}},)"
                                 R"({"match":{"path":"/b"},"respond":{}},)"
                                 R"({"match":{"path":"/c"},"respond":{"status":600}}]})";

// clang-format off
const Rejection kRejections[] = {
    // The document as a whole.
    {"malformed", R"({"name": "t",)", "$", "line 1"},
    {"malformed_multiline", "{\n  \"name\": \"t\"\n  \"x\": 1}", "$", "line 3"},
    {"trailing_garbage", R"({"name":"t"} x)", "$", "invalid JSON"},
    {"empty_text", "", "$", "invalid JSON"},
    {"not_an_object", "[]", "$", "must be an object"},
    {"missing_name", "{}", "$.name", "is required"},
    {"name_not_string", R"({"name":1})", "$.name", "must be a string"},
    {"name_empty", R"({"name":""})", "$.name", "must not be empty"},
    {"name_with_space", R"({"name":"a b"})", "$.name", "only letters"},
    {"unknown_top_field", R"({"name":"t","bogus":1})", "$.bogus", "unknown field"},
    {"duplicate_key", R"({"name":"t","name":"u"})", "$.name", "duplicate key"},
    {"duplicate_nested_key", with_respond(R"({"status":200,"status":201})"),
     "$.routes[0].respond.status", "duplicate key"},
    {"description_not_string", R"({"name":"t","description":[]})", "$.description", "string"},
    // Listeners.
    {"listeners_not_array", R"({"name":"t","listeners":{}})", "$.listeners", "array"},
    {"listeners_empty", R"({"name":"t","listeners":[]})", "$.listeners", "at least one"},
    {"listener_not_object", R"({"name":"t","listeners":["main"]})", "$.listeners[0]", "object"},
    {"listener_without_name", R"({"name":"t","listeners":[{"tls":true}]})",
     "$.listeners[0].name", "is required"},
    {"duplicate_listener", R"({"name":"t","listeners":[{"name":"a"},{"name":"a","tls":false}]})",
     "$.listeners[1].name", "duplicate listener name"},
    {"bad_alpn", R"({"name":"t","listeners":[{"name":"a","alpn":"h3"}]})",
     "$.listeners[0].alpn", "unknown ALPN policy"},
    {"alpn_on_cleartext", R"({"name":"t","listeners":[{"name":"a","tls":false,"alpn":"h2+h1"}]})",
     "$.listeners[0].alpn", "only a TLS listener"},
    {"tls_not_bool", R"({"name":"t","listeners":[{"name":"a","tls":"yes"}]})",
     "$.listeners[0].tls", "true or false"},
    {"unknown_listener_field", R"({"name":"t","listeners":[{"name":"a","port":1}]})",
     "$.listeners[0].port", "unknown field"},
    // Settings.
    {"settings_not_object", R"({"name":"t","settings":[]})", "$.settings", "object"},
    {"mcs_too_big", R"({"name":"t","settings":{"max_concurrent_streams":2147483648}})",
     "$.settings.max_concurrent_streams", "0..2147483647"},
    {"mcs_float", R"({"name":"t","settings":{"max_concurrent_streams":10.5}})",
     "$.settings.max_concurrent_streams", "fraction"},
    {"mcs_exponent", R"({"name":"t","settings":{"max_concurrent_streams":1e2}})",
     "$.settings.max_concurrent_streams", "integer"},
    {"mcs_string", R"({"name":"t","settings":{"max_concurrent_streams":"10"}})",
     "$.settings.max_concurrent_streams", "integer"},
    {"window_too_big", R"({"name":"t","settings":{"initial_window_size":2147483648}})",
     "$.settings.initial_window_size", "0..2147483647"},
    {"frame_too_small", R"({"name":"t","settings":{"max_frame_size":16383}})",
     "$.settings.max_frame_size", "16384..16777215"},
    {"frame_too_big", R"({"name":"t","settings":{"max_frame_size":16777216}})",
     "$.settings.max_frame_size", "16384..16777215"},
    {"table_negative", R"({"name":"t","settings":{"header_table_size":-1}})",
     "$.settings.header_table_size", "not -1"},
    {"header_list_too_big", R"({"name":"t","settings":{"max_header_list_size":4294967296}})",
     "$.settings.max_header_list_size", "0..4294967295"},
    {"unknown_setting", R"({"name":"t","settings":{"enable_push":1}})",
     "$.settings.enable_push", "unknown field"},
    // Limits.
    {"body_limit_negative", R"({"name":"t","limits":{"max_request_body_bytes":-1}})",
     "$.limits.max_request_body_bytes", "integer"},
    {"header_limit_zero", R"({"name":"t","limits":{"max_header_bytes":0}})",
     "$.limits.max_header_bytes", "1..4294967295"},
    // Routes and matches.
    {"routes_not_array", R"({"name":"t","routes":{}})", "$.routes", "array"},
    {"route_without_match", R"({"name":"t","routes":[{"respond":{}}]})", "$.routes[0].match",
     "is required"},
    {"route_without_respond", R"({"name":"t","routes":[{"match":{"path":"/"}}]})",
     "$.routes[0].respond", "is required"},
    {"match_without_path", R"({"name":"t","routes":[{"match":{},"respond":{}}]})",
     "$.routes[0].match.path", "is required"},
    {"path_without_slash", with_respond("{}", "health"), "$.routes[0].match.path",
     "must start with"},
    {"pattern_open_brace", with_respond("{}", "/a/{"), "$.routes[0].match.path", "malformed"},
    {"pattern_empty_capture", with_respond("{}", "/a/{}"), "$.routes[0].match.path", "malformed"},
    {"pattern_bad_capture_name", with_respond("{}", "/a/{1x}"), "$.routes[0].match.path",
     "malformed"},
    {"pattern_partial_capture", with_respond("{}", "/a/x{y}"), "$.routes[0].match.path",
     "malformed"},
    {"pattern_star_not_last", with_respond("{}", "/a/*/b"), "$.routes[0].match.path",
     "malformed"},
    {"pattern_star_in_segment", with_respond("{}", "/a*"), "$.routes[0].match.path", "malformed"},
    {"pattern_duplicate_capture", with_respond("{}", "/a/{n}/{n}"), "$.routes[0].match.path",
     "twice"},
    {"pattern_query", with_respond("{}", "/a?b=1"), "$.routes[0].match.path", "malformed"},
    {"pattern_space", with_respond("{}", "/a b"), "$.routes[0].match.path", "malformed"},
    {"method_lower_case", R"({"name":"t","routes":[{"match":{"path":"/","method":"get"},"respond":{}}]})",
     "$.routes[0].match.method", "upper-case"},
    {"match_unknown_listener",
     R"({"name":"t","routes":[{"match":{"path":"/","listener":"nope"},"respond":{}}]})",
     "$.routes[0].match.listener", "unknown listener \"nope\" (listeners: main, plain)"},
    {"unknown_match_field", R"({"name":"t","routes":[{"match":{"path":"/","host":"x"},"respond":{}}]})",
     "$.routes[0].match.host", "unknown field"},
    // Status.
    {"status_in_third_route", kThreeRoutes, "$.routes[2].respond.status",
     "must be an integer in 100..599"},
    {"status_too_small", with_respond(R"({"status":99})"), "$.routes[0].respond.status", "100..599"},
    {"status_string", with_respond(R"({"status":"200"})"), "$.routes[0].respond.status", "integer"},
    {"status_float", with_respond(R"({"status":200.0})"), "$.routes[0].respond.status", "fraction"},
    {"unknown_respond_field", with_respond(R"({"bogus":1})"), "$.routes[0].respond.bogus",
     "unknown field"},
    // Redirects.
    {"redirect_without_to", with_respond(R"({"redirect":{"status":302}})"),
     "$.routes[0].respond.redirect.to", "is required"},
    {"redirect_status_300", with_respond(R"({"redirect":{"status":300,"to":"/"}})"),
     "$.routes[0].respond.redirect.status", "301, 302, 303, 307, 308"},
    {"redirect_status_200", with_respond(R"({"redirect":{"status":200,"to":"/"}})"),
     "$.routes[0].respond.redirect.status", "not 200"},
    {"redirect_unknown_listener", with_respond(R"({"redirect":{"to":"/","listener":"h1"}})"),
     "$.routes[0].respond.redirect.listener", "unknown listener"},
    {"redirect_with_status", with_respond(R"({"status":200,"redirect":{"to":"/"}})"),
     "$.routes[0].respond.status", "not allowed with redirect"},
    {"early_with_echo", with_respond(R"({"early":true,"body":{"echo":true}})"),
     "$.routes[0].respond.early", "not allowed with an echo body"},
    {"early_not_boolean", with_respond(R"({"early":1})"),
     "$.routes[0].respond.early", "must be true or false"},
    {"redirect_to_ftp", with_respond(R"({"redirect":{"to":"ftp://x/"}})"),
     "$.routes[0].respond.redirect.to", "must be a path"},
    {"redirect_url_with_listener",
     with_respond(R"({"redirect":{"to":"https://x/","listener":"main"}})"),
     "$.routes[0].respond.redirect.to", "with a listener"},
    {"redirect_unknown_capture", with_respond(R"({"redirect":{"to":"/r/{j-1}"}})"),
     "$.routes[0].respond.redirect.to", "unknown capture {j}"},
    {"redirect_to_empty", with_respond(R"({"redirect":{"to":""}})"),
     "$.routes[0].respond.redirect.to", "must be a path"},
    // Bodies.
    {"body_number", with_body("5"), "$.routes[0].respond.body", "string or an object"},
    {"body_empty_object", with_body("{}"), "$.routes[0].respond.body", "one of"},
    {"body_two_kinds", with_body(R"({"text":"a","echo":true})"), "$.routes[0].respond.body.echo",
     "already \"text\""},
    {"body_unknown_kind", with_body(R"({"json":{}})"), "$.routes[0].respond.body.json",
     "unknown field"},
    {"echo_false", with_body(R"({"echo":false})"), "$.routes[0].respond.body.echo", "must be true"},
    {"text_not_string", with_body(R"({"text":1})"), "$.routes[0].respond.body.text", "string"},
    {"bad_base64", with_body(R"({"base64":"abc"})"), "$.routes[0].respond.body.base64", "base64"},
    {"bad_base64_chars", with_body(R"({"base64":"ab!="})"), "$.routes[0].respond.body.base64",
     "base64"},
    {"random_negative", with_body(R"({"random_bytes":-1})"),
     "$.routes[0].respond.body.random_bytes", "integer"},
    {"random_float", with_body(R"({"random_bytes":1.5})"), "$.routes[0].respond.body.random_bytes",
     "fraction"},
    {"random_unknown_capture", with_body(R"({"random_bytes":"{m}"})"),
     "$.routes[0].respond.body.random_bytes", "unknown capture {m}"},
    {"random_no_captures", with_body(R"({"random_bytes":"{n}"})", "/bytes"),
     "$.routes[0].respond.body.random_bytes", "has no captures"},
    {"random_not_expression", with_body(R"({"random_bytes":"n"})"),
     "$.routes[0].respond.body.random_bytes", "capture expression"},
    {"random_bad_offset", with_body(R"({"random_bytes":"{n*2}"})"),
     "$.routes[0].respond.body.random_bytes", "capture expression"},
    {"seed_without_random", with_body(R"({"text":"a","seed":1})"),
     "$.routes[0].respond.body.seed", "only a random_bytes body"},
    {"seed_negative", with_body(R"({"random_bytes":1,"seed":-1})"),
     "$.routes[0].respond.body.seed", "integer"},
    {"sse_not_object", with_body(R"({"sse":5})"), "$.routes[0].respond.body.sse", "object"},
    {"sse_zero_events", with_body(R"({"sse":{"events":0}})"),
     "$.routes[0].respond.body.sse.events", "1..1000000"},
    {"sse_too_many_events", with_body(R"({"sse":{"events":1000001}})"),
     "$.routes[0].respond.body.sse.events", "1..1000000"},
    {"sse_negative_interval", with_body(R"({"sse":{"interval_ms":-5}})"),
     "$.routes[0].respond.body.sse.interval_ms", "integer"},
    {"sse_split_zero", with_body(R"({"sse":{"split":[1,0]}})"),
     "$.routes[0].respond.body.sse.split[1]", "1..16777216"},
    {"sse_split_not_array", with_body(R"({"sse":{"split":"1"}})"),
     "$.routes[0].respond.body.sse.split", "array"},
    {"sse_data_unknown_name", with_body(R"({"sse":{"data":"{x}"}})"),
     "$.routes[0].respond.body.sse.data", "unknown capture {x}"},
    {"sse_event_newline", with_body(R"({"sse":{"event":"a\nb"}})"),
     "$.routes[0].respond.body.sse.event", "CR, LF"},
    {"sse_unknown_field", with_body(R"({"sse":{"retry":1}})"),
     "$.routes[0].respond.body.sse.retry", "unknown field"},
    // Hold, delays, chunks.
    {"hold_empty", with_respond(R"({"hold":""})"), "$.routes[0].respond.hold", "must not be empty"},
    {"hold_not_string", with_respond(R"({"hold":1})"), "$.routes[0].respond.hold", "string"},
    {"hold_with_slash", with_respond(R"({"hold":"a/b"})"), "$.routes[0].respond.hold",
     "only letters"},
    {"delay_negative", with_respond(R"({"delay_ms":-1})"), "$.routes[0].respond.delay_ms",
     "integer"},
    {"delay_too_long", with_respond(R"({"delay_ms":3600001})"), "$.routes[0].respond.delay_ms",
     "0..3600000"},
    {"chunk_zero", with_respond(R"({"chunk_bytes":0})"), "$.routes[0].respond.chunk_bytes",
     "1..16777216"},
    {"chunk_delay_float", with_respond(R"({"chunk_delay_ms":1.5})"),
     "$.routes[0].respond.chunk_delay_ms", "fraction"},
    // Headers and trailers.
    {"headers_not_object", with_respond(R"({"headers":[]})"), "$.routes[0].respond.headers",
     "object of strings"},
    {"header_value_number", with_respond(R"({"headers":{"content-type":1}})"),
     R"($.routes[0].respond.headers["content-type"])", "must be a string"},
    {"header_connection", with_respond(R"({"headers":{"Connection":"close"}})"),
     "$.routes[0].respond.headers.Connection", "connection-specific"},
    {"header_bad_name", with_respond(R"({"headers":{"a b":"x"}})"),
     R"($.routes[0].respond.headers["a b"])", "not a valid header name"},
    {"header_pseudo", with_respond(R"({"headers":{":status":"200"}})"),
     R"($.routes[0].respond.headers[":status"])", "not a valid header name"},
    {"header_crlf", with_respond(R"({"headers":{"x":"a\r\nb: c"}})"),
     "$.routes[0].respond.headers.x", "CR, LF"},
    {"header_case_duplicate", with_respond(R"({"headers":{"X-A":"1","x-a":"2"}})"),
     R"($.routes[0].respond.headers["x-a"])", "duplicate header"},
    {"header_unknown_capture", with_respond(R"({"headers":{"x":"{zz}"}})"),
     "$.routes[0].respond.headers.x", "unknown capture {zz}"},
    {"trailer_content_length", with_respond(R"({"trailers":{"content-length":"1"}})"),
     R"($.routes[0].respond.trailers["content-length"])", "not allowed in trailers"},
    // Interim heads.
    {"informational_101", with_respond(R"({"informational":[{"status":101}]})"),
     "$.routes[0].respond.informational[0].status", "101"},
    {"informational_final", with_respond(R"({"informational":[{"status":200}]})"),
     "$.routes[0].respond.informational[0].status", "199"},
    {"informational_no_status", with_respond(R"({"informational":[{"headers":{}}]})"),
     "$.routes[0].respond.informational[0].status", "required"},
    {"informational_not_array", with_respond(R"({"informational":{"status":103}})"),
     "$.routes[0].respond.informational", "array"},
    {"informational_connection", with_respond(R"({"informational":[{"status":103,"headers":{"connection":"x"}}]})"),
     "$.routes[0].respond.informational[0].headers.connection", "connection-specific"},
    // Large header blocks.
    {"header_block_no_bytes", with_respond(R"({"header_block":{"frame_bytes":1024}})"),
     "$.routes[0].respond.header_block.bytes", "required"},
    {"header_block_tiny", with_respond(R"({"header_block":{"bytes":10}})"),
     "$.routes[0].respond.header_block.bytes", "64..8388608"},
    {"header_block_frame_too_big", with_respond(R"({"header_block":{"bytes":1024,"frame_bytes":16385}})"),
     "$.routes[0].respond.header_block.frame_bytes", "1..16384"},
    {"header_block_updates_empty", with_respond(R"({"header_block":{"bytes":1024,"table_size_update":[]}})"),
     "$.routes[0].respond.header_block.table_size_update", "1 to 4"},
    {"header_block_unknown", with_respond(R"({"header_block":{"bytes":1024,"frames":2}})"),
     "$.routes[0].respond.header_block.frames", "unknown field"},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Scenario, Rejects, ::testing::ValuesIn(kRejections),
                         [](const auto& info) { return info.param.label; });

TEST(ScenarioParse, MinimalDocumentGetsDefaults) {
  const Scenario s = parse_scenario(R"({"name":"m"})");
  EXPECT_EQ(s.name, "m");
  EXPECT_EQ(s.description, "");
  ASSERT_EQ(s.listeners.size(), 2u);
  EXPECT_EQ(s.listeners[0].name, "main");
  EXPECT_TRUE(s.listeners[0].tls);
  EXPECT_EQ(s.listeners[0].alpn, AlpnPolicy::h2_h1);
  EXPECT_EQ(s.listeners[1].name, "plain");
  EXPECT_FALSE(s.listeners[1].tls);
  EXPECT_FALSE(s.settings.max_concurrent_streams.has_value());
  EXPECT_EQ(s.settings.initial_window_size, 65535u);
  EXPECT_EQ(s.settings.max_frame_size, 16384u);
  EXPECT_EQ(s.limits.max_request_body_bytes, 64ull << 20);
  EXPECT_EQ(s.limits.max_header_bytes, 64u << 10);
  EXPECT_TRUE(s.routes.empty());
}

TEST(ScenarioParse, EmptyRespondIs200WithNoBody) {
  const Scenario s = parse_scenario(with_respond("{}", "/"));
  ASSERT_EQ(s.routes.size(), 1u);
  const Response& r = s.routes[0].respond;
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(r.body));
  EXPECT_FALSE(r.redirect || r.hold);
  EXPECT_EQ(r.chunk_bytes, 16384u);
  EXPECT_EQ(r.delay_ms, 0u);
  EXPECT_TRUE(r.informational.empty());
  EXPECT_TRUE(r.expect_continue);
  EXPECT_FALSE(r.early);
}

TEST(ScenarioParse, EarlyAnswerIsReadAndWrittenBack) {
  const Scenario s = parse_scenario(with_respond(R"({"status":413,"early":true})", "/"));
  EXPECT_TRUE(s.routes[0].respond.early);
  EXPECT_EQ(s.routes[0].respond.status, 413);
  EXPECT_EQ(to_json(parse_scenario(to_json(s))), to_json(s));
}

TEST(ScenarioParse, InformationalHeadsAndExpectContinueAreRead) {
  const Scenario s = parse_scenario(with_respond(
      R"({"informational":[{"status":100},{"status":103,"headers":{"Link":"</a.css>"}}],)"
      R"("expect_continue":false})",
      "/"));
  const Response& r = s.routes[0].respond;
  ASSERT_EQ(r.informational.size(), 2u);
  EXPECT_EQ(r.informational[0].status, 100);
  EXPECT_TRUE(r.informational[0].headers.empty());
  EXPECT_EQ(r.informational[1].status, 103);
  EXPECT_EQ(r.informational[1].headers, (std::vector<Header>{{"link", "</a.css>"}}));
  EXPECT_FALSE(r.expect_continue);
  // to_json writes them back, and they load again unchanged.
  EXPECT_EQ(to_json(parse_scenario(to_json(s))), to_json(s));
}

TEST(ScenarioParse, HeaderBlockIsReadAndWrittenBack) {
  const Scenario s = parse_scenario(R"({"name":"b","routes":[{"match":{"path":"/b"},
    "respond":{"header_block":{"bytes":65536,"frame_bytes":1024,"table_size_update":[0,4096]}}}]})");
  const auto& block = s.routes.at(0).respond.header_block;
  ASSERT_TRUE(block.has_value());
  EXPECT_EQ(block->bytes, 65536u);
  EXPECT_EQ(block->frame_bytes, 1024u);
  EXPECT_EQ(block->table_size_updates, (std::vector<std::uint32_t>{0, 4096}));
  EXPECT_TRUE(routes_update_table_size(s));
  EXPECT_EQ(header_fill_fields(65536), 64u);
  EXPECT_EQ(header_fill_fields(100), 1u);
  EXPECT_EQ(to_json(parse_scenario(to_json(s))), to_json(s));
}

TEST(ScenarioParse, EveryFieldIsRead) {
  const Scenario s = parse_scenario(R"({
    "name": "full", "description": "all of it",
    "listeners": [{"name": "a", "tls": true, "alpn": "h1-strict"}, {"name": "b", "tls": false},
                  {"name": "c", "alpn": "none"}, {"name": "d", "alpn": "h2-only"},
                  {"name": "e", "alpn": "h1-only"}],
    "settings": {"max_concurrent_streams": 0, "initial_window_size": 2147483647,
                 "max_frame_size": 16777215, "header_table_size": 0,
                 "max_header_list_size": 4294967295},
    "limits": {"max_request_body_bytes": 18446744073709551615, "max_header_bytes": 1},
    "routes": [
      {"match": {"method": "POST", "path": "/u/{id}/*", "listener": "b"},
       "respond": {"status": 201, "headers": {"Z-Last": "z", "a-first": "{id}"},
                   "body": {"base64": "AAEC/w=="}, "hold": "gate-1", "delay_ms": 5,
                   "chunk_bytes": 3, "chunk_delay_ms": 7, "trailers": {"x-sum": "{id}"}}},
      {"match": {"path": "/r/{k}"},
       "respond": {"redirect": {"status": 308, "to": "/r/{k-1}", "listener": "e"},
                   "body": {"random_bytes": "{k+2}", "seed": 9}}},
      {"match": {"path": "/s/{n}"},
       "respond": {"body": {"sse": {"events": 3, "interval_ms": 10, "event": "tick",
                                    "data": "{n}:{i}", "split": [1, 2]}}}},
      {"match": {"path": "/t"}, "respond": {"body": {"text": "plain"}}},
      {"match": {"path": "/e"}, "respond": {"body": {"echo": true}}},
      {"match": {"path": "/n"}, "respond": {"body": {"random_bytes": 12}}}
    ]})");
  EXPECT_EQ(s.description, "all of it");
  ASSERT_EQ(s.listeners.size(), 5u);
  EXPECT_EQ(s.listeners[0].alpn, AlpnPolicy::h1_strict);
  EXPECT_EQ(s.listeners[2].alpn, AlpnPolicy::none);
  EXPECT_EQ(s.listeners[3].alpn, AlpnPolicy::h2_only);
  EXPECT_EQ(s.listeners[4].alpn, AlpnPolicy::h1_only);
  EXPECT_EQ(s.settings.max_concurrent_streams, 0u);
  EXPECT_EQ(s.settings.initial_window_size, 2147483647u);
  EXPECT_EQ(s.settings.max_frame_size, 16777215u);
  EXPECT_EQ(s.settings.header_table_size, 0u);
  EXPECT_EQ(s.settings.max_header_list_size, 4294967295u);
  EXPECT_EQ(s.limits.max_request_body_bytes, UINT64_MAX);
  EXPECT_EQ(s.limits.max_header_bytes, 1u);
  ASSERT_EQ(s.routes.size(), 6u);

  const Route& r0 = s.routes[0];
  EXPECT_EQ(r0.match.method, "POST");
  EXPECT_EQ(r0.match.path, "/u/{id}/*");
  EXPECT_EQ(r0.match.listener, "b");
  EXPECT_EQ(r0.respond.status, 201);
  // Header order is the document's; names are lower-cased.
  const std::vector<Header> headers{{"z-last", "z"}, {"a-first", "{id}"}};
  EXPECT_EQ(r0.respond.headers, headers);
  EXPECT_EQ(std::get<FixedBody>(r0.respond.body).data, std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(r0.respond.hold, "gate-1");
  EXPECT_EQ(r0.respond.delay_ms, 5u);
  EXPECT_EQ(r0.respond.chunk_bytes, 3u);
  EXPECT_EQ(r0.respond.chunk_delay_ms, 7u);
  EXPECT_EQ(r0.respond.trailers, (std::vector<Header>{{"x-sum", "{id}"}}));

  const Response& r1 = s.routes[1].respond;
  ASSERT_TRUE(r1.redirect);
  EXPECT_EQ(r1.status, 308);
  EXPECT_EQ(r1.redirect->status, 308);
  EXPECT_EQ(r1.redirect->to, "/r/{k-1}");
  EXPECT_EQ(r1.redirect->listener, "e");
  const auto& random = std::get<RandomBody>(r1.body);
  EXPECT_EQ(random.size.capture, "k");
  EXPECT_EQ(random.size.offset, 2);
  EXPECT_EQ(random.seed, 9u);

  const auto& sse = std::get<SseBody>(s.routes[2].respond.body);
  EXPECT_EQ(sse.events, 3u);
  EXPECT_EQ(sse.interval_ms, 10u);
  EXPECT_EQ(sse.event, "tick");
  EXPECT_EQ(sse.data, "{n}:{i}");
  EXPECT_EQ(sse.split, (std::vector<std::uint32_t>{1, 2}));

  EXPECT_EQ(std::get<FixedBody>(s.routes[3].respond.body).data, "plain");
  EXPECT_TRUE(std::holds_alternative<EchoBody>(s.routes[4].respond.body));
  const auto& literal = std::get<RandomBody>(s.routes[5].respond.body);
  EXPECT_TRUE(literal.size.capture.empty());
  EXPECT_EQ(literal.size.literal, 12u);
  EXPECT_EQ(literal.seed, 0u);
}

TEST(ScenarioParse, RedirectDefaultsTo302) {
  const Scenario s = parse_scenario(with_respond(R"({"redirect":{"to":"https://example.com/"}})"));
  EXPECT_EQ(s.routes[0].respond.status, 302);
  EXPECT_EQ(s.routes[0].respond.redirect->status, 302);
  EXPECT_FALSE(s.routes[0].respond.redirect->listener);
}

TEST(ScenarioParse, StringBodyIsFixedText) {
  const Scenario s = parse_scenario(with_body(R"("hello")"));
  EXPECT_EQ(std::get<FixedBody>(s.routes[0].respond.body).data, "hello");
}

TEST(ScenarioParse, ToJsonRoundTrips) {
  const std::string text = R"({
    "name": "rt", "description": "d",
    "listeners": [{"name": "a", "alpn": "h2-only"}, {"name": "b", "tls": false}],
    "settings": {"max_concurrent_streams": 10, "header_table_size": 0},
    "limits": {"max_request_body_bytes": 5},
    "routes": [
      {"match": {"method": "GET", "path": "/x/{n}", "listener": "a"},
       "respond": {"status": 203, "headers": {"b": "1", "a": "{n}"}, "body": {"base64": "/w=="},
                   "hold": "g", "trailers": {"t": "v"}}},
      {"match": {"path": "/r/{k}"}, "respond": {"redirect": {"status": 303, "to": "/r/{k-1}",
                                                             "listener": "b"}}},
      {"match": {"path": "/b/{n}"}, "respond": {"body": {"random_bytes": "{n+1}", "seed": 3}}},
      {"match": {"path": "/s"}, "respond": {"body": {"sse": {"events": 2, "split": [4]}}}},
      {"match": {"path": "/e"}, "respond": {"body": {"echo": true}}},
      {"match": {"path": "/t"}, "respond": {"body": "text"}}
    ]})";
  const Scenario first = parse_scenario(text);
  const std::string json = to_json(first);
  const Scenario second = parse_scenario(json);
  EXPECT_EQ(to_json(second), json);
  // A few values survive the trip, not just the text.
  EXPECT_EQ(std::get<FixedBody>(second.routes[0].respond.body).data, "\xff");
  EXPECT_EQ(second.routes[0].respond.headers[0].first, "b");
  EXPECT_EQ(std::get<RandomBody>(second.routes[2].respond.body).size.offset, 1);
  EXPECT_EQ(second.routes[1].respond.redirect->listener, "b");
  EXPECT_EQ(second.settings.max_concurrent_streams, 10u);
  EXPECT_EQ(second.listeners[0].alpn, AlpnPolicy::h2_only);
}

TEST(ScenarioParse, ErrorCarriesPathAndProblem) {
  const ScenarioError error("$.routes[2].respond.status", "must be an integer in 100..599");
  EXPECT_EQ(error.path(), "$.routes[2].respond.status");
  EXPECT_STREQ(error.what(), "$.routes[2].respond.status: must be an integer in 100..599");
}

/** `depth` arrays nested inside one another ("[[[]]]" for 3). */
std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

/** "[0]" repeated n times: the JSON path n arrays down. */
std::string first_elements(std::size_t n) {
  std::string path;
  for (std::size_t i = 0; i < n; ++i)
    path += "[0]";
  return path;
}

// A document nested 30,000 deep (60 KB) used to take gigabytes (every parser frame held
// a copy of the whole path). It is refused at the 65th level, at that level's path.
TEST(ScenarioParse, NestingDeeperThanTheLimitIsRefusedAtItsPath) {
  const std::string deep = R"({"name":"t","routes":)" + nested_arrays(30000) + "}";
  // The document is level 1, routes level 2, so the 65th level is 63 arrays into routes.
  const std::string path = "$.routes" + first_elements(63);
  testing::expect_rejection({"deep_arrays", deep, path, "nested deeper than 64 levels"},
                            [](const std::string& json) { return parse_scenario(json); });
  const std::string deep_objects = [] {
    std::string text = R"({"name":"t","x":)";
    for (int i = 0; i < 100; ++i)
      text += R"({"a":)";
    return text + "1" + std::string(101, '}');
  }();
  std::string object_path = "$.x";
  for (int i = 0; i < 63; ++i)
    object_path += ".a";
  testing::expect_rejection({"deep_objects", deep_objects, object_path, "nested deeper than 64"},
                            [](const std::string& json) { return parse_scenario(json); });
}

// 64 levels are allowed: the same document one level shallower fails on its content.
TEST(ScenarioParse, NestingUpToTheLimitIsParsed) {
  const std::string at_limit = R"({"name":"t","routes":)" + nested_arrays(63) + "}";
  testing::expect_rejection({"at_limit", at_limit, "$.routes[0]", "must be an object"},
                            [](const std::string& json) { return parse_scenario(json); });
}

// Admin actions (POST /v1/actions) go through the same parser.
TEST(ScenarioParse, ActionsAreBoundByTheSameNestingLimit) {
  const std::string deep = R"({"goaway":)" + nested_arrays(1000) + "}";
  testing::expect_rejection(
      {"deep_action", deep, "$.goaway" + first_elements(63), "nested deeper than 64"},
      [](const std::string& json) { return parse_action(json); });
}

TEST(ScenarioParse, AlpnNames) {
  EXPECT_STREQ(to_string(AlpnPolicy::h2_h1), "h2+h1");
  EXPECT_STREQ(to_string(AlpnPolicy::h1_only), "h1-only");
  EXPECT_STREQ(to_string(AlpnPolicy::h1_strict), "h1-strict");
  EXPECT_STREQ(to_string(AlpnPolicy::h2_only), "h2-only");
  EXPECT_STREQ(to_string(AlpnPolicy::none), "none");
}

}  // namespace
}  // namespace faultline::scenarios
