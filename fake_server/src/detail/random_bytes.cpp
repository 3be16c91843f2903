#include "detail/random_bytes.h"

#include <bit>
#include <cstring>

namespace faultline::fake_server::detail {

std::uint64_t RandomBytes::next_word() noexcept {
  state_ += 0x9e3779b97f4a7c15ull;
  std::uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void RandomBytes::fill(std::span<std::uint8_t> out) noexcept {
  std::size_t i = 0;
  // Drain what is left of the current word.
  while (word_left_ > 0 && i < out.size()) {
    out[i++] = static_cast<std::uint8_t>(word_);
    word_ >>= 8;
    --word_left_;
  }
  // Whole words at a time.
  while (out.size() - i >= 8) {
    std::uint64_t word = next_word();
    if constexpr (std::endian::native == std::endian::big) {
      word = __builtin_bswap64(word);
    }
    std::memcpy(out.data() + i, &word, 8);
    i += 8;
  }
  // A tail: start a word and keep the rest for the next call.
  if (i < out.size()) {
    word_ = next_word();
    word_left_ = 8;
    while (i < out.size()) {
      out[i++] = static_cast<std::uint8_t>(word_);
      word_ >>= 8;
      --word_left_;
    }
  }
}

}  // namespace faultline::fake_server::detail
