// The driver protocol's wire format (docs/driver-protocol.md): encoding the harness's
// operations and decoding/validating a driver's lines. No I/O here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "faultline/harness/driver.h"
#include "faultline/harness/errc.h"

namespace faultline::harness::detail {

/** {"op":"request",...} plus the newline. */
[[nodiscard]] std::string encode_request(const Request& request);
/** {"op":"abort","id":N} plus the newline. */
[[nodiscard]] std::string encode_abort(std::uint64_t id);
/** {"op":"<op>","id":N} plus the newline, for pause and resume. */
[[nodiscard]] std::string encode_id_op(std::string_view op, std::uint64_t id);
/** {"op":"<op>"} plus the newline, for hello, stats and shutdown. */
[[nodiscard]] std::string encode_op(std::string_view op);

/** A driver's hello. */
struct HelloLine {
  DriverInfo info;
};
/** A driver's stats answer (the object without "event"). */
struct StatsLine {
  nlohmann::json stats;
};
/** An event of one request; t_ms is negative when the driver did not send it. */
struct EventLine {
  std::uint64_t id = 0;
  Event event;
};
/** A line that breaks the protocol; message names the fault and quotes the line. */
struct Violation {
  errc code;
  std::string message;
};

using DriverLine = std::variant<HelloLine, StatsLine, EventLine, Violation>;

/** Decodes and validates one line a driver wrote (without its newline). Only the
    per-line rules are checked here; ordering across lines is the caller's. */
[[nodiscard]] DriverLine parse_driver_line(std::string_view line);

/** A line cut to kQuotedLineBytes for messages. */
[[nodiscard]] std::string quote_line(std::string_view line);

}  // namespace faultline::harness::detail
