// Fuzz target: the harness's reader of a driver's JSON lines (parse_driver_line). Input:
// what a driver wrote on stdout, cut at newlines. No line may make the reader throw; a
// violation's message ends up in the conformance reports (JSON), so for a line that is
// valid UTF-8 it must be valid UTF-8 too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "detail/protocol.h"

namespace {

namespace detail = faultline::harness::detail;

[[noreturn]] void finding(const std::string& what, std::string_view line) {
  std::fprintf(stderr, "fuzz_driver_line: %s\nline: %s\n", what.c_str(),
               detail::quote_line(line).c_str());
  std::abort();
}

/** True when `text` is valid UTF-8 (nlohmann's strict dump is the judge). */
bool valid_utf8(std::string_view text) {
  try {
    (void)nlohmann::json(std::string(text)).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

void check_line(std::string_view line) {
  detail::DriverLine parsed;
  try {
    parsed = detail::parse_driver_line(line);
  } catch (const std::exception& e) {
    finding(std::string("parse_driver_line threw: ") + e.what(), line);
  }
  if (const auto* violation = std::get_if<detail::Violation>(&parsed)) {
    if (violation->message.empty()) {
      finding("a violation without a message", line);
    }
    if (valid_utf8(line) && !valid_utf8(violation->message)) {
      finding("a UTF-8 line gave a message that is not UTF-8: " + violation->message, line);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    const std::size_t end = input.find('\n');
    check_line(input.substr(0, end));
    input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);
  }
  return 0;
}
