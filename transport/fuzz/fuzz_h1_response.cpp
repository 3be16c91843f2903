// Fuzz target: the HTTP/1.1 fallback's judge of a response's header lines
// (H1ResponseHead: status lines, interim heads, field lines, obs-fold, trailers) fed an
// input cut after each LF, the way libcurl's header callback hands lines over. Besides
// crashes and sanitizer reports, a finding is a head that breaks the documented rules
// (h1_response_head.h): a status outside 200-599, a field name that is not a lower-case
// token, a value with NUL, CR, LF or whitespace at either end, a second head, or a
// rejected response that is later accepted.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "detail/h1_response_head.h"
#include "detail/text.h"

namespace {

using faultline::transport::Headers;
using faultline::transport::detail::H1ResponseHead;

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_h1_response: %s\n", what.c_str());
  std::abort();
}

void check_fields(const Headers& fields, const char* where) {
  for (const auto& [name, value] : fields) {
    if (!faultline::transport::detail::is_token(name) ||
        faultline::transport::detail::to_lower(name) != name) {
      finding(std::string(where) + ": field name \"" + name + "\" is not a lower-case token");
    }
    if (!faultline::transport::detail::is_field_value(value)) {
      finding(std::string(where) + ": value of \"" + name + "\" holds NUL, CR or LF");
    }
    if (!value.empty() && (value.front() == ' ' || value.front() == '\t' || value.back() == ' ' ||
                           value.back() == '\t')) {
      finding(std::string(where) + ": value of \"" + name + "\" is not trimmed");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  H1ResponseHead head;
  int heads = 0;
  bool rejected = false;
  std::size_t at = 0;
  while (at < input.size()) {
    const auto lf = input.find('\n', at);
    const auto end = lf == std::string_view::npos ? input.size() : lf + 1;
    const auto step = head.on_line(input.substr(at, end - at));
    at = end;
    if (rejected && step != H1ResponseHead::Step::rejected) {
      finding("a rejected response took a line again");
    }
    switch (step) {
      case H1ResponseHead::Step::head: {
        if (++heads > 1) {
          finding("a second final head");
        }
        if (head.status() < 200 || head.status() > 599) {
          finding("final status " + std::to_string(head.status()));
        }
        check_fields(head.take_headers(), "head");
        break;
      }
      case H1ResponseHead::Step::rejected:
        if (head.error().empty()) {
          finding("rejected without a reason");
        }
        rejected = true;
        break;
      case H1ResponseHead::Step::interim:
        if (heads > 0 || head.interim_status() < 100 || head.interim_status() > 199) {
          finding("interim status " + std::to_string(head.interim_status()));
        }
        check_fields(head.take_interim(), "interim head");
        break;
      case H1ResponseHead::Step::more:
        break;
    }
  }
  if (head.head_done() != (heads == 1)) {
    finding("head_done() disagrees with the steps");
  }
  check_fields(head.take_trailers(), "trailers");
  return 0;
}
