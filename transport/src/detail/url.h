// Absolute http(s) URLs: parsing, origins, and resolving a redirect's Location.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::transport::detail {

/** A parsed absolute http:// or https:// URL (no user info; the fragment is dropped). */
struct Url {
  std::string scheme;          ///< "http" or "https", lower case
  std::string host;            ///< lower case; IPv6 literals keep their brackets
  std::uint16_t port = 0;      ///< explicit or the scheme's default
  std::string path_and_query;  ///< starts with '/'

  [[nodiscard]] bool tls() const noexcept { return scheme == "https"; }
  /** "https://host:port", always with the port: the pool key. */
  [[nodiscard]] std::string origin() const;
  /** host, plus ":port" when not the default: the :authority / Host value. */
  [[nodiscard]] std::string authority() const;
  /** The host without IPv6 brackets, for name resolution and SNI. */
  [[nodiscard]] std::string bare_host() const;
  /** The URL as text (scheme://authority/path?query). */
  [[nodiscard]] std::string str() const;
};

/** Parses an absolute URL; nullopt (with `why` set) when it is not a valid http(s) URL. */
[[nodiscard]] std::optional<Url> parse_url(std::string_view text, std::string* why = nullptr);

/** Resolves `reference` (a Location value) against `base` (RFC 3986 section 5.2);
    nullopt when the result is not a valid http(s) URL. */
[[nodiscard]] std::optional<Url> resolve_url(const Url& base, std::string_view reference);

/** Removes "." and ".." segments of a path (RFC 3986 section 5.2.4). */
[[nodiscard]] std::string remove_dot_segments(std::string_view path);

}  // namespace faultline::transport::detail
