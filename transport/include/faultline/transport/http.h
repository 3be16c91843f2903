// Small vocabulary types shared by requests and responses.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline::transport {

/** One header field. Names are compared case-insensitively; h2 sends them lower-case. */
using Header = std::pair<std::string, std::string>;

/** Header fields in wire order; repeated names are kept. */
using Headers = std::vector<Header>;

/** The value of the first field named `name` (case-insensitive), or empty. */
[[nodiscard]] std::string_view find_header(const Headers& headers, std::string_view name) noexcept;

/** True when `headers` holds a field named `name` (case-insensitive). */
[[nodiscard]] bool has_header(const Headers& headers, std::string_view name) noexcept;

/** Which protocol served a response. */
enum class Protocol {
  none,    ///< no response (the request failed before one arrived)
  http2,   ///< HTTP/2 over TLS (ALPN h2)
  http11,  ///< HTTP/1.1 (libcurl fallback)
};

/** "h2", "http/1.1" or "none". */
[[nodiscard]] std::string_view to_string(Protocol p) noexcept;
/** Writes to_string(p). */
std::ostream& operator<<(std::ostream& out, Protocol p);

}  // namespace faultline::transport
