#include "detail/path_pattern.h"

#include <algorithm>

#include "detail/templates.h"

namespace faultline::scenarios::detail {
namespace {

constexpr std::string_view kRest = "*";

/** Splits "/a/b" into its segments one at a time ("a", "b"); "/" has one empty segment. */
class Segments {
 public:
  /** text must start with '/'. */
  explicit Segments(std::string_view text) : rest_(text.substr(1)) {}

  [[nodiscard]] bool done() const noexcept { return done_; }

  std::string_view next() {
    const std::size_t slash = rest_.find('/');
    std::string_view segment = rest_.substr(0, slash);
    if (slash == std::string_view::npos) {
      done_ = true;
      rest_ = {};
    } else {
      rest_.remove_prefix(slash + 1);
    }
    return segment;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

bool is_capture(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

/** Characters a pattern may not contain: they would never be part of a request path
    as the server sees it, so the route could not match. */
bool is_forbidden(char c) {
  return c == '?' || c == '#' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
}

}  // namespace

std::string check_pattern(std::string_view pattern, std::vector<std::string>& capture_names) {
  capture_names.clear();
  if (pattern.empty() || pattern.front() != '/') {
    return "must start with \"/\"";
  }
  for (const char c : pattern) {
    if (is_forbidden(c)) {
      return "malformed pattern: a path pattern has no query, fragment, space or control "
             "characters";
    }
  }
  Segments segments(pattern);
  while (!segments.done()) {
    const std::string_view segment = segments.next();
    if (segment == kRest) {
      if (!segments.done()) {
        return "malformed pattern: \"*\" must be the last segment";
      }
      break;
    }
    if (is_capture(segment)) {
      const std::string_view name = segment.substr(1, segment.size() - 2);
      if (!is_identifier(name)) {
        return "malformed pattern: capture \"" + std::string(segment) +
               "\" must be {name} with a name of letters, digits and _";
      }
      if (std::find(capture_names.begin(), capture_names.end(), name) != capture_names.end()) {
        return "malformed pattern: capture {" + std::string(name) + "} appears twice";
      }
      capture_names.emplace_back(name);
      continue;
    }
    if (segment.find_first_of("{}*") != std::string_view::npos) {
      return "malformed pattern: segment \"" + std::string(segment) +
             "\" mixes text with {, } or *; a capture or * must be a whole segment";
    }
  }
  return {};
}

bool match_path(std::string_view pattern, std::string_view path, Captures& captures) {
  captures.clear();
  path = path.substr(0, path.find_first_of("?#"));
  if (path.empty() || path.front() != '/') {
    return false;
  }
  Segments want(pattern);
  Segments have(path);
  while (!want.done()) {
    const std::string_view expected = want.next();
    if (expected == kRest && want.done()) {
      // The rest may be empty ("/a/*" matches "/a/") but a segment must be there.
      return !have.done();
    }
    if (have.done()) {
      return false;
    }
    const std::string_view actual = have.next();
    if (is_capture(expected)) {
      if (actual.empty()) {
        return false;
      }
      captures.insert_or_assign(std::string(expected.substr(1, expected.size() - 2)),
                                std::string(actual));
    } else if (expected != actual) {
      return false;
    }
  }
  return have.done();
}

bool patterns_overlap(std::string_view a, std::string_view b) {
  Segments left(a);
  Segments right(b);
  while (!left.done() && !right.done()) {
    const std::string_view x = left.next();
    const std::string_view y = right.next();
    // A final "*" takes this segment (possibly empty) and whatever follows it.
    if ((x == kRest && left.done()) || (y == kRest && right.done())) {
      return true;
    }
    const bool x_capture = is_capture(x);
    const bool y_capture = is_capture(y);
    if (x_capture && y_capture) {
      continue;
    }
    if (x_capture || y_capture) {
      // A capture takes any non-empty segment.
      if ((x_capture ? y : x).empty()) {
        return false;
      }
      continue;
    }
    if (x != y) {
      return false;
    }
  }
  return left.done() && right.done();
}

}  // namespace faultline::scenarios::detail
