// Error codes of the harness and the exception thrown on start-up failures.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace faultline::harness {

/** What went wrong in the harness itself (never a verdict about a transport). */
enum class errc {
  spawn_failed = 1,      ///< a child program could not be started
  ready_timeout,         ///< the server printed no ready line within the deadline
  exited_early,          ///< the server exited before its ready line
  bad_ready_line,        ///< the server's first stdout line is not a valid ready line
  stop_timeout,          ///< a child did not exit after SIGTERM within the deadline (killed)
  bad_exit_status,       ///< a child exited with a non-zero status or by a signal
  admin_unreachable,     ///< the admin API could not be reached (connect/transfer error)
  admin_timeout,         ///< an admin API call did not complete within its timeout
  admin_bad_response,    ///< the admin API answered something that is not JSON
  driver_no_hello,       ///< an external driver did not answer hello within the deadline
  driver_bad_hello,      ///< the hello event is malformed or of another protocol version
  driver_bad_json,       ///< an external driver wrote a line that is not a JSON object
  driver_unknown_id,     ///< an event names a request id that is not in flight
  driver_missing_field,  ///< an event lacks a required field or has it with a wrong type
  driver_unknown_event,  ///< an event type the protocol does not define
  driver_bad_order,      ///< events of a request out of the protocol's order
  driver_exited,         ///< an external driver exited or closed stdout unasked
  driver_failed,         ///< the driver is unusable after an earlier fault
  wait_timeout,          ///< a wait on a driver's answer ran past its deadline
};

/** The category of errc ("faultline.harness"). */
[[nodiscard]] const std::error_category& harness_category() noexcept;

/** Makes errc usable as std::error_code. */
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

/** A start-up or configuration failure of the harness: a server or driver that did not
    come up, with everything known about why (its stderr included). */
class HarnessError : public std::runtime_error {
 public:
  HarnessError(errc code, const std::string& what)
      : std::runtime_error(what), code_(make_error_code(code)) {}
  /** Which failure this is; what() is the full description. */
  [[nodiscard]] std::error_code code() const noexcept { return code_; }

 private:
  std::error_code code_;
};

}  // namespace faultline::harness

template <>
struct std::is_error_code_enum<faultline::harness::errc> : std::true_type {};
