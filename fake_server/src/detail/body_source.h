// Response bodies produced piece by piece, with the pauses between pieces that the
// scenario asks for. Shared by the HTTP/2 and HTTP/1.1 sessions; no I/O here.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detail/random_bytes.h"
#include "faultline/scenarios/scenario.h"

namespace faultline::fake_server::detail {

/** A response body as a sequence of writes ("pieces"), possibly with pauses between
    them. The session asks take_delay() before each read: a non-zero answer means "arm
    a timer and ask again later". Each read returns bytes of one piece only, so a piece
    boundary is a write (DATA frame, chunk) boundary. */
class BodySource {
 public:
  virtual ~BodySource() = default;
  /** The total size when known up front (then Content-Length is sent). */
  [[nodiscard]] virtual std::optional<std::uint64_t> size() const noexcept = 0;
  /** The pause owed before the next piece; returns it once, then zero. */
  [[nodiscard]] virtual std::chrono::milliseconds take_delay() noexcept = 0;
  /** Up to out.size() bytes of the current piece. */
  [[nodiscard]] virtual std::size_t read(std::span<std::uint8_t> out) = 0;
  /** True when every byte was read. */
  [[nodiscard]] virtual bool done() const noexcept = 0;
};

/** A body of known size cut into pieces of chunk_bytes with chunk_delay between them. */
class PacedSource : public BodySource {
 public:
  [[nodiscard]] std::optional<std::uint64_t> size() const noexcept final { return total_; }
  [[nodiscard]] std::chrono::milliseconds take_delay() noexcept final;
  [[nodiscard]] std::size_t read(std::span<std::uint8_t> out) final;
  [[nodiscard]] bool done() const noexcept final { return sent_ == total_; }

 protected:
  PacedSource(std::uint64_t total, std::uint32_t chunk_bytes,
              std::chrono::milliseconds chunk_delay) noexcept;
  /** Writes the next out.size() bytes of the body. */
  virtual void generate(std::span<std::uint8_t> out) = 0;
  [[nodiscard]] std::uint64_t sent() const noexcept { return sent_; }

 private:
  std::uint64_t total_;
  std::uint64_t sent_ = 0;
  std::uint32_t chunk_bytes_;
  std::chrono::milliseconds chunk_delay_;
  std::uint64_t piece_left_ = 0;
  std::chrono::milliseconds owed_{0};
};

/** Fixed bytes: either a view into data that outlives the source (the scenario) or
    owned text (a generated JSON answer). */
class FixedSource final : public PacedSource {
 public:
  /** Owned bytes (a generated answer). */
  static std::unique_ptr<FixedSource> owned(std::string data, std::uint32_t chunk_bytes = 16384,
                                            std::chrono::milliseconds chunk_delay = {});
  /** Bytes that outlive the source (the scenario's). */
  static std::unique_ptr<FixedSource> view(std::string_view data, std::uint32_t chunk_bytes,
                                           std::chrono::milliseconds chunk_delay);
  FixedSource(const FixedSource&) = delete;
  FixedSource& operator=(const FixedSource&) = delete;

 private:
  FixedSource(std::string owned, std::string_view view, std::uint32_t chunk_bytes,
              std::chrono::milliseconds chunk_delay);
  void generate(std::span<std::uint8_t> out) override;

  std::string owned_;
  std::string_view data_;  ///< owned_ or the outside view
};

/** Deterministic random bytes (random_bytes.h): their first kRandomPrefixBytes copied
    from the thread's prefix of the seed, the rest generated as they are read. */
class RandomSource final : public PacedSource {
 public:
  RandomSource(std::uint64_t size, std::uint64_t seed, std::uint32_t chunk_bytes,
               std::chrono::milliseconds chunk_delay) noexcept;

 private:
  void generate(std::span<std::uint8_t> out) override;

  RandomBytes bytes_;  ///< the stream from generated_ on
  std::uint64_t seed_;
  std::uint64_t generated_ = 0;  ///< where bytes_ stands, past the shared prefix
};

/** Formats event `index` of an SSE body: "id: i\nevent: NAME\ndata: DATA\n\n", the data
    template expanded with the captures and {i}; multi-line data becomes several data lines. */
[[nodiscard]] std::string encode_sse_event(const scenarios::SseBody& sse, std::uint32_t index,
                                           const scenarios::Captures& captures);

/** Server-sent events, each cut into writes by the split sizes (cycled, restarting with
    each event), interval_ms before each event after the first. Size unknown up front. */
class SseSource final : public BodySource {
 public:
  SseSource(const scenarios::SseBody& sse, scenarios::Captures captures, std::uint32_t chunk_bytes,
            std::chrono::milliseconds chunk_delay);

  [[nodiscard]] std::optional<std::uint64_t> size() const noexcept override { return std::nullopt; }
  [[nodiscard]] std::chrono::milliseconds take_delay() noexcept override;
  [[nodiscard]] std::size_t read(std::span<std::uint8_t> out) override;
  [[nodiscard]] bool done() const noexcept override;

 private:
  void start_event();

  scenarios::SseBody sse_;
  scenarios::Captures captures_;
  std::uint32_t chunk_bytes_;
  std::chrono::milliseconds chunk_delay_;
  std::uint32_t next_event_ = 0;
  std::string event_;          ///< text of the event being sent
  std::size_t event_pos_ = 0;  ///< bytes of event_ sent
  std::size_t split_index_ = 0;
  std::size_t piece_left_ = 0;
  std::chrono::milliseconds owed_{0};
};

/** The source for a scenario body (fixed, random, SSE); nullptr for none and echo
    (the echo answer is built when the request body ended). Fixed bodies are viewed,
    so the scenario must outlive the source. nullopt-size random bodies whose size does
    not resolve yield nullptr and set `bad_size`. */
[[nodiscard]] std::unique_ptr<BodySource> make_body_source(const scenarios::Response& response,
                                                           const scenarios::Captures& captures,
                                                           bool& bad_size);

}  // namespace faultline::fake_server::detail
