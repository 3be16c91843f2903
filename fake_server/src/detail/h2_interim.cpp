#include "detail/h2_interim.h"

#include <nghttp2/nghttp2.h>

#include <array>
#include <charconv>
#include <string>

#include "detail/text.h"

namespace faultline::fake_server::detail {
namespace {

nghttp2_nv nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

int submit_interim(nghttp2_session* session, std::int32_t stream_id, int status,
                   const std::vector<scenarios::Header>& headers) {
  std::array<char, 4> code{};
  const auto end = std::to_chars(code.data(), code.data() + code.size(), status);
  std::vector<nghttp2_nv> nva;
  nva.reserve(headers.size() + 1);
  nva.push_back(nv(":status",
                   std::string_view(code.data(), static_cast<std::size_t>(end.ptr - code.data()))));
  for (const auto& [name, value] : headers) {
    nva.push_back(nv(name, value));
  }
  // nghttp2 copies the fields on submit; no END_STREAM: the final head follows.
  return nghttp2_submit_headers(session, NGHTTP2_FLAG_NONE, stream_id, nullptr, nva.data(),
                                nva.size(), nullptr);
}

bool is_final_head(const nghttp2_frame& frame) noexcept {
  if (frame.hd.type != NGHTTP2_HEADERS ||
      (frame.headers.cat != NGHTTP2_HCAT_RESPONSE && frame.headers.cat != NGHTTP2_HCAT_HEADERS) ||
      frame.headers.nvlen == 0) {
    return false;
  }
  const nghttp2_nv& first = frame.headers.nva[0];
  const std::string_view name(reinterpret_cast<const char*>(first.name), first.namelen);
  return name == ":status" && first.valuelen == 3 && first.value[0] != '1';
}

bool expects_continue(const std::vector<std::pair<std::string, std::string>>& headers) noexcept {
  for (const auto& [name, value] : headers) {
    if (iequals(name, "expect") && iequals(value, "100-continue")) {
      return true;
    }
  }
  return false;
}

}  // namespace faultline::fake_server::detail
