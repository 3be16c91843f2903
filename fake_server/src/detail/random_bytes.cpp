#include "detail/random_bytes.h"

#include <array>
#include <bit>
#include <cstring>
#include <memory>

namespace faultline::fake_server::detail {

std::uint64_t RandomBytes::next_word() noexcept {
  state_ += kGamma;
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

void RandomBytes::seek(std::uint64_t seed, std::uint64_t offset) noexcept {
  state_ = seed + (offset / 8) * kGamma;
  word_left_ = 0;
  const auto into_word = static_cast<unsigned>(offset % 8);
  if (into_word != 0) {
    word_ = next_word() >> (8 * into_word);
    word_left_ = 8 - into_word;
  }
}

std::span<const std::uint8_t> random_prefix(std::uint64_t seed) {
  struct Entry {
    std::uint64_t seed = 0;
    std::unique_ptr<std::uint8_t[]> bytes;
  };
  constexpr std::size_t kSeeds = 8;
  thread_local std::array<Entry, kSeeds> cache;
  thread_local std::size_t next_victim = 0;
  for (const Entry& entry : cache) {
    if (entry.bytes && entry.seed == seed) {
      return {entry.bytes.get(), kRandomPrefixBytes};
    }
  }
  Entry& entry = cache[next_victim];
  next_victim = (next_victim + 1) % kSeeds;
  if (!entry.bytes) {
    entry.bytes = std::make_unique<std::uint8_t[]>(kRandomPrefixBytes);
  }
  entry.seed = seed;
  RandomBytes(seed).fill({entry.bytes.get(), kRandomPrefixBytes});
  return {entry.bytes.get(), kRandomPrefixBytes};
}

}  // namespace faultline::fake_server::detail
