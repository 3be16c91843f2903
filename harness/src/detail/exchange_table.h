// The requests a driver has in flight, shared by the driver implementations.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "faultline/harness/exchange.h"

namespace faultline::harness::detail {

/** Id assignment (0 = next free id; a reused id throws std::invalid_argument) and the
    map of exchanges in flight with when each was sent. Not locked: its owner locks. */
class ExchangeTable {
 public:
  struct Entry {
    std::shared_ptr<Exchange> exchange;
    std::chrono::steady_clock::time_point sent;
    bool has_headers = false;
  };

  /** Registers a request (assigning its id if 0) and returns its exchange. */
  std::shared_ptr<Exchange> add(Request& request);
  [[nodiscard]] Entry* find(std::uint64_t id);
  void erase(std::uint64_t id) { in_flight_.erase(id); }
  [[nodiscard]] std::size_t size() const noexcept { return in_flight_.size(); }
  /** Removes and returns every exchange in flight. */
  std::vector<std::shared_ptr<Exchange>> take_all();

 private:
  std::unordered_map<std::uint64_t, Entry> in_flight_;
  std::unordered_set<std::uint64_t> used_;
  std::uint64_t next_id_ = 1;
};

/** Milliseconds since `since`. */
[[nodiscard]] double elapsed_ms(std::chrono::steady_clock::time_point since);

/** An error event (terminal) of the given kind. */
[[nodiscard]] Event make_error(ErrorKind kind, std::string message, double t_ms = 0);

/** A fresh exchange that has already failed (for sends to a broken driver). */
[[nodiscard]] std::shared_ptr<Exchange> failed_exchange(Request request, ErrorKind kind,
                                                        std::string message);

}  // namespace faultline::harness::detail
