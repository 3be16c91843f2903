// find_route(), expand(), resolve(): what the server does with a scenario per request.
#include <limits>
#include <string>

#include "detail/path_pattern.h"
#include "detail/templates.h"
#include "faultline/scenarios/loader.h"

namespace faultline::scenarios {

const Route* find_route(const Scenario& scenario, std::string_view listener,
                        std::string_view method, std::string_view path, Captures& captures,
                        std::uint32_t attempt) {
  for (const Route& route : scenario.routes) {
    const Match& match = route.match;
    if (match.attempt && !attempt_matches(*match.attempt, attempt)) {
      continue;
    }
    if (match.listener && *match.listener != listener) {
      continue;
    }
    if (match.method && *match.method != method) {
      continue;
    }
    if (detail::match_path(match.path, path, captures)) {
      return &route;
    }
  }
  captures.clear();
  return nullptr;
}

bool routes_match_attempts(const Scenario& scenario) noexcept {
  for (const Route& route : scenario.routes) {
    if (route.match.attempt) {
      return true;
    }
  }
  return false;
}

bool routes_update_table_size(const Scenario& scenario) noexcept {
  for (const Route& route : scenario.routes) {
    if (route.respond.header_block && !route.respond.header_block->table_size_updates.empty()) {
      return true;
    }
  }
  return false;
}

namespace {

/** value + offset for a decimal capture; nullopt when not a number or out of range. */
std::optional<std::int64_t> add_offset(std::string_view value, std::int64_t offset) {
  const std::optional<std::uint64_t> number = detail::parse_decimal(value);
  if (!number || *number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  const auto base = static_cast<std::int64_t>(*number);
  std::int64_t sum = 0;
  if (__builtin_add_overflow(base, offset, &sum)) {
    return std::nullopt;
  }
  return sum;
}

}  // namespace

std::string expand(std::string_view tmpl, const Captures& captures) {
  std::string out;
  out.reserve(tmpl.size());
  std::size_t done = 0;
  detail::for_each_ref(tmpl, [&](const detail::TemplateRef& ref) {
    const std::size_t start = static_cast<std::size_t>(ref.name.data() - 1 - tmpl.data());
    out.append(tmpl.substr(done, start - done));
    done = start + ref.length;
    const auto it = captures.find(ref.name);
    if (it == captures.end()) {
      out.append(tmpl.substr(start, ref.length));  // unknown: left as is
    } else if (ref.offset == 0) {
      out += it->second;
    } else if (const std::optional<std::int64_t> sum = add_offset(it->second, ref.offset)) {
      out += std::to_string(*sum);
    } else {
      out.append(tmpl.substr(start, ref.length));  // not a number: left as is
    }
  });
  out.append(tmpl.substr(done));
  return out;
}

std::optional<std::uint64_t> resolve(const NumberExpr& expr, const Captures& captures) {
  if (expr.capture.empty()) {
    return expr.literal;
  }
  const auto it = captures.find(expr.capture);
  if (it == captures.end()) {
    return std::nullopt;
  }
  const std::optional<std::uint64_t> number = detail::parse_decimal(it->second);
  if (!number) {
    return std::nullopt;
  }
  if (expr.offset < 0) {
    const auto minus = static_cast<std::uint64_t>(-(expr.offset + 1)) + 1;
    return *number >= minus ? std::optional<std::uint64_t>(*number - minus) : std::nullopt;
  }
  std::uint64_t sum = 0;
  if (__builtin_add_overflow(*number, static_cast<std::uint64_t>(expr.offset), &sum)) {
    return std::nullopt;
  }
  return sum;
}

}  // namespace faultline::scenarios
