#include "faultline/harness/errc.h"

namespace faultline::harness {
namespace {

class HarnessCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "faultline.harness"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::spawn_failed:
        return "child program could not be started";
      case errc::ready_timeout:
        return "no ready line within the deadline";
      case errc::exited_early:
        return "server exited before its ready line";
      case errc::bad_ready_line:
        return "invalid ready line";
      case errc::stop_timeout:
        return "child did not exit after SIGTERM (killed)";
      case errc::bad_exit_status:
        return "child exited with a failure status";
      case errc::admin_unreachable:
        return "admin API unreachable";
      case errc::admin_timeout:
        return "admin API call timed out";
      case errc::admin_bad_response:
        return "admin API answer is not JSON";
      case errc::driver_no_hello:
        return "driver did not answer hello in time";
      case errc::driver_bad_hello:
        return "driver hello is malformed or of another protocol version";
      case errc::driver_bad_json:
        return "driver wrote a line that is not a JSON object";
      case errc::driver_unknown_id:
        return "driver event for a request id not in flight";
      case errc::driver_missing_field:
        return "driver event lacks a field or has it mistyped";
      case errc::driver_unknown_event:
        return "driver event of an unknown type";
      case errc::driver_bad_order:
        return "driver events out of order";
      case errc::driver_exited:
        return "driver exited unasked";
      case errc::driver_failed:
        return "driver failed earlier";
      case errc::wait_timeout:
        return "wait ran past its deadline";
    }
    return "unknown harness error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& harness_category() noexcept {
  static const HarnessCategory category;
  return category;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), harness_category()};
}

}  // namespace faultline::harness
