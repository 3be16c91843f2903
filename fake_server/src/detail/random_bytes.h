// Deterministic pseudo-random body bytes: the splitmix64 stream of a seed.
#pragma once

#include <cstdint>
#include <span>

namespace faultline::fake_server::detail {

/** The byte stream of a seed: byte i is byte (i % 8) (little-endian) of the (i / 8)-th
    splitmix64 output, the generator's state starting at the seed. The same seed gives
    the same bytes however the stream is cut into chunks (docs/admin-api.md). */
class RandomBytes {
 public:
  explicit RandomBytes(std::uint64_t seed) noexcept : state_(seed) {}

  /** Writes the next out.size() bytes of the stream. */
  void fill(std::span<std::uint8_t> out) noexcept;

 private:
  std::uint64_t next_word() noexcept;

  std::uint64_t state_;
  std::uint64_t word_ = 0;
  unsigned word_left_ = 0;  ///< bytes of word_ not yet emitted (taken from the low end)
};

}  // namespace faultline::fake_server::detail
