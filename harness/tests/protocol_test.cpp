#include "detail/protocol.h"

#include <gtest/gtest.h>

#include "faultline/common/base64.h"
#include "faultline/harness/limits.h"

namespace faultline::harness::detail {
namespace {

using nlohmann::json;

template <class T>
T as(const DriverLine& line) {
  if (const auto* v = std::get_if<Violation>(&line); v && !std::is_same_v<T, Violation>) {
    ADD_FAILURE() << "unexpected violation: " << v->message;
  }
  return std::get<T>(line);
}

TEST(Protocol, EncodesRequestsAsOneLine) {
  Request r;
  r.id = 7;
  r.method = "POST";
  r.url = "https://127.0.0.1:8443/echo";
  r.headers = {{"x-a", "1"}, {"x-a", "2"}, {"x-b", "3"}};
  r.body = std::string("hi\n\0", 4);
  r.timeout_ms = 2000;
  r.redirect = RedirectMode::manual;
  const std::string line = encode_request(r);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const json j = json::parse(line);
  EXPECT_EQ(j["op"], "request");
  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["headers"]["x-a"], json::array({"1", "2"}));
  EXPECT_EQ(j["headers"]["x-b"], "3");
  EXPECT_EQ(common::base64_decode(j["body_b64"].get<std::string>()), std::string("hi\n\0", 4));
  EXPECT_EQ(j["timeout_ms"], 2000);
  EXPECT_EQ(j["redirect"], "manual");
  r.body.reset();
  EXPECT_FALSE(json::parse(encode_request(r)).contains("body_b64"));
  EXPECT_EQ(json::parse(encode_abort(7)), json({{"op", "abort"}, {"id", 7}}));
  EXPECT_EQ(json::parse(encode_id_op("pause", 7)), json({{"op", "pause"}, {"id", 7}}));
  EXPECT_EQ(json::parse(encode_id_op("resume", 7)), json({{"op", "resume"}, {"id", 7}}));
  // A streamed body is flagged; a body in memory is not.
  r.body = "abc";
  EXPECT_FALSE(json::parse(encode_request(r)).contains("body_stream"));
  r.body_stream = true;
  EXPECT_EQ(json::parse(encode_request(r)).value("body_stream", false), true);
  EXPECT_EQ(json::parse(encode_op("stats")), json({{"op", "stats"}}));
}

TEST(Protocol, ParsesHello) {
  auto line = parse_driver_line(
      R"({"event":"hello","protocol":1,"name":"undici","version":"7.1.0","max_sessions":4,"max_streams":100,"h2":true,"extra":1})");
  const auto hello = as<HelloLine>(line);
  EXPECT_EQ(hello.info.name, "undici");
  EXPECT_EQ(hello.info.version, "7.1.0");
  EXPECT_EQ(hello.info.max_sessions, 4);
  EXPECT_EQ(hello.info.max_streams, 100);
  EXPECT_TRUE(hello.info.h2);
  // A protocol-1 hello without the optional fields declares nothing.
  EXPECT_EQ(hello.info.api, "");
  EXPECT_FALSE(hello.info.capabilities.idle_timeout_ms);
  EXPECT_FALSE(hello.info.capabilities.liveness_timeout_ms);
  EXPECT_FALSE(hello.info.capabilities.retries_421);
}

TEST(Protocol, ParsesHelloCapabilitiesAndApi) {
  const auto hello = as<HelloLine>(parse_driver_line(
      R"({"event":"hello","protocol":1,"name":"undici","version":"7.1.0","max_sessions":4,"max_streams":100,"h2":true,)"
      R"("api":"fetch","capabilities":{"idle_timeout_ms":0,"liveness_timeout_ms":1500,"retries_421":true,)"
      R"("receive_backpressure":true,"stream_window":65535,"max_response_header_bytes":262144,)"
      R"("future":1}})"));
  EXPECT_EQ(hello.info.api, "fetch");
  EXPECT_EQ(hello.info.capabilities.max_response_header_bytes, 262144);
  EXPECT_EQ(hello.info.capabilities.receive_backpressure, true);
  EXPECT_EQ(hello.info.capabilities.stream_window, 65535);
  EXPECT_EQ(hello.info.capabilities.idle_timeout_ms, 0);
  EXPECT_EQ(hello.info.capabilities.liveness_timeout_ms, 1500);
  EXPECT_EQ(hello.info.capabilities.retries_421, true);
  // Only what is present is declared.
  const auto partial = as<HelloLine>(parse_driver_line(
      R"({"event":"hello","protocol":1,"name":"x","version":"1","max_sessions":1,"max_streams":1,"h2":false,)"
      R"("capabilities":{"idle_timeout_ms":4000}})"));
  EXPECT_EQ(partial.info.capabilities.idle_timeout_ms, 4000);
  EXPECT_FALSE(partial.info.capabilities.liveness_timeout_ms);
  EXPECT_FALSE(partial.info.capabilities.retries_421);
  EXPECT_FALSE(partial.info.capabilities.receive_backpressure);
  EXPECT_FALSE(partial.info.capabilities.stream_window);
  EXPECT_FALSE(partial.info.capabilities.max_response_header_bytes);
}

TEST(Protocol, RejectsMistypedCapabilities) {
  const char* const bad[] = {
      R"("capabilities":{"idle_timeout_ms":"4000"})",
      R"("capabilities":{"idle_timeout_ms":-1})",
      R"("capabilities":{"liveness_timeout_ms":1.5})",
      R"("capabilities":{"retries_421":1})",
      R"("capabilities":{"receive_backpressure":"yes"})",
      R"("capabilities":{"stream_window":0})",
      R"("capabilities":{"max_response_header_bytes":0})",
      R"("capabilities":[])",
      R"("api":7)",
  };
  for (const char* field : bad) {
    const std::string line =
        std::string(
            R"({"event":"hello","protocol":1,"name":"x","version":"1","max_sessions":1,"max_streams":1,"h2":true,)") +
        field + "}";
    const auto v = as<Violation>(parse_driver_line(line));
    EXPECT_EQ(v.code, errc::driver_bad_hello) << field;
    EXPECT_NE(v.message.find("hello"), std::string::npos) << v.message;
  }
}

TEST(Protocol, RejectsHelloOfAnotherVersionOrIncomplete) {
  auto v2 = parse_driver_line(
      R"({"event":"hello","protocol":2,"name":"x","version":"1","max_sessions":4,"max_streams":1,"h2":true})");
  const auto bad = as<Violation>(v2);
  EXPECT_EQ(bad.code, errc::driver_bad_hello);
  EXPECT_NE(bad.message.find("protocol 2"), std::string::npos) << bad.message;
  const auto missing =
      as<Violation>(parse_driver_line(R"({"event":"hello","protocol":1,"name":"x"})"));
  EXPECT_EQ(missing.code, errc::driver_bad_hello);
  EXPECT_NE(missing.message.find("version"), std::string::npos) << missing.message;
}

TEST(Protocol, ParsesEvents) {
  const auto h = as<EventLine>(parse_driver_line(
      R"({"id":7,"event":"headers","status":200,"headers":{"a":"1","set-cookie":["x","y"]},"t_ms":1.25,"protocol":"h2"})"));
  EXPECT_EQ(h.id, 7u);
  EXPECT_EQ(h.event.type, Event::Type::headers);
  EXPECT_EQ(h.event.status, 200);
  EXPECT_EQ(h.event.headers.size(), 3u);
  EXPECT_DOUBLE_EQ(h.event.t_ms, 1.25);
  EXPECT_EQ(h.event.protocol, "h2");
  const auto d =
      as<EventLine>(parse_driver_line(R"({"id":7,"event":"data","b64":"Zm9v","t_ms":12})"));
  EXPECT_EQ(d.event.data, "foo");
  const auto e = as<EventLine>(parse_driver_line(R"({"id":7,"event":"end"})"));
  EXPECT_EQ(e.event.type, Event::Type::end);
  EXPECT_LT(e.event.t_ms, 0);  // not sent
  const auto err = as<EventLine>(
      parse_driver_line(R"({"id":7,"event":"error","kind":"timeout","message":"deadline"})"));
  EXPECT_EQ(err.event.kind, ErrorKind::timeout);
  EXPECT_EQ(err.event.message, "deadline");
  const auto stats =
      as<StatsLine>(parse_driver_line(R"({"event":"stats","connections_opened":3})"));
  EXPECT_EQ(stats.stats, json({{"connections_opened", 3}}));
}

// The compatible additions to version 1: 1xx heads, trailers on end, the two capabilities,
// and read_delay_ms on a request (sent only when set).
TEST(Protocol, ParsesInformationalTrailersAndTheirCapabilities) {
  const auto i = as<EventLine>(parse_driver_line(
      R"({"id":7,"event":"informational","status":103,"headers":{"link":"</a.css>"}})"));
  EXPECT_EQ(i.event.type, Event::Type::informational);
  EXPECT_EQ(i.event.status, 103);
  ASSERT_EQ(i.event.headers.size(), 1u);
  EXPECT_EQ(i.event.headers[0].second, "</a.css>");
  const auto e = as<EventLine>(
      parse_driver_line(R"({"id":7,"event":"end","trailers":{"grpc-status":"0","x":["a","b"]}})"));
  EXPECT_EQ(e.event.trailers.size(), 3u);
  EXPECT_EQ(find_header(e.event.trailers, "grpc-status"), "0");
  const auto hello = as<HelloLine>(parse_driver_line(
      R"({"event":"hello","protocol":1,"name":"x","version":"1","max_sessions":1,"max_streams":1,"h2":true,)"
      R"("capabilities":{"trailers":true,"informational":false}})"));
  EXPECT_EQ(hello.info.capabilities.trailers, true);
  EXPECT_EQ(hello.info.capabilities.informational, false);
  Request r;
  r.id = 1;
  r.url = "https://a/";
  EXPECT_FALSE(json::parse(encode_request(r)).contains("read_delay_ms"));
  r.read_delay_ms = 100;
  EXPECT_EQ(json::parse(encode_request(r))["read_delay_ms"], 100);
}

struct BadLine {
  const char* line;
  errc code;
  const char* mentions;
  friend void PrintTo(const BadLine& b, std::ostream* os) { *os << b.line; }
};

class ProtocolViolations : public ::testing::TestWithParam<BadLine> {};

TEST_P(ProtocolViolations, AreNamed) {
  const auto v = as<Violation>(parse_driver_line(GetParam().line));
  EXPECT_EQ(v.code, GetParam().code) << v.message;
  EXPECT_NE(v.message.find(GetParam().mentions), std::string::npos) << v.message;
}

INSTANTIATE_TEST_SUITE_P(
    Lines, ProtocolViolations,
    ::testing::Values(
        BadLine{"not json", errc::driver_bad_json, "not JSON"},
        BadLine{"[1,2]", errc::driver_bad_json, "not a JSON object"},
        BadLine{R"({"id":1})", errc::driver_missing_field, "\"event\""},
        BadLine{R"({"id":1,"event":"bogus"})", errc::driver_unknown_event, "bogus"},
        BadLine{R"({"event":"end"})", errc::driver_missing_field, "\"id\""},
        BadLine{R"({"id":-1,"event":"end"})", errc::driver_missing_field, "positive"},
        BadLine{R"({"id":1,"event":"headers","headers":{}})", errc::driver_missing_field, "status"},
        BadLine{R"({"id":1,"event":"headers","status":99,"headers":{}})",
                errc::driver_missing_field, "100..599"},
        BadLine{R"({"id":1,"event":"headers","status":200,"headers":{"a":1}})",
                errc::driver_missing_field, "headers must map"},
        BadLine{R"({"id":1,"event":"data"})", errc::driver_missing_field, "b64"},
        BadLine{R"({"id":1,"event":"data","b64":"!!"})", errc::driver_missing_field, "base64"},
        BadLine{R"({"id":1,"event":"data","b64":"Zm9v","t_ms":"x"})", errc::driver_missing_field,
                "t_ms"},
        BadLine{R"({"id":1,"event":"error","kind":"weird","message":"m"})",
                errc::driver_missing_field, "kind"},
        BadLine{R"({"id":1,"event":"error","kind":"driver","message":"m"})",
                errc::driver_missing_field, "kind"},
        BadLine{R"({"id":1,"event":"error","kind":"other"})", errc::driver_missing_field,
                "message"},
        BadLine{R"({"id":1,"event":"informational","status":200,"headers":{}})",
                errc::driver_missing_field, "100..199"},
        BadLine{R"({"id":1,"event":"end","trailers":{"a":1}})", errc::driver_missing_field,
                "trailers must map"},
        BadLine{
            R"({"event":"hello","protocol":1,"name":"x","version":"1","max_sessions":1,"max_streams":1,"h2":true,"capabilities":{"trailers":1}})",
            errc::driver_bad_hello, "trailers"}));

TEST(Protocol, QuotesLongLinesShortened) {
  const std::string q = quote_line(std::string(5000, 'x'));
  EXPECT_LT(q.size(), 300u);
  EXPECT_NE(q.find("5000 bytes"), std::string::npos);
}

// Found by fuzz_driver_line (corpus: quote-cuts-utf8): the cut at kQuotedLineBytes fell
// inside a two-byte character, so a UTF-8 line gave a message that is not UTF-8 (and
// the JSON report writer throws on it).
TEST(Protocol, QuotedLinesAreCutBetweenUtf8Characters) {
  std::string line = R"({"id":9,"event":"error","kind":"bogus","message":")";
  while (line.size() < 2 * kQuotedLineBytes) {
    line += "\xC3\xA9";  // U+00E9, two bytes
  }
  line += R"("})";
  for (const std::size_t shift : {0u, 1u}) {
    const std::string shifted = std::string(shift, ' ') + line;
    const auto parsed = parse_driver_line(shifted);
    ASSERT_TRUE(std::holds_alternative<Violation>(parsed));
    const std::string& message = std::get<Violation>(parsed).message;
    EXPECT_NO_THROW((void)nlohmann::json(message).dump()) << message;
    EXPECT_NE(message.find("\xC3\xA9...'"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace faultline::harness::detail
