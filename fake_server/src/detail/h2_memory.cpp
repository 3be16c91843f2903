#include "detail/h2_memory.h"

#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

namespace faultline::fake_server::detail {
namespace {

// Every block starts with a header holding its size class (kDirect: a plain malloc of
// the recorded size), padded so that the payload keeps malloc's alignment.
constexpr std::size_t kHeader = alignof(std::max_align_t);
constexpr std::uint32_t kDirect = 0xFFFFFFFFu;
constexpr std::size_t kSmallest = 64;

struct Header {
  std::uint32_t size_class;
  std::uint32_t direct_size;  ///< payload bytes of a direct block (< 4 GiB)
};
static_assert(sizeof(Header) <= kHeader);

std::size_t class_bytes(std::size_t c) {
  return kSmallest << c;
}

/** The smallest class whose payload holds `size`, or kDirect. */
std::uint32_t class_of(std::size_t size) {
  if (size <= kSmallest) {
    return 0;
  }
  const auto c = static_cast<std::size_t>(std::bit_width(size - 1)) - 6;  // 2^6 = kSmallest
  return c < H2Memory::kClasses ? static_cast<std::uint32_t>(c) : kDirect;
}

Header* header_of(void* payload) {
  return reinterpret_cast<Header*>(static_cast<unsigned char*>(payload) - kHeader);
}

void* payload_of(void* block) {
  return static_cast<unsigned char*>(block) + kHeader;
}

std::size_t payload_size(const Header& h) {
  return h.size_class == kDirect ? h.direct_size : class_bytes(h.size_class);
}

void* forward_malloc(std::size_t size, void* self) {
  return static_cast<H2Memory*>(self)->allocate(size);
}
void forward_free(void* ptr, void* self) {
  static_cast<H2Memory*>(self)->release(ptr);
}
void* forward_calloc(std::size_t n, std::size_t size, void* self) {
  if (size != 0 && n > (static_cast<std::size_t>(-1) - kHeader) / size) {
    return nullptr;
  }
  void* p = static_cast<H2Memory*>(self)->allocate(n * size);
  if (p != nullptr) {
    std::memset(p, 0, n * size);
  }
  return p;
}
void* forward_realloc(void* ptr, std::size_t size, void* self) {
  return static_cast<H2Memory*>(self)->reallocate(ptr, size);
}

}  // namespace

H2Memory::H2Memory() noexcept
    : mem_{this, forward_malloc, forward_free, forward_calloc, forward_realloc} {}

H2Memory::~H2Memory() {
  for (FreeBlock*& head : free_) {
    while (head != nullptr) {
      FreeBlock* next = head->next;
      std::free(head);
      head = next;
    }
  }
}

void* H2Memory::allocate(std::size_t size) {
  const std::uint32_t c = class_of(size);
  if (c == kDirect) {
    if (size > 0xFFFFFFFFu - kHeader) {
      return nullptr;
    }
    void* block = std::malloc(kHeader + size);
    if (block == nullptr) {
      return nullptr;
    }
    *static_cast<Header*>(block) = Header{kDirect, static_cast<std::uint32_t>(size)};
    ++live_;
    return payload_of(block);
  }
  void* block = nullptr;
  if (free_[c] != nullptr) {
    block = free_[c];
    free_[c] = free_[c]->next;
    --cached_[c];
    cached_bytes_ -= class_bytes(c);
  } else {
    block = std::malloc(kHeader + class_bytes(c));
    if (block == nullptr) {
      return nullptr;
    }
  }
  *static_cast<Header*>(block) = Header{c, 0};
  ++live_;
  return payload_of(block);
}

void H2Memory::release(void* ptr) noexcept {
  if (ptr == nullptr) {
    return;
  }
  Header* h = header_of(ptr);
  --live_;
  const std::uint32_t c = h->size_class;
  if (c == kDirect || cached_bytes_ + class_bytes(c) > kCacheBytes) {
    std::free(h);
    return;
  }
  cached_bytes_ += class_bytes(c);
  auto* block = reinterpret_cast<FreeBlock*>(h);
  block->next = free_[c];
  free_[c] = block;
  ++cached_[c];
}

void* H2Memory::reallocate(void* ptr, std::size_t size) {
  if (ptr == nullptr) {
    return allocate(size);
  }
  const std::size_t old_size = payload_size(*header_of(ptr));
  if (size <= old_size && header_of(ptr)->size_class != kDirect) {
    return ptr;
  }
  void* fresh = allocate(size);
  if (fresh == nullptr) {
    return nullptr;
  }
  std::memcpy(fresh, ptr, old_size < size ? old_size : size);
  release(ptr);
  return fresh;
}

std::size_t H2Memory::cached_blocks() const noexcept {
  std::size_t n = 0;
  for (std::uint32_t c : cached_) {
    n += c;
  }
  return n;
}

}  // namespace faultline::fake_server::detail
