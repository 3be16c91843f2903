#include "detail/url.h"

#include <charconv>

#include "detail/text.h"

namespace faultline::transport::detail {
namespace {

std::uint16_t default_port(std::string_view scheme) {
  return scheme == "https" ? 443 : 80;
}

bool set_why(std::string* why, const char* text) {
  if (why != nullptr) {
    *why = text;
  }
  return false;
}

bool valid_reg_name(std::string_view host) {
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == '~' || c == '%';
    if (!ok) {
      return false;
    }
  }
  return !host.empty();
}

bool valid_path_char(char c) {
  return c > 0x20 && c != 0x7f && c != '#';
}

/** Splits "host[:port]" or "[v6][:port]"; false when malformed. */
bool parse_authority(std::string_view authority, Url& url, std::string* why) {
  if (authority.find('@') != std::string_view::npos) {
    return set_why(why, "user info in URLs is not supported");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return set_why(why, "unterminated IPv6 literal");
    }
    host = authority.substr(0, close + 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return set_why(why, "garbage after IPv6 literal");
      }
      port = rest.substr(1);
    }
    const auto inner = host.substr(1, host.size() - 2);
    if (inner.empty() ||
        inner.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
      return set_why(why, "invalid IPv6 literal");
    }
  } else {
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (!valid_reg_name(host)) {
      return set_why(why, "invalid or empty host");
    }
  }
  url.host = to_lower(host);
  url.port = default_port(url.scheme);
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return set_why(why, "invalid port");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return true;
}

/** The scheme of `ref` if it starts with one ("scheme:"), else empty. */
std::string_view scheme_of(std::string_view ref) {
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const char c = ref[i];
    if (c == ':') {
      return i == 0 ? std::string_view{} : ref.substr(0, i);
    }
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool other = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!(alpha || (i > 0 && other))) {
      return {};
    }
  }
  return {};
}

}  // namespace

std::string Url::origin() const {
  return scheme + "://" + host + ":" + std::to_string(port);
}

std::string Url::authority() const {
  if (port == default_port(scheme)) {
    return host;
  }
  return host + ":" + std::to_string(port);
}

std::string Url::bare_host() const {
  if (host.size() >= 2 && host.front() == '[') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

std::string Url::str() const {
  return scheme + "://" + authority() + path_and_query;
}

std::optional<Url> parse_url(std::string_view text, std::string* why) {
  Url url;
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    set_why(why, "not an absolute URL (scheme://host/...)");
    return std::nullopt;
  }
  url.scheme = to_lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") {
    set_why(why, "scheme is not http or https");
    return std::nullopt;
  }
  auto rest = text.substr(sep + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  const auto path_start = rest.find_first_of("/?");
  const auto authority = rest.substr(0, path_start);
  if (!parse_authority(authority, url, why)) {
    return std::nullopt;
  }
  std::string_view path =
      path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
  for (char c : path) {
    if (!valid_path_char(c)) {
      set_why(why, "invalid character in path or query");
      return std::nullopt;
    }
  }
  const auto query = path.find('?');
  const auto path_only = path.substr(0, query);
  url.path_and_query = remove_dot_segments(path_only.empty() ? "/" : path_only);
  if (url.path_and_query.empty() || url.path_and_query.front() != '/') {
    url.path_and_query.insert(url.path_and_query.begin(), '/');
  }
  if (query != std::string_view::npos) {
    url.path_and_query += path.substr(query);
  }
  return url;
}

std::optional<Url> resolve_url(const Url& base, std::string_view reference) {
  while (!reference.empty() && (reference.front() == ' ' || reference.front() == '\t')) {
    reference.remove_prefix(1);
  }
  while (!reference.empty() && (reference.back() == ' ' || reference.back() == '\t')) {
    reference.remove_suffix(1);
  }
  if (const auto hash = reference.find('#'); hash != std::string_view::npos) {
    reference = reference.substr(0, hash);
  }
  if (!scheme_of(reference).empty()) {
    return parse_url(reference);
  }
  if (reference.starts_with("//")) {
    return parse_url(base.scheme + ":" + std::string(reference));
  }
  const std::string prefix = base.scheme + "://" + base.authority();
  const auto base_query = base.path_and_query.find('?');
  const std::string base_path = base.path_and_query.substr(0, base_query);
  if (reference.empty()) {
    return parse_url(prefix + base.path_and_query);
  }
  if (reference.front() == '/') {
    return parse_url(prefix + std::string(reference));
  }
  if (reference.front() == '?') {
    return parse_url(prefix + base_path + std::string(reference));
  }
  const auto slash = base_path.rfind('/');
  const std::string dir = slash == std::string::npos ? "/" : base_path.substr(0, slash + 1);
  return parse_url(prefix + dir + std::string(reference));
}

std::string remove_dot_segments(std::string_view path) {
  std::string out;
  std::string_view in = path;
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../") || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      const auto last = out.rfind('/');
      out.erase(last == std::string::npos ? 0 : last);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const auto next = in.find('/', in.front() == '/' ? 1 : 0);
      const auto segment = in.substr(0, next);
      out += segment;
      in.remove_prefix(segment.size());
    }
  }
  return out;
}

}  // namespace faultline::transport::detail
