// The chaos soak's plan (see soak_plan.h).
#include "soak_plan.h"

namespace faultline::conformance {
namespace {

/** A request index starts an admin fault with probability 1 / kFaultEvery. */
constexpr std::uint32_t kFaultEvery = 200;

}  // namespace

nlohmann::json soak_scenario() {
  using nlohmann::json;
  return json::parse(R"JSON({
    "name": "soak",
    "description": "chaos soak: routes per request kind, faults bound to paths",
    "listeners": [{"name": "main", "alpn": "h2+h1"}],
    "settings": {"max_concurrent_streams": 100},
    "routes": [
      {"match": {"method": "GET", "path": "/ok"}, "respond": {"body": "ok"}},
      {"match": {"method": "GET", "path": "/bytes/{n}"},
       "respond": {"body": {"random_bytes": "{n}", "seed": 7}}},
      {"match": {"method": "POST", "path": "/echo"}, "respond": {"body": {"echo": true}}},
      {"match": {"method": "POST", "path": "/refused-post"}, "respond": {"body": {"echo": true}}},
      {"match": {"method": "GET", "path": "/slow"},
       "respond": {"body": {"random_bytes": 2048}, "chunk_bytes": 256, "chunk_delay_ms": 3}},
      {"match": {"method": "GET", "path": "/delay"}, "respond": {"delay_ms": 40, "body": "late"}},
      {"match": {"method": "GET", "path": "/late"}, "respond": {"body": "done"}},
      {"match": {"method": "GET", "path": "/refused"}, "respond": {"body": "second try"}},
      {"match": {"method": "GET", "path": "/reset-mid"},
       "respond": {"body": {"random_bytes": 8192}, "chunk_bytes": 1024}},
      {"match": {"method": "GET", "path": "/cut"},
       "respond": {"body": {"random_bytes": 8192}, "chunk_bytes": 1024}},
      {"match": {"method": "GET", "path": "/sse"},
       "respond": {"headers": {"content-type": "text/event-stream"},
                   "body": {"sse": {"events": 4, "interval_ms": 2}}}},
      {"match": {"method": "GET", "path": "/hole"}, "respond": {"hold": "hole"}}
    ],
    "faults": [
      {"name": "late-data", "on": {"path": "/late"},
       "do": {"data_after_end_stream": {"frames": 3, "frame_bytes": 64}}, "times": "always"},
      {"name": "refuse-first", "on": {"path": "/refused", "attempt": {"first": 1}},
       "do": {"rst_stream": {"error": "REFUSED_STREAM"}}, "times": "always"},
      {"name": "refuse-first-post", "on": {"path": "/refused-post", "attempt": {"first": 1}},
       "do": {"rst_stream": {"error": "REFUSED_STREAM"}}, "times": "always"},
      {"name": "reset-mid-body", "on": {"path": "/reset-mid"},
       "do": {"rst_stream": {"error": "INTERNAL_ERROR", "at": "mid_body", "after_bytes": 2048}},
       "times": "always"},
      {"name": "cut-mid-body", "on": {"path": "/cut"},
       "do": {"close": {"mode": "reset", "at": "mid_body", "after_bytes": 2048}},
       "times": "always"}
    ]
  })JSON");
}

PlannedRequest Plan::next() {
  PlannedRequest r;
  std::discrete_distribution<std::size_t> pick(weights_.begin(), weights_.end());
  r.kind = &kKinds[pick(rng_)];
  r.bytes = std::uniform_int_distribution<std::uint32_t>(0, 64 * 1024)(rng_);
  r.abort = std::uniform_int_distribution<std::uint32_t>(0, 49)(rng_) == 0;
  if (std::uniform_int_distribution<std::uint32_t>(0, kFaultEvery - 1)(rng_) == 0) {
    std::discrete_distribution<std::size_t> fault(fault_weights_.begin(), fault_weights_.end());
    r.fault = &kAdminFaults[fault(rng_)];
  }
  return r;
}

}  // namespace faultline::conformance
