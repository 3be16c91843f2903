// Per-connection budgets for HTTP/2 frames that cost the server work and bring it none
// (SETTINGS, PING, WINDOW_UPDATE, empty DATA, PRIORITY, streams the client opens and
// resets at once). Pure logic with an injected clock; docs/reliability.md.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace faultline::fake_server::detail {

/** What a frame is, for its budget. */
enum class FloodKind : std::uint8_t {
  settings,       ///< SETTINGS without ACK (each one makes the server queue an ACK)
  ping,           ///< PING without ACK (each one makes the server queue an ACK)
  window_update,  ///< WINDOW_UPDATE
  empty_data,     ///< DATA with no payload and no END_STREAM
  priority,       ///< PRIORITY
  reset_stream,   ///< RST_STREAM from the client on a stream the server has not finished
};
inline constexpr std::size_t kFloodKinds = 6;

/** "settings", "ping", ... (for logs and stats). */
[[nodiscard]] const char* to_string(FloodKind kind) noexcept;

/** One kind's budget: a token bucket holding up to `burst` tokens, refilled at
    `per_second`, plus `per_stream` for every stream the client opens and `per_data` for
    every DATA frame the server sends (the work that legitimately makes a client send
    more of them). */
struct FloodBudget {
  std::uint32_t burst;
  std::uint32_t per_second;
  std::uint32_t per_stream;
  std::uint32_t per_data;
};

/** The defaults (docs/reliability.md, "Hostile clients"): generous for any real client,
    including a 16 MiB download through a 1 KiB window; a flood runs out within a few
    thousand frames. */
[[nodiscard]] const std::array<FloodBudget, kFloodKinds>& default_flood_budgets();

/** One connection's budgets. Not thread safe (one connection's strand). */
class FloodGuard {
 public:
  using Clock = std::chrono::steady_clock;

  explicit FloodGuard(Clock::time_point now, const std::array<FloodBudget, kFloodKinds>& budgets =
                                                 default_flood_budgets());

  /** Spends one token of `kind`; false when the budget is exhausted (the connection is
      flooding: answer GOAWAY(ENHANCE_YOUR_CALM)). */
  [[nodiscard]] bool spend(FloodKind kind, Clock::time_point now);
  /** A stream the client opened: every kind earns its per_stream tokens. */
  void on_stream_opened();
  /** A DATA frame the server sent: every kind earns its per_data tokens. */
  void on_data_sent();
  /** The first kind whose budget ran out, if one did. */
  [[nodiscard]] std::optional<FloodKind> exhausted() const noexcept { return exhausted_; }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point refilled;
  };
  void earn(std::uint32_t FloodBudget::*per_event);

  const std::array<FloodBudget, kFloodKinds>& budgets_;
  std::array<Bucket, kFloodKinds> buckets_;
  std::optional<FloodKind> exhausted_;
};

}  // namespace faultline::fake_server::detail
