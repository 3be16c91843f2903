// Named gates that hold response streams until the admin API releases them (or they
// fill up to release_when_held), in each gate's configured order. Thread safe: streams park from
// their connection strands, the admin releases from its own thread.
// Cost: hold and cancel are O(log n) in the streams held at the gate; a release of k
// streams in arrival or reverse order is O(k log n); a release in random order is O(n)
// (the shuffle is defined over every held stream). A connection that closes with n held
// streams therefore costs O(n log n), not O(n^2).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "faultline/scenarios/faults.h"

namespace faultline::fake_server::detail {

/** The registry of gates. A waiter is a callable that resumes its stream; it must be
    safe to call from any thread (it posts to the stream's connection). */
class GateRegistry {
 public:
  using Waiter = std::function<void()>;
  using Ticket = std::uint64_t;

  /** Parks a stream at gate `name`; the ticket cancels it. With `config`, the gate takes
      those release settings first (a namespace's gates follow the scenario the request
      matched). */
  [[nodiscard]] Ticket hold(std::string_view name, Waiter waiter,
                            const scenarios::GateConfig* config = nullptr);
  /** Removes a parked stream without releasing it (stream reset, connection closed).
      Returns false when it was already released or cancelled. */
  bool cancel(Ticket ticket);
  /** Releases up to `count` streams (all when nullopt) in the gate's order
      (scenarios::release_order); returns how many. The waiters run after the lock is
      dropped. */
  std::size_t release(std::string_view name, std::optional<std::size_t> count);
  /** The release settings of every gate (a scenario's `gates`); gates not named use
      the defaults (arrival order, admin only). */
  void configure(const std::map<std::string, scenarios::GateConfig, std::less<>>& configs);
  /** Makes a gate visible in the listing before anything is held there. */
  void declare(std::string_view name);
  /** {"gates":{"name":{"held":N,"released":N}}} */
  [[nodiscard]] std::string json() const;
  /** Zeroes the released counters (held streams stay held). */
  void reset_counters();

  [[nodiscard]] std::size_t held(std::string_view name) const;
  /** Streams held over every gate. */
  [[nodiscard]] std::size_t held_total() const;

  /** How many held entries cancel and release have visited (looked at, moved or
      removed) since construction: the cost model above made countable, so a test can
      tell O(1) work per stream from O(n) without a clock. */
  [[nodiscard]] std::uint64_t entries_visited() const;

 private:
  struct Gate {
    std::map<Ticket, Waiter> held;  ///< tickets grow: key order is arrival order
    std::uint64_t released = 0;
    scenarios::GateConfig config;
  };

  /** Takes up to `count` waiters out of `gate` in its order (lock held). */
  std::vector<Waiter> take(Gate& gate, std::optional<std::size_t> count);
  /** Removes one held entry from `gate` and from the ticket index (lock held). */
  Waiter remove(Gate& gate, std::map<Ticket, Waiter>::iterator entry);

  mutable std::mutex mutex_;
  Ticket next_ticket_ = 1;
  std::map<std::string, Gate, std::less<>> gates_;
  /** Where each held ticket is (std::map nodes do not move, so the pointer stays valid;
      gates are never erased). */
  std::unordered_map<Ticket, Gate*> index_;
  std::uint64_t visited_ = 0;
};

}  // namespace faultline::fake_server::detail
