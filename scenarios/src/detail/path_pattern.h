// Route path patterns: literal segments, "{name}" captures one non-empty segment, a
// final "*" segment matches any rest (including an empty one).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "faultline/scenarios/scenario.h"

namespace faultline::scenarios::detail {

/** Checks a pattern; on success fills the capture names in order and returns "",
    else returns what is wrong with it. */
[[nodiscard]] std::string check_pattern(std::string_view pattern,
                                        std::vector<std::string>& capture_names);

/** Matches a request path (its query string and fragment ignored) against a valid
    pattern; fills captures on success (captures is cleared first). */
[[nodiscard]] bool match_path(std::string_view pattern, std::string_view path, Captures& captures);

/** Whether some request path matches both valid patterns: "/a/{x}" and "/a/b" do,
    "/a/{x}" and "/a" do not, a final "*" overlaps any pattern with a segment there. */
[[nodiscard]] bool patterns_overlap(std::string_view a, std::string_view b);

}  // namespace faultline::scenarios::detail
