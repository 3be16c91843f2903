// JSON text for documents that carry wire bytes (echoed heads, request ids, paths,
// timelines): HTTP fields and targets are bytes, not UTF-8, and nlohmann's strict
// serialiser throws on invalid UTF-8. Every JSON the server writes goes through here.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace faultline::fake_server::detail {

/** Compact JSON text of value. In strings and object keys, bytes that are not valid
    UTF-8 are written as U+FFFD (the replacement character); never throws for string
    content. */
[[nodiscard]] std::string to_json_text(const nlohmann::json& value);
/** The same for a document whose members keep their insertion order (the ready line). */
[[nodiscard]] std::string to_json_text(const nlohmann::ordered_json& value);

}  // namespace faultline::fake_server::detail
