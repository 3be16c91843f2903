// Fuzz target: the echo route's multipart/form-data parser. Input: a Content-Type value
// up to the first newline, then the body. The body is parsed twice, whole and cut at
// pseudo-random sizes: a streaming parser must give the same parts, the same verdict
// and the same error either way, and cannot report more part bytes than arrived.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>

#include "detail/multipart.h"

namespace {

using faultline::fake_server::detail::MultipartParser;
using faultline::fake_server::detail::PartDigest;

/** The boundary to parse with when the Content-Type names none (the body is still fuzzed). */
constexpr std::string_view kFallbackBoundary = "fuzz-boundary";

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "fuzz_multipart: %s\n", what);
  std::abort();
}

bool same(const PartDigest& a, const PartDigest& b) {
  return a.name == b.name && a.filename == b.filename && a.content_type == b.content_type &&
         a.bytes == b.bytes && a.sha256 == b.sha256;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using faultline::fake_server::detail::multipart_boundary;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view content_type = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  const std::string boundary =
      multipart_boundary(content_type).value_or(std::string(kFallbackBoundary));

  MultipartParser whole(boundary);
  whole.feed(body);
  whole.finish();

  MultipartParser pieces(boundary);
  std::minstd_rand rng(static_cast<std::uint32_t>(size) + 1);
  for (std::size_t at = 0; at < body.size();) {
    const std::size_t n = std::min<std::size_t>(
        std::uniform_int_distribution<std::size_t>(1, 41)(rng), body.size() - at);
    pieces.feed(body.substr(at, n));
    at += n;
  }
  pieces.finish();

  if (whole.complete() != pieces.complete()) {
    finding("complete() depends on how the body was cut");
  }
  if (whole.error() != pieces.error()) {
    finding("error() depends on how the body was cut");
  }
  if (whole.parts().size() != pieces.parts().size()) {
    finding("the number of parts depends on how the body was cut");
  }
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < whole.parts().size(); ++i) {
    if (!same(whole.parts()[i], pieces.parts()[i])) {
      finding("a part's digest depends on how the body was cut");
    }
    total += whole.parts()[i].bytes;
  }
  if (total > body.size()) {
    finding("more part bytes reported than the body holds");
  }
  return 0;
}
