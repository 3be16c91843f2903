// Error codes of the fake server (start-up and configuration failures).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace faultline::fake_server {

/** Why the server could not start or apply a configuration. */
enum class errc {
  invalid_argument = 1,  ///< a command-line option or option value is malformed
  scenario_invalid,      ///< the scenario does not validate (message starts with its JSON path)
  bind_failed,           ///< a listening socket could not be bound (port in use, bad address)
  tls_failed,            ///< certificates could not be generated, loaded or applied
  io_failed,             ///< a file or directory could not be created or written
};

/** The category of errc ("faultline.fake_server"). */
[[nodiscard]] const std::error_category& fake_server_category() noexcept;

[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

/** The enumerator's name, e.g. "bind_failed" (stable; "unknown" for other values). */
[[nodiscard]] std::string_view to_string(errc e) noexcept;

/** Every errc value, in declaration order (for tests and documentation). */
inline constexpr errc kAllErrc[] = {
    errc::invalid_argument, errc::scenario_invalid, errc::bind_failed,
    errc::tls_failed,       errc::io_failed,
};

/** A start-up failure: what() is one line suitable for "faultline-server: error: <what>". */
class ServerError : public std::runtime_error {
 public:
  ServerError(errc code, const std::string& message)
      : std::runtime_error(message), code_(make_error_code(code)) {}
  [[nodiscard]] const std::error_code& code() const noexcept { return code_; }

 private:
  std::error_code code_;
};

}  // namespace faultline::fake_server

template <>
struct std::is_error_code_enum<faultline::fake_server::errc> : std::true_type {};
