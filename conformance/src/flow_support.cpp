#include "flow_support.h"

#include "faultline/common/sha256.h"

namespace faultline::conformance::detail {

using common::sha256_hex;

// Byte i is byte i % 8, little-endian, of the (i / 8)-th splitmix64 output.
std::string random_stream(std::size_t n, std::uint64_t seed) {
  std::string out(n, '\0');
  std::uint64_t state = seed;
  for (std::size_t i = 0; i < n; i += 8) {
    state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (std::size_t b = 0; b < 8 && i + b < n; ++b) {
      out[i + b] = static_cast<char>((z >> (8 * b)) & 0xff);
    }
  }
  return out;
}

void require_echoed(const harness::WaitResult& r, const std::string& body,
                    const std::string& what) {
  require(r.ok && r.response.status == 200, what + ": " + r.description);
  const auto echo = nlohmann::json::parse(r.response.body, nullptr, false);
  require(!echo.is_discarded(), what + ": echo is not JSON: " + r.response.body.substr(0, 200));
  require(echo.value("body_bytes", -1L) == static_cast<long>(body.size()) &&
              echo.value("sha256", "") == sha256_hex(body),
          what + ": the server received " + std::to_string(echo.value("body_bytes", -1L)) +
              " B sha256 " + echo.value("sha256", "") + ", sent " + std::to_string(body.size()) +
              " B sha256 " + sha256_hex(body));
}

void require_body(const harness::WaitResult& r, const std::string& expected,
                  const std::string& what) {
  require(r.ok && r.response.status == 200, what + ": " + r.description);
  require(r.response.body.size() == expected.size() && r.response.body == expected,
          what + ": got " + std::to_string(r.response.body.size()) + " B sha256 " +
              sha256_hex(r.response.body) + ", the server sent " + std::to_string(expected.size()) +
              " B sha256 " + sha256_hex(expected));
}

nlohmann::json find_flow(const nlohmann::json& stats, const std::string& field, long& conn,
                         std::string& stream) {
  for (const auto& c : connections_of(stats)) {
    const auto flow = c.value("flow", nlohmann::json::object());
    for (const auto& [id, f] : flow.items()) {
      if (f.is_object() && f.value(field, 0L) > 0) {
        conn = c.value("id", 0L);
        stream = id;
        return f;
      }
    }
  }
  return nlohmann::json();
}

void wait_fired(CheckRun& run, const std::string& name, const std::string& what) {
  std::string seen;
  const auto probe = [&](std::string& now) {
    const long n = fired(run.stats(), name);
    now = "faults_fired." + name + " = " + std::to_string(n);
    return n > 0;
  };
  if (!poll_until(probe, kWait, seen)) {
    fault_did_not_fire("the server injected no " + what + " (" + seen + ")");
  }
}

}  // namespace faultline::conformance::detail
