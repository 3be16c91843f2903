#include "faultline/common/base64.h"

#include <array>
#include <cstdint>

namespace faultline::common {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int kInvalid = -1;

constexpr std::array<int, 256> make_decode_table() {
  std::array<int, 256> table{};
  table.fill(kInvalid);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  }
  return table;
}

constexpr std::array<int, 256> kDecode = make_decode_table();

std::uint32_t byte_at(std::string_view bytes, std::size_t i) {
  return static_cast<unsigned char>(bytes[i]);
}

/** How many '=' end the text: at most two when padding is required, any number else. */
std::size_t trailing_padding(std::string_view text, Base64Padding padding) {
  const std::size_t most = padding == Base64Padding::required ? 2 : text.size();
  std::size_t pad = 0;
  while (pad < most && pad < text.size() && text[text.size() - 1 - pad] == '=') {
    ++pad;
  }
  return pad;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v =
        byte_at(bytes, i) << 16 | byte_at(bytes, i + 1) << 8 | byte_at(bytes, i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = byte_at(bytes, i) << 16;
    if (rest == 2) {
      v |= byte_at(bytes, i + 1) << 8;
    }
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text, Base64Padding padding) {
  const bool strict = padding == Base64Padding::required;
  if (strict && text.size() % 4 != 0) {
    return std::nullopt;
  }
  const std::size_t pad = trailing_padding(text, padding);
  const std::string_view digits = text.substr(0, text.size() - pad);
  // One digit carries 6 bits: a lone digit at the end is never a whole byte.
  if (digits.size() % 4 == 1) {
    return std::nullopt;
  }
  if (strict && pad != (4 - digits.size() % 4) % 4) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(digits.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;  // the bits read but not yet written, in the low `pending` ones
  int pending = 0;
  for (const char c : digits) {
    const int v = kDecode[static_cast<unsigned char>(c)];
    if (v == kInvalid) {
      return std::nullopt;
    }
    bits = bits << 6 | static_cast<std::uint32_t>(v);
    pending += 6;
    if (pending >= 8) {
      pending -= 8;
      out += static_cast<char>((bits >> pending) & 0xff);
      bits &= (1U << pending) - 1;
    }
  }
  // Canonical form only: the bits the padding drops must be zero.
  if (strict && bits != 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace faultline::common
