#include "detail/templates.h"

#include <charconv>
#include <string>

namespace faultline::scenarios::detail {
namespace {

/** Offsets are small in practice; 18 digits always fit an int64. */
constexpr std::size_t kMaxOffsetDigits = 18;

bool is_ident_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

}  // namespace

bool is_identifier(std::string_view name) noexcept {
  if (name.empty() || !is_ident_start(name[0])) {
    return false;
  }
  for (const char c : name) {
    if (!is_ident_start(c) && !is_digit(c)) {
      return false;
    }
  }
  return true;
}

std::optional<TemplateRef> parse_ref(std::string_view text, std::size_t pos) {
  if (pos >= text.size() || text[pos] != '{') {
    return std::nullopt;
  }
  std::size_t i = pos + 1;
  const std::size_t name_start = i;
  while (i < text.size() && (is_ident_start(text[i]) || (i > name_start && is_digit(text[i])))) {
    ++i;
  }
  TemplateRef ref;
  ref.name = text.substr(name_start, i - name_start);
  if (ref.name.empty() || i >= text.size()) {
    return std::nullopt;
  }
  if (text[i] == '+' || text[i] == '-') {
    const bool negative = text[i] == '-';
    const std::size_t digits_start = ++i;
    while (i < text.size() && is_digit(text[i])) {
      ++i;
    }
    const std::size_t digits = i - digits_start;
    if (digits == 0 || digits > kMaxOffsetDigits) {
      return std::nullopt;
    }
    std::int64_t value = 0;
    std::from_chars(text.data() + digits_start, text.data() + i, value);
    ref.offset = negative ? -value : value;
  }
  if (i >= text.size() || text[i] != '}') {
    return std::nullopt;
  }
  ref.length = i + 1 - pos;
  return ref;
}

std::optional<NumberExpr> parse_number_expr(std::string_view text) {
  const std::optional<TemplateRef> ref = parse_ref(text, 0);
  if (!ref || ref->length != text.size()) {
    return std::nullopt;
  }
  NumberExpr expr;
  expr.capture = std::string(ref->name);
  expr.offset = ref->offset;
  return expr;
}

std::string number_expr_text(const NumberExpr& expr) {
  std::string text = "{" + expr.capture;
  if (expr.offset > 0) {
    text += "+" + std::to_string(expr.offset);
  } else if (expr.offset < 0) {
    text += std::to_string(expr.offset);
  }
  return text + "}";
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) noexcept {
  if (text.empty()) {
    return std::nullopt;
  }
  for (const char c : text) {
    if (!is_digit(c)) {
      return std::nullopt;
    }
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace faultline::scenarios::detail
