// The one table of JSON fields a scenario may contain. The parser rejects any field
// not listed here, and a test holds scenario.schema.json and docs/scenarios.md to it.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::scenarios::detail {

/** One accepted field, by its generic path: object keys joined by ".", "[]" for an
    array element, e.g. "routes[].respond.body.sse.split". */
struct FieldSpec {
  std::string_view path;
  std::string_view type;  ///< JSON type(s), for messages and docs: "integer", "string|object"
};

/** Every accepted field, parents before children. */
[[nodiscard]] std::span<const FieldSpec> known_fields() noexcept;

/** The names accepted directly inside the object at generic path `parent`
    ("" for the document, "routes[].respond" for a route's response). */
[[nodiscard]] std::vector<std::string_view> fields_of(std::string_view parent);

/** Whether `name` is accepted inside the object at generic path `parent`. */
[[nodiscard]] bool is_known_field(std::string_view parent, std::string_view name);

}  // namespace faultline::scenarios::detail
