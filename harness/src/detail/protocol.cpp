#include "detail/protocol.h"

#include <limits>

#include "faultline/common/base64.h"
#include "faultline/harness/limits.h"

namespace faultline::harness::detail {
namespace {

using nlohmann::json;

std::string line_of(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

/** Field access that records the first problem instead of throwing. */
class Fields {
 public:
  Fields(const json& object, std::string_view line, std::string context)
      : object_(object), line_(line), context_(std::move(context)) {}

  const json* get(const char* name, json::value_t type, bool required) {
    auto it = object_.find(name);
    if (it == object_.end()) {
      if (required) {
        fail(std::string("lacks field \"") + name + "\"");
      }
      return nullptr;
    }
    const bool type_ok = type == json::value_t::number_float
                             ? it->is_number()
                             : (type == json::value_t::number_unsigned ? it->is_number_unsigned()
                                                                       : it->type() == type);
    if (!type_ok) {
      fail(std::string("field \"") + name + "\" has the wrong type (" + it->type_name() + ")");
      return nullptr;
    }
    return &*it;
  }
  std::string string(const char* name, bool required = true) {
    const json* v = get(name, json::value_t::string, required);
    return v ? v->get<std::string>() : std::string{};
  }
  std::int64_t integer(const char* name, bool required = true) {
    auto it = object_.find(name);
    if (it == object_.end()) {
      if (required) {
        fail(std::string("lacks field \"") + name + "\"");
      }
      return 0;
    }
    if (!it->is_number_integer()) {
      fail(std::string("field \"") + name + "\" must be an integer");
      return 0;
    }
    return it->get<std::int64_t>();
  }
  double number(const char* name, double fallback) {
    const json* v = get(name, json::value_t::number_float, false);
    return v ? v->get<double>() : fallback;
  }

  void fail(std::string problem, errc code = errc::driver_missing_field) {
    if (!failed_) {
      violation_ = Violation{code, context_ + " " + problem + ": " + quote_line(line_)};
    }
    failed_ = true;
  }
  /** Records a problem found by another Fields (a nested object). */
  void fail_with(Violation v) {
    if (!failed_) {
      violation_ = std::move(v);
    }
    failed_ = true;
  }
  [[nodiscard]] bool failed() const { return failed_; }
  [[nodiscard]] Violation violation() const { return violation_; }

 private:
  const json& object_;
  std::string_view line_;
  std::string context_;
  bool failed_ = false;
  Violation violation_{errc::driver_missing_field, {}};
};

/** The hello's optional "capabilities": each field optional, typed when present. */
void parse_capabilities(const json& caps, std::string_view line, Fields& hello,
                        DriverCapabilities& out) {
  Fields f(caps, line, "hello capabilities");
  auto milliseconds = [&](const char* name) -> std::optional<std::int64_t> {
    if (!caps.contains(name)) {
      return std::nullopt;
    }
    const std::int64_t v = f.integer(name);
    if (!f.failed() && v < 0) {
      f.fail(std::string("field \"") + name + "\" must not be negative");
    }
    return v;
  };
  out.idle_timeout_ms = milliseconds("idle_timeout_ms");
  out.liveness_timeout_ms = milliseconds("liveness_timeout_ms");
  if (const json* r = f.get("retries_421", json::value_t::boolean, false)) {
    out.retries_421 = r->get<bool>();
  }
  if (const json* t = f.get("trailers", json::value_t::boolean, false)) {
    out.trailers = t->get<bool>();
  }
  if (const json* i = f.get("informational", json::value_t::boolean, false)) {
    out.informational = i->get<bool>();
  }
  if (const json* b = f.get("receive_backpressure", json::value_t::boolean, false)) {
    out.receive_backpressure = b->get<bool>();
  }
  if (caps.contains("stream_window")) {
    const std::int64_t w = f.integer("stream_window");
    if (!f.failed() && w <= 0) {
      f.fail("field \"stream_window\" must be positive");
    }
    out.stream_window = w;
  }
  if (const json* d = f.get("declared_length_bodies", json::value_t::boolean, false)) {
    out.declared_length_bodies = d->get<bool>();
  }
  if (caps.contains("max_response_header_bytes")) {
    const std::int64_t m = f.integer("max_response_header_bytes");
    if (!f.failed() && m <= 0) {
      f.fail("field \"max_response_header_bytes\" must be positive");
    }
    out.max_response_header_bytes = m;
  }
  if (f.failed()) {
    hello.fail_with(f.violation());
  }
}

DriverLine parse_hello(const json& j, std::string_view line) {
  Fields f(j, line, "hello");
  HelloLine hello;
  hello.info.protocol = static_cast<int>(f.integer("protocol"));
  hello.info.name = f.string("name");
  hello.info.version = f.string("version");
  hello.info.max_sessions = static_cast<int>(f.integer("max_sessions"));
  hello.info.max_streams = static_cast<int>(f.integer("max_streams"));
  if (const json* h2 = f.get("h2", json::value_t::boolean, true)) {
    hello.info.h2 = h2->get<bool>();
  }
  hello.info.api = f.string("api", false);
  if (const json* caps = f.get("capabilities", json::value_t::object, false)) {
    parse_capabilities(*caps, line, f, hello.info.capabilities);
  }
  if (f.failed()) {
    auto v = f.violation();
    v.code = errc::driver_bad_hello;
    return v;
  }
  if (hello.info.protocol != kProtocolVersion) {
    return Violation{errc::driver_bad_hello,
                     "hello announces protocol " + std::to_string(hello.info.protocol) +
                         ", the harness speaks " + std::to_string(kProtocolVersion)};
  }
  return hello;
}

bool parse_headers(const json& object, Headers& out) {
  if (!object.is_object()) {
    return false;
  }
  for (const auto& [name, value] : object.items()) {
    if (value.is_string()) {
      out.emplace_back(name, value.get<std::string>());
    } else if (value.is_array()) {
      for (const auto& item : value) {
        if (!item.is_string()) {
          return false;
        }
        out.emplace_back(name, item.get<std::string>());
      }
    } else {
      return false;
    }
  }
  return true;
}

DriverLine parse_event(const json& j, std::string_view line, const std::string& type) {
  EventLine out;
  Fields f(j, line, type + " event");
  auto it = j.find("id");
  if (it == j.end()) {
    f.fail("lacks field \"id\"");
    return f.violation();
  }
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() == 0) {
    f.fail("field \"id\" must be a positive integer");
    return f.violation();
  }
  out.id = it->get<std::uint64_t>();
  Event& e = out.event;
  e.t_ms = f.number("t_ms", -1);
  if (type == "headers" || type == "informational") {
    const bool interim = type == "informational";
    e.type = interim ? Event::Type::informational : Event::Type::headers;
    e.status = static_cast<int>(f.integer("status"));
    if (!f.failed() && interim && (e.status < 100 || e.status > 199)) {
      f.fail("status out of 100..199");
    } else if (!f.failed() && (e.status < 100 || e.status > 599)) {
      f.fail("status out of 100..599");
    }
    if (const json* h = f.get("headers", json::value_t::object, true);
        h && !parse_headers(*h, e.headers)) {
      f.fail("headers must map names to strings or arrays of strings");
    }
    e.protocol = f.string("protocol", false);
  } else if (type == "data") {
    e.type = Event::Type::data;
    const std::string b64 = f.string("b64");
    if (!f.failed()) {
      auto bytes = common::base64_decode(b64, common::Base64Padding::optional);
      if (!bytes) {
        f.fail("field \"b64\" is not valid base64");
      } else {
        e.data = std::move(*bytes);
      }
    }
  } else if (type == "end") {
    e.type = Event::Type::end;
    if (const json* t = f.get("trailers", json::value_t::object, false);
        t && !parse_headers(*t, e.trailers)) {
      f.fail("trailers must map names to strings or arrays of strings");
    }
  } else {
    e.type = Event::Type::error;
    const std::string kind = f.string("kind");
    e.message = f.string("message");
    if (!f.failed()) {
      auto parsed = parse_error_kind(kind);
      if (!parsed || *parsed == ErrorKind::driver) {
        f.fail("field \"kind\" is not one of aborted|timeout|network|protocol|other");
      } else {
        e.kind = *parsed;
      }
    }
  }
  if (f.failed()) {
    return f.violation();
  }
  return out;
}

}  // namespace

std::string quote_line(std::string_view line) {
  if (line.size() <= kQuotedLineBytes) {
    return "'" + std::string(line) + "'";
  }
  // Cut before a UTF-8 continuation byte, never inside a character: the message goes
  // into JSON reports, and a UTF-8 line must give a UTF-8 message.
  std::size_t cut = kQuotedLineBytes;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return "'" + std::string(line.substr(0, cut)) + "...' (" + std::to_string(line.size()) +
         " bytes)";
}

std::string encode_request(const Request& request) {
  json headers = json::object();
  for (const auto& [name, value] : request.headers) {
    auto it = headers.find(name);
    if (it == headers.end()) {
      headers[name] = value;
    } else if (it->is_array()) {
      it->push_back(value);
    } else {
      *it = json::array({*it, value});
    }
  }
  json j = {{"op", "request"},
            {"id", request.id},
            {"method", request.method},
            {"url", request.url},
            {"headers", headers},
            {"timeout_ms", request.timeout_ms},
            {"redirect", to_string(request.redirect)}};
  if (request.read_delay_ms != 0) {
    j["read_delay_ms"] = request.read_delay_ms;
  }
  if (request.body) {
    j["body_b64"] = common::base64_encode(*request.body);
    if (request.body_stream) {
      j["body_stream"] = true;
    }
    if (request.body_declared_length) {
      j["body_declared_length"] = *request.body_declared_length;
    }
  }
  return line_of(j);
}

std::string encode_abort(std::uint64_t id) {
  return line_of({{"op", "abort"}, {"id", id}});
}

std::string encode_id_op(std::string_view op, std::uint64_t id) {
  return line_of({{"op", op}, {"id", id}});
}

std::string encode_op(std::string_view op) {
  return line_of({{"op", op}});
}

DriverLine parse_driver_line(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded()) {
    return Violation{errc::driver_bad_json, "line is not JSON: " + quote_line(line)};
  }
  if (!j.is_object()) {
    return Violation{errc::driver_bad_json, "line is not a JSON object: " + quote_line(line)};
  }
  auto it = j.find("event");
  if (it == j.end() || !it->is_string()) {
    return Violation{errc::driver_missing_field,
                     "line lacks a string field \"event\": " + quote_line(line)};
  }
  const std::string type = it->get<std::string>();
  if (type == "hello") {
    return parse_hello(j, line);
  }
  if (type == "stats") {
    j.erase("event");
    return StatsLine{std::move(j)};
  }
  if (type == "informational" || type == "headers" || type == "data" || type == "end" ||
      type == "error") {
    return parse_event(j, line, type);
  }
  return Violation{errc::driver_unknown_event,
                   "unknown event \"" + type + "\": " + quote_line(line)};
}

}  // namespace faultline::harness::detail
