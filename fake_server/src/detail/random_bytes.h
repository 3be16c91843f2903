// Deterministic pseudo-random body bytes: the splitmix64 stream of a seed.
#pragma once

#include <cstddef>
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

  /** Goes to byte `offset` of the seed's stream (the state is seed + words x gamma). */
  void seek(std::uint64_t seed, std::uint64_t offset) noexcept;

 private:
  std::uint64_t next_word() noexcept;

  static constexpr std::uint64_t kGamma = 0x9e3779b97f4a7c15ull;

  std::uint64_t state_;
  std::uint64_t word_ = 0;
  unsigned word_left_ = 0;  ///< bytes of word_ not yet emitted (taken from the low end)
};

/** The first `kRandomPrefixBytes` bytes of a seed's stream, generated once per I/O thread
    and kept for the last few seeds: a random body that fits is copied from here instead
    of generated for every response. */
inline constexpr std::size_t kRandomPrefixBytes = 32 * 1024;
[[nodiscard]] std::span<const std::uint8_t> random_prefix(std::uint64_t seed);

}  // namespace faultline::fake_server::detail
