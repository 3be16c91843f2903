// Reading helpers shared by the scenario and fault parsers: names, required members,
// listener references, methods, ranged integers, and "exactly one kind" objects.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detail/json_reader.h"
#include "detail/limits.h"
#include "faultline/scenarios/scenario.h"

namespace faultline::scenarios::detail {

/** "a, b, c". */
[[nodiscard]] std::string join(const std::vector<std::string>& names);

/** A plain name (scenario, listener, gate, label): non-empty; letters, digits, '.', '_', '-'. */
[[nodiscard]] std::string get_name(const Json& value, const Loc& loc);

/** The member `name` of object; missing: fails at loc.field(name) with "is required". */
const Json& required(const Json& object, const Loc& loc, std::string_view name);

[[nodiscard]] bool has_listener(const std::vector<Listener>& listeners, std::string_view name);

/** The listener named by value, which must exist. */
[[nodiscard]] std::string get_listener_ref(const Json& value, const Loc& loc,
                                           const std::vector<Listener>& listeners);

/** An upper-case method token (GET, M-SEARCH). */
[[nodiscard]] std::string parse_method(const Json& value, const Loc& loc);

/** Reads an optional unsigned member into `out` when present; range-checked. */
template <std::unsigned_integral U>
void read_uint(const Json& object, const Loc& loc, std::string_view name, std::uint64_t min,
               std::uint64_t max, U& out) {
  if (const Json* value = member(object, name)) {
    out = static_cast<U>(get_uint(*value, loc.field(name), min, max));
  }
}

template <std::unsigned_integral U>
void read_uint(const Json& object, const Loc& loc, std::string_view name, std::uint64_t min,
               std::uint64_t max, std::optional<U>& out) {
  if (member(object, name) != nullptr) {
    read_uint(object, loc, name, min, max, out.emplace());
  }
}

/** Reads the five HTTP/2 settings of a "settings" object into H2Settings or
    SettingsAction (members plain or optional), each with its RFC 9113 range. */
template <typename Settings>
void read_h2_settings(const Json& object, const Loc& loc, Settings& s) {
  read_uint(object, loc, "max_concurrent_streams", 0, kMaxConcurrentStreams,
            s.max_concurrent_streams);
  read_uint(object, loc, "initial_window_size", 0, kMaxWindowSize, s.initial_window_size);
  read_uint(object, loc, "max_frame_size", kMinFrameSize, kMaxFrameSize, s.max_frame_size);
  read_uint(object, loc, "header_table_size", 0, kMaxU32, s.header_table_size);
  read_uint(object, loc, "max_header_list_size", 0, kMaxU32, s.max_header_list_size);
}

/** Reads an optional boolean member into `out` when present. */
void read_bool(const Json& object, const Loc& loc, std::string_view name, bool& out);

/** The one member of `object` whose name is in `kinds` (empty when none); a second one
    fails at its path: "<what> has one kind and this one is already "<first>""
    (`what` with its article: "a body", "an action"). */
[[nodiscard]] std::string_view one_kind(const Json& object, const Loc& loc,
                                        std::span<const std::string_view> kinds,
                                        std::string_view what);

}  // namespace faultline::scenarios::detail
