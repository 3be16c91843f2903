#include "detail/parse_helpers.h"

#include <algorithm>

#include "detail/limits.h"

namespace faultline::scenarios::detail {

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    text += text.empty() ? "" : ", ";
    text += name;
  }
  return text;
}

std::string get_name(const Json& value, const Loc& loc) {
  std::string name = get_string(value, loc);
  if (name.empty()) {
    fail(loc, "must not be empty");
  }
  if (name.find_first_not_of(kNameChars) != std::string::npos) {
    fail(loc, "\"" + name + "\" may contain only letters, digits, '.', '_' and '-'");
  }
  return name;
}

const Json& required(const Json& object, const Loc& loc, std::string_view name) {
  const Json* value = member(object, name);
  if (value == nullptr) {
    fail(loc.field(name), "is required");
  }
  return *value;
}

bool has_listener(const std::vector<Listener>& listeners, std::string_view name) {
  return std::any_of(listeners.begin(), listeners.end(),
                     [name](const Listener& l) { return l.name == name; });
}

std::string get_listener_ref(const Json& value, const Loc& loc,
                             const std::vector<Listener>& listeners) {
  std::string name = get_string(value, loc);
  if (!has_listener(listeners, name)) {
    std::vector<std::string> known;
    for (const Listener& l : listeners) {
      known.push_back(l.name);
    }
    fail(loc, "unknown listener \"" + name + "\" (listeners: " + join(known) + ")");
  }
  return name;
}

std::string parse_method(const Json& value, const Loc& loc) {
  std::string method = get_string(value, loc);
  const bool upper_token =
      !method.empty() && method[0] >= 'A' && method[0] <= 'Z' &&
      method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == std::string::npos;
  if (!upper_token) {
    fail(loc, "\"" + method + "\" is not an upper-case method name such as GET or POST");
  }
  return method;
}

void read_bool(const Json& object, const Loc& loc, std::string_view name, bool& out) {
  if (const Json* value = member(object, name)) {
    out = get_bool(*value, loc.field(name));
  }
}

std::string_view one_kind(const Json& object, const Loc& loc,
                          std::span<const std::string_view> kinds, std::string_view what) {
  std::string_view kind;
  for (const auto& [name, child] : object.items()) {
    const auto it = std::find(kinds.begin(), kinds.end(), name);
    if (it == kinds.end()) {
      continue;
    }
    if (!kind.empty()) {
      fail(loc.field(name), std::string(what) + " has one kind and this one is already \"" +
                                std::string(kind) + "\"");
    }
    kind = *it;
  }
  return kind;
}

}  // namespace faultline::scenarios::detail
