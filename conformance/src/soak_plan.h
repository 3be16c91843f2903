// The chaos soak's plan (docs/reliability.md, "Chaos soak"): its scenario, the kinds of
// request and the admin faults it draws from, and the seeded sequence of them (the same
// seed, the same run). soak.cpp drives a driver through it.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline::conformance {

/** The soak's scenario: one TLS listener (h2 and HTTP/1.1), routes for every kind of
    request the plan makes, and the faults bound to paths. */
[[nodiscard]] nlohmann::json soak_scenario();

/** One kind of request of the plan. */
struct RequestKind {
  std::string_view name;
  std::string_view method;
  std::string_view path;
  std::uint32_t weight;  ///< relative frequency
  bool black_hole = false;
};

inline constexpr std::array<RequestKind, 12> kKinds{{
    {"ok", "GET", "/ok", 400},
    {"bytes", "GET", "/bytes/", 120},
    {"echo-post", "POST", "/echo", 150},
    {"refused-post", "POST", "/refused-post", 40},
    {"slow-body", "GET", "/slow", 15},
    {"delay", "GET", "/delay", 30},
    {"late-data", "GET", "/late", 40},
    {"refused", "GET", "/refused", 40},
    {"reset-mid-body", "GET", "/reset-mid", 15},
    {"cut-mid-body", "GET", "/cut", 3},
    {"sse", "GET", "/sse", 30},
    {"black-hole", "GET", "/hole", 5, true},
}};

/** The admin actions the plan fires at random moments (POST /v1/actions). Lowering
    the stream limit is followed by a restore kLimitRestoreAfter requests later. */
struct AdminFault {
  std::string_view name;
  std::string_view action;
  std::uint32_t weight;  ///< relative frequency
  bool lowers_limit = false;
};

inline constexpr std::array<AdminFault, 11> kAdminFaults{{
    {"goaway", R"({"goaway":{"last_stream_id":"current"}})", 10},
    {"goaway-graceful", R"({"goaway":{"last_stream_id":"current","graceful_delay_ms":20}})", 10},
    {"goaway-previous", R"({"goaway":{"last_stream_id":"previous","error":"NO_ERROR"}})", 10},
    {"tcp-reset-all", R"({"close":{"mode":"reset","all_connections":true}})", 10},
    {"fin", R"({"close":{"mode":"fin"}})", 10},
    {"close-notify", R"({"close":{"mode":"close_notify"}})", 10},
    {"limit-5", R"({"settings":{"max_concurrent_streams":5}})", 10, true},
    {"limit-0", R"({"settings":{"max_concurrent_streams":0}})", 10, true},
    {"storm", R"({"storm":{"duration_ms":20}})", 2},
    {"ping", R"({"ping":{"interval_ms":5,"count":3}})", 10},
    {"data-unknown-stream", R"({"data_unknown_stream":{"frames":2}})", 10},
}};

inline constexpr std::string_view kRestoreLimit = R"({"settings":{"max_concurrent_streams":100}})";

/** What the plan says about request `index`. */
struct PlannedRequest {
  const RequestKind* kind = nullptr;
  std::uint32_t bytes = 0;  ///< /bytes/{n}, or the POST body size
  bool abort = false;
  const AdminFault* fault = nullptr;  ///< fired just before this request starts
};

/** The seeded plan, drawn one request at a time (the same seed, the same sequence). */
class Plan {
 public:
  explicit Plan(std::uint64_t seed) : rng_(seed) {
    for (const auto& kind : kKinds) {
      weights_.push_back(kind.weight);
    }
    for (const auto& fault : kAdminFaults) {
      fault_weights_.push_back(fault.weight);
    }
  }

  /** The next request of the sequence. */
  PlannedRequest next();

 private:
  std::mt19937_64 rng_;
  std::vector<double> weights_;
  std::vector<double> fault_weights_;
};

}  // namespace faultline::conformance
