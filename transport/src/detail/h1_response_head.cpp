#include "detail/h1_response_head.h"

#include <algorithm>
#include <optional>

#include "detail/limits.h"
#include "detail/text.h"

namespace faultline::transport::detail {
namespace {

constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_ows(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

}  // namespace

H1ResponseHead::Step H1ResponseHead::reject(std::string why) {
  error_ = std::move(why);
  fields_.clear();
  trailers_.clear();
  return Step::rejected;
}

H1ResponseHead::Step H1ResponseHead::on_line(std::string_view line) {
  if (rejected()) {
    return Step::rejected;
  }
  const std::size_t bytes = line.size();
  if (line.ends_with('\n')) {
    line.remove_suffix(1);
  }
  if (line.ends_with('\r')) {
    line.remove_suffix(1);
  }
  if (head_done_) {
    trailer_bytes_ += bytes;
    if (trailer_bytes_ > max_trailer_bytes_) {
      too_large_ = true;
      return reject("trailers longer than " + std::to_string(max_trailer_bytes_) + " bytes");
    }
    if (line.empty()) {
      return Step::more;  // the end of the trailers
    }
    if (line.starts_with("HTTP/")) {
      return reject("a status line after the final head");
    }
    return on_field_line(line, trailers_);
  }
  head_bytes_ += bytes;
  if (head_bytes_ > max_head_bytes_) {
    too_large_ = true;
    return reject("response head longer than " + std::to_string(max_head_bytes_) + " bytes");
  }
  if (!in_head_) {
    return on_status_line(line);
  }
  if (!line.empty()) {
    return on_field_line(line, fields_);
  }
  in_head_ = false;
  if (status_ < 200) {
    // An interim head: the final one follows, without these fields.
    interim_ = fields_;
    if (!keep_interim_) {
      fields_.clear();
    }
    return Step::interim;
  }
  if (auto why = judge_content_length_ ? conflicting_content_length() : std::string();
      !why.empty()) {
    return reject(std::move(why));
  }
  head_done_ = true;
  return Step::head;
}

std::string H1ResponseHead::conflicting_content_length() const {
  // RFC 9112 6.3: Content-Length fields (or list members) that differ, or one that is not
  // a number, are an unrecoverable framing error; identical repeats are one length.
  std::optional<std::string_view> first;
  for (const auto& [name, value] : fields_) {
    if (name != "content-length") {
      continue;
    }
    std::string_view rest = value;
    for (;;) {
      const auto comma = rest.find(',');
      const auto member = trim_ows(rest.substr(0, comma));
      if (member.empty() || !std::all_of(member.begin(), member.end(), is_digit)) {
        return "malformed Content-Length \"" + value + "\"";
      }
      if (first && *first != member) {
        return "conflicting Content-Length values " + std::string(*first) + " and " +
               std::string(member);
      }
      first = member;
      if (comma == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(comma + 1);
    }
  }
  return {};
}

H1ResponseHead::Step H1ResponseHead::on_status_line(std::string_view line) {
  // HTTP/1.<digit> SP 3DIGIT [SP reason-phrase]
  constexpr std::string_view kPrefix = "HTTP/1.";
  if (!line.starts_with(kPrefix) || line.size() < kPrefix.size() + 5 ||
      !is_digit(line[kPrefix.size()]) || line[kPrefix.size() + 1] != ' ') {
    return reject("malformed status line");
  }
  const auto rest = line.substr(kPrefix.size() + 2);
  const auto code = parse_status_code(rest.substr(0, 3));
  if (!code || (rest.size() > 3 && rest[3] != ' ')) {
    return reject("malformed status code");
  }
  if (!is_field_value(rest)) {
    return reject("NUL or CR in the status line");
  }
  if (*code == 101) {
    return reject("101 Switching Protocols without an Upgrade request");
  }
  status_ = *code;
  in_head_ = true;
  return Step::more;
}

H1ResponseHead::Step H1ResponseHead::on_field_line(std::string_view line, Headers& target) {
  if (!is_field_value(line)) {
    return reject("NUL or CR in a field line");
  }
  if (is_ows(line.front())) {
    // obs-fold (RFC 9112 5.2): the line continues the previous field's value.
    if (target.empty()) {
      return reject("a continuation line without a field before it");
    }
    const auto more = trim_ows(line);
    auto& value = target.back().second;
    if (!more.empty()) {
      value += value.empty() ? "" : " ";
      value.append(more);
    }
    return Step::more;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    return reject("a field line without a colon");
  }
  const auto name = line.substr(0, colon);
  if (!is_token(name)) {
    return reject("a field name that is not a token");
  }
  target.emplace_back(to_lower(name), std::string(trim_ows(line.substr(colon + 1))));
  return Step::more;
}

}  // namespace faultline::transport::detail
