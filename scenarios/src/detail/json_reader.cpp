#include "detail/json_reader.h"

#include <utility>
#include <vector>

#include "detail/fields.h"
#include "detail/limits.h"
#include "detail/templates.h"
#include "faultline/scenarios/loader.h"

namespace faultline::scenarios::detail {
namespace {

/** Control characters as escapes, so a message stays on one line. */
std::string one_line(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out;
}

/** "[json.exception.parse_error.101] parse error at line 1, column 2: x" -> "parse error at ...".
 */
std::string parse_error_text(const nlohmann::detail::exception& ex) {
  std::string_view what = ex.what();
  if (!what.empty() && what.front() == '[') {
    if (const std::size_t end = what.find("] "); end != std::string_view::npos) {
      what.remove_prefix(end + 2);
    }
  }
  return one_line(what);
}

/** Builds the document like nlohmann's own DOM parser, but refuses duplicate keys and
    nesting deeper than kMaxJsonDepth. Linear in the input: one path string grows and
    shrinks with the nesting (each open container remembers only where its segment
    starts), so no frame copies the path above it. */
class StrictSax final : public nlohmann::json_sax<Json> {
 public:
  Json take() { return std::move(root_); }

  bool null() override { return put(nullptr); }
  bool boolean(bool val) override { return put(val); }
  bool number_integer(number_integer_t val) override { return put(val); }
  bool number_unsigned(number_unsigned_t val) override { return put(val); }
  bool number_float(number_float_t val, const string_t& /*s*/) override { return put(val); }
  bool string(string_t& val) override { return put(std::move(val)); }
  bool binary(binary_t& val) override { return put(Json::binary(std::move(val))); }
  bool start_object(std::size_t /*elements*/) override { return open(Json::object()); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t /*elements*/) override { return open(Json::array()); }
  bool end_array() override { return close(); }
  bool key(string_t& val) override {
    Frame& top = stack_.back();
    if (top.value->contains(val)) {
      append_key(path_, val);
      throw ScenarioError(path_, "duplicate key");
    }
    key_ = std::move(val);
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) override {
    throw ScenarioError("$", "invalid JSON: " + parse_error_text(ex));
  }

 private:
  struct Frame {
    Json* value;
    std::size_t path_size;  ///< path_'s length before this container's segment
  };

  /** Stores a value where the parser is; returns false never (errors throw). */
  bool put(Json value) {
    (void)place(std::move(value));
    return true;
  }

  Json* place(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& top = *stack_.back().value;
    if (top.is_array()) {
      top.push_back(std::move(value));
      return &top.back();
    }
    Json& slot = top[key_];
    slot = std::move(value);
    return &slot;
  }

  /** Appends the segment of the value about to be placed ("[3]" or ".key") to path_. */
  void append_child_segment() {
    if (stack_.empty())
      return;  // the root: path_ is "$"
    const Frame& top = stack_.back();
    if (top.value->is_array()) {
      path_ += '[';
      path_ += std::to_string(top.value->size());
      path_ += ']';
    } else {
      append_key(path_, key_);
    }
  }

  bool open(Json empty) {
    const std::size_t before = path_.size();
    append_child_segment();
    if (stack_.size() >= kMaxJsonDepth) {
      throw ScenarioError(path_, "nested deeper than " + std::to_string(kMaxJsonDepth) +
                                     " levels of arrays and objects");
    }
    Json* container = place(std::move(empty));
    stack_.push_back(Frame{container, before});
    return true;
  }

  bool close() {
    path_.resize(stack_.back().path_size);
    stack_.pop_back();
    return true;
  }

  Json root_;
  std::vector<Frame> stack_;
  std::string path_ = "$";  ///< the JSON path of the innermost open container
  std::string key_;
};

std::string type_name(const Json& value) {
  if (value.is_number_float()) {
    return "a fraction";
  }
  if (value.is_number()) {
    return "a number";
  }
  return std::string("a ") + value.type_name();
}

}  // namespace

Json parse_json_strict(std::string_view text) {
  StrictSax sax;
  const bool ok = Json::sax_parse(text, &sax, Json::input_format_t::json, true);
  if (!ok) {
    throw ScenarioError("$", "invalid JSON");
  }
  return sax.take();
}

void append_key(std::string& path, std::string_view name) {
  if (is_identifier(name)) {
    path += '.';
    path += name;
    return;
  }
  // Quoted form; the name is escaped as a JSON string would be.
  path += "[" + Json(std::string(name)).dump() + "]";
}

Loc Loc::field(std::string_view name) const {
  std::string path = path_;
  append_key(path, name);
  std::string generic = generic_.empty() ? std::string(name) : generic_ + "." + std::string(name);
  return Loc(std::move(path), std::move(generic));
}

Loc Loc::entry(std::string_view name) const {
  std::string path = path_;
  append_key(path, name);
  return Loc(std::move(path), generic_ + ".{name}");
}

Loc Loc::index(std::size_t i) const {
  return Loc(path_ + "[" + std::to_string(i) + "]", generic_ + "[]");
}

void fail(const Loc& loc, const std::string& problem) {
  throw ScenarioError(loc.path(), problem);
}

const Json& require_object(const Json& value, const Loc& loc) {
  if (!value.is_object()) {
    fail(loc, "must be an object, not " + type_name(value));
  }
  for (const auto& [name, child] : value.items()) {
    if (!is_known_field(loc.generic(), name)) {
      std::string known;
      for (const std::string_view field : fields_of(loc.generic())) {
        known += known.empty() ? "" : ", ";
        known += field;
      }
      fail(loc.field(name), "unknown field (known here: " + known + ")");
    }
  }
  return value;
}

const Json& require_string_map(const Json& value, const Loc& loc) {
  if (!value.is_object()) {
    fail(loc, "must be an object of strings, not " + type_name(value));
  }
  for (const auto& [name, child] : value.items()) {
    if (!child.is_string()) {
      fail(loc.field(name), "must be a string, not " + type_name(child));
    }
  }
  return value;
}

const Json* member(const Json& object, std::string_view name) {
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

std::string get_string(const Json& value, const Loc& loc) {
  if (!value.is_string()) {
    fail(loc, "must be a string, not " + type_name(value));
  }
  return value.get<std::string>();
}

bool get_bool(const Json& value, const Loc& loc) {
  if (!value.is_boolean()) {
    fail(loc, "must be true or false, not " + type_name(value));
  }
  return value.get<bool>();
}

std::uint64_t get_uint(const Json& value, const Loc& loc, std::uint64_t min, std::uint64_t max) {
  const std::string range =
      "must be an integer in " + std::to_string(min) + ".." + std::to_string(max);
  if (!value.is_number_integer()) {
    fail(loc, range + ", not " + type_name(value));
  }
  if (!value.is_number_unsigned()) {
    // A negative integer; nlohmann stores non-negative literals as unsigned.
    fail(loc, range + ", not " + value.dump());
  }
  const auto number = value.get<std::uint64_t>();
  if (number < min || number > max) {
    fail(loc, range + ", not " + std::to_string(number));
  }
  return number;
}

std::uint32_t get_u32(const Json& value, const Loc& loc, std::uint32_t min, std::uint32_t max) {
  return static_cast<std::uint32_t>(get_uint(value, loc, min, max));
}

}  // namespace faultline::scenarios::detail
