// Strict JSON reading for scenarios: duplicate keys and malformed text rejected with
// a JSON path, typed getters that name the offending field. Internal to scenarios.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace faultline::scenarios::detail {

/** Object members keep their document order (response headers are sent in that order). */
using Json = nlohmann::ordered_json;

/** Parses JSON text; malformed text throws ScenarioError at "$" with the line and
    column, a key repeated in one object throws at that key's path. */
[[nodiscard]] Json parse_json_strict(std::string_view text);

/** Where a value sits: its JSON path ("$.routes[2].respond") and its generic path in
    the field table ("routes[].respond"). */
class Loc {
 public:
  /** The document itself. */
  Loc() : path_("$") {}

  /** The document itself, read as the object at generic path `generic` (parse_action()
      reads a fault's "do" object as a whole document). */
  [[nodiscard]] static Loc root_as(std::string generic) { return Loc("$", std::move(generic)); }

  [[nodiscard]] Loc field(std::string_view name) const;
  /** A member of a map with free names (gates): generic path "<parent>.{name}". */
  [[nodiscard]] Loc entry(std::string_view name) const;
  [[nodiscard]] Loc index(std::size_t i) const;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] const std::string& generic() const noexcept { return generic_; }

 private:
  Loc(std::string path, std::string generic)
      : path_(std::move(path)), generic_(std::move(generic)) {}
  std::string path_;
  std::string generic_;
};

/** Appends ".name", or ["name"] for a name that is not an identifier, to a JSON path. */
void append_key(std::string& path, std::string_view name);

/** Throws ScenarioError(loc.path(), problem). */
[[noreturn]] void fail(const Loc& loc, const std::string& problem);

/** Checks that value is an object whose every member is in the field table at
    loc.generic(); an unknown member fails at its own path. */
const Json& require_object(const Json& value, const Loc& loc);

/** An object whose members are free-form names with string values (headers). */
const Json& require_string_map(const Json& value, const Loc& loc);

/** The member, or nullptr when absent. */
[[nodiscard]] const Json* member(const Json& object, std::string_view name);

[[nodiscard]] std::string get_string(const Json& value, const Loc& loc);
[[nodiscard]] bool get_bool(const Json& value, const Loc& loc);

/** An integer (not a fraction, not a string) in min..max. */
[[nodiscard]] std::uint64_t get_uint(const Json& value, const Loc& loc, std::uint64_t min,
                                     std::uint64_t max);

/** get_uint narrowed to 32 bits; max must fit. */
[[nodiscard]] std::uint32_t get_u32(const Json& value, const Loc& loc, std::uint32_t min,
                                    std::uint32_t max);

}  // namespace faultline::scenarios::detail
