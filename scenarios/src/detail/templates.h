// The "{name}", "{name-N}", "{name+N}" references in templates and number expressions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "faultline/scenarios/scenario.h"

namespace faultline::scenarios::detail {

/** One reference found in a template. */
struct TemplateRef {
  std::string_view name;    ///< an identifier: [A-Za-z_][A-Za-z0-9_]*
  std::int64_t offset = 0;  ///< the N of {name+N} / {name-N}
  std::size_t length = 0;   ///< bytes from '{' to '}' inclusive
};

/** Whether name is an identifier ([A-Za-z_][A-Za-z0-9_]*). */
[[nodiscard]] bool is_identifier(std::string_view name) noexcept;

/** The reference starting at text[pos] (which must be '{'), or nullopt when the text
    there is not one (then the brace is literal text). */
[[nodiscard]] std::optional<TemplateRef> parse_ref(std::string_view text, std::size_t pos);

/** Calls fn(ref) for every reference in a template, in order. */
template <typename Fn>
void for_each_ref(std::string_view text, Fn&& fn) {
  for (std::size_t pos = text.find('{'); pos != std::string_view::npos;
       pos = text.find('{', pos + 1)) {
    if (const std::optional<TemplateRef> ref = parse_ref(text, pos)) {
      fn(*ref);
      pos += ref->length - 1;
    }
  }
}

/** "{n}", "{n-1}", "{n+2}" as a whole string; nullopt for anything else. */
[[nodiscard]] std::optional<NumberExpr> parse_number_expr(std::string_view text);

/** A NumberExpr written back as JSON would hold it ("{k-1}"); only for capture forms. */
[[nodiscard]] std::string number_expr_text(const NumberExpr& expr);

/** A capture's value as a number: decimal digits only, fitting 64 bits. */
[[nodiscard]] std::optional<std::uint64_t> parse_decimal(std::string_view text) noexcept;

}  // namespace faultline::scenarios::detail
