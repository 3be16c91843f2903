// A per-connection allocator for nghttp2: the few block sizes a session allocates per
// stream (stream state, header fields, frame buffers) are kept on free lists and reused,
// instead of a malloc/free pair each time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include <nghttp2/nghttp2.h>

namespace faultline::fake_server::detail {

/** Size-class free lists for one nghttp2 session. Single-threaded (the connection's
    strand). Must outlive the session it serves. Free blocks are cached while the cache
    holds less than kCacheBytes; beyond that they go back to malloc, so a connection keeps
    at most kCacheBytes cached, and only after a burst that needed them. */
class H2Memory {
 public:
  static constexpr std::size_t kClasses = 7;  ///< 64, 128, ..., 4096 bytes
  static constexpr std::size_t kCacheBytes = 128 * 1024;

  H2Memory() noexcept;
  ~H2Memory();
  H2Memory(const H2Memory&) = delete;
  H2Memory& operator=(const H2Memory&) = delete;

  /** The nghttp2_mem that routes nghttp2's allocations here. */
  [[nodiscard]] nghttp2_mem* mem() noexcept { return &mem_; }

  void* allocate(std::size_t size);
  void release(void* ptr) noexcept;
  void* reallocate(void* ptr, std::size_t size);

  /** Free blocks cached now (for tests). */
  [[nodiscard]] std::size_t cached_blocks() const noexcept;
  /** Blocks handed out and not yet released: what the session holds. */
  [[nodiscard]] std::size_t live_blocks() const noexcept { return live_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  std::array<FreeBlock*, kClasses> free_{};
  std::array<std::uint32_t, kClasses> cached_{};
  std::size_t live_ = 0;
  std::size_t cached_bytes_ = 0;
  nghttp2_mem mem_{};
};

}  // namespace faultline::fake_server::detail
