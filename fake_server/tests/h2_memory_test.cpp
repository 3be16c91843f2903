#include "detail/h2_memory.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "detail/h2_session_bridge.h"

namespace faultline::fake_server::detail {
namespace {

TEST(H2Memory, BlocksAreAlignedWritableAndReused) {
  H2Memory memory;
  std::vector<void*> blocks;
  for (std::size_t size : {0u, 1u, 63u, 64u, 65u, 1000u, 4096u, 4097u, 100000u}) {
    void* p = memory.allocate(size);
    ASSERT_NE(p, nullptr) << size;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignof(std::max_align_t), 0u) << size;
    std::memset(p, 0xAB, size);
    blocks.push_back(p);
  }
  EXPECT_EQ(memory.live_blocks(), blocks.size());
  for (void* p : blocks) {
    memory.release(p);
  }
  EXPECT_EQ(memory.live_blocks(), 0u);
  // The seven pooled sizes are cached (the two beyond 4096 bytes went back to malloc),
  // and the next block of a cached class is one of them.
  EXPECT_EQ(memory.cached_blocks(), 7u);
  void* again = memory.allocate(1000);
  EXPECT_EQ(again, blocks[5]);
  EXPECT_EQ(memory.cached_blocks(), 6u);
  memory.release(again);
}

TEST(H2Memory, CachesAtMostItsBound) {
  H2Memory memory;
  std::vector<void*> blocks;
  const std::size_t fits = H2Memory::kCacheBytes / 128;
  for (std::size_t i = 0; i < fits + 50; ++i) {
    blocks.push_back(memory.allocate(100));  // the 128-byte class
  }
  blocks.push_back(memory.allocate(4000));
  for (void* p : blocks) {
    memory.release(p);
  }
  EXPECT_EQ(memory.cached_blocks(), fits);
  // Taking one out makes room for one again.
  void* p = memory.allocate(120);
  EXPECT_EQ(memory.cached_blocks(), fits - 1);
  memory.release(p);
  EXPECT_EQ(memory.cached_blocks(), fits);
}

TEST(H2Memory, ReallocateKeepsTheBytesAndCallocZeroes) {
  H2Memory memory;
  nghttp2_mem* mem = memory.mem();
  auto* p = static_cast<char*>(mem->malloc(10, mem->mem_user_data));
  std::memcpy(p, "0123456789", 10);
  p = static_cast<char*>(mem->realloc(p, 50, mem->mem_user_data));  // same class
  EXPECT_EQ(std::string(p, 10), "0123456789");
  p = static_cast<char*>(mem->realloc(p, 9000, mem->mem_user_data));  // a direct block
  EXPECT_EQ(std::string(p, 10), "0123456789");
  p = static_cast<char*>(mem->realloc(p, 20000, mem->mem_user_data));
  EXPECT_EQ(std::string(p, 10), "0123456789");
  mem->free(p, mem->mem_user_data);
  auto* z = static_cast<unsigned char*>(mem->calloc(300, 3, mem->mem_user_data));
  for (std::size_t i = 0; i < 900; ++i) {
    ASSERT_EQ(z[i], 0u) << i;
  }
  mem->free(z, mem->mem_user_data);
  mem->free(nullptr, mem->mem_user_data);
  EXPECT_EQ(mem->calloc(SIZE_MAX / 2, 4, mem->mem_user_data), nullptr);
  EXPECT_EQ(memory.live_blocks(), 0u);
}

// A server session made as the fake server makes it (its options, its allocator) and
// nghttp2's client, in memory: 3000 requests one after another on one connection.
struct Pair {
  H2Memory memory;
  nghttp2_session* server = nullptr;
  nghttp2_session* client = nullptr;
  int answered = 0;

  explicit Pair(bool flood_guard) {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cbs, [](nghttp2_session* session, const nghttp2_frame* frame, void*) {
          if (frame->hd.type == NGHTTP2_HEADERS &&
              (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
            nghttp2_nv status{reinterpret_cast<std::uint8_t*>(const_cast<char*>(":status")),
                              reinterpret_cast<std::uint8_t*>(const_cast<char*>("204")), 7, 3,
                              NGHTTP2_NV_FLAG_NONE};
            nghttp2_submit_response(session, frame->hd.stream_id, &status, 1, nullptr);
          }
          return 0;
        });
    nghttp2_session_server_new3(&server, cbs, this, h2_session_options(flood_guard), memory.mem());
    nghttp2_session_callbacks_del(cbs);
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_stream_close_callback(
        cbs, [](nghttp2_session*, std::int32_t, std::uint32_t, void* self) {
          ++static_cast<Pair*>(self)->answered;
          return 0;
        });
    nghttp2_session_client_new(&client, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(server, NGHTTP2_FLAG_NONE, nullptr, 0);
    nghttp2_submit_settings(client, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~Pair() {
    nghttp2_session_del(client);
    nghttp2_session_del(server);
  }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;

  /** Moves bytes both ways until neither side has anything to say (bounded). */
  void pump() {
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      for (auto [from, to] : {std::pair{client, server}, std::pair{server, client}}) {
        const std::uint8_t* data = nullptr;
        for (ssize_t n; (n = nghttp2_session_mem_send(from, &data)) > 0;) {
          ASSERT_EQ(nghttp2_session_mem_recv(to, data, static_cast<std::size_t>(n)), n);
          moved = true;
        }
      }
      if (!moved) {
        return;
      }
    }
    FAIL() << "the sessions kept talking";
  }

  void request() {
    const char* names[] = {":method", ":scheme", ":path", ":authority"};
    const char* values[] = {"GET", "https", "/tiny", "localhost"};
    nghttp2_nv nva[4];
    for (int i = 0; i < 4; ++i) {
      nva[i] = {reinterpret_cast<std::uint8_t*>(const_cast<char*>(names[i])),
                reinterpret_cast<std::uint8_t*>(const_cast<char*>(values[i])),
                std::strlen(names[i]), std::strlen(values[i]), NGHTTP2_NV_FLAG_NONE};
    }
    ASSERT_GT(nghttp2_submit_request(client, nullptr, nva, 4, nullptr, nullptr), 0);
    pump();
  }
};

// nghttp2 keeps closed streams for the priority tree up to the local
// SETTINGS_MAX_CONCURRENT_STREAMS, which the fake server never sends (it enforces its
// own limit): without no_closed_streams every stream of a connection stayed allocated.
TEST(H2Memory, ClosedStreamsAreNotRetainedOnALongConnection) {
  for (bool flood_guard : {true, false}) {
    Pair pair(flood_guard);
    pair.pump();
    for (int i = 0; i < 100; ++i) {
      pair.request();
    }
    const std::size_t after_100 = pair.memory.live_blocks();
    for (int i = 0; i < 2900; ++i) {
      pair.request();
    }
    EXPECT_EQ(pair.answered, 3000);
    EXPECT_LE(pair.memory.live_blocks(), after_100 + 4)
        << "flood guard " << flood_guard << ": live blocks grew from " << after_100;
  }
}

}  // namespace
}  // namespace faultline::fake_server::detail
