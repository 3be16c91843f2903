// Which faults fire on one connection's events: coverage (listener), HTTP/1.1 meaning,
// `times` per connection or per server, attempt numbers. Protocol-neutral: the HTTP/2
// and HTTP/1.1 sessions ask it on each event and execute what it returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "detail/server_context.h"
#include "faultline/scenarios/scenario.h"

namespace faultline::fake_server::detail {

/** One fault that fired: the fault and its faults_fired name. */
struct Firing {
  const scenarios::Fault* fault = nullptr;
  std::string key;
};

/** Per-connection fault bookkeeping. Runs on the connection's strand.

    Two phases (docs/admin-api.md, "Namespaces"): until its first request, a connection
    follows the scenario it was accepted with (connect and after_ms faults are decided
    from it, for the connection's whole life). Its first request binds it
    (ConnectionStats::bind) to a namespace and maybe a scenario of its own: from then on
    the stream faults (streams_opened, active_streams, path, client_rst) are that
    scenario's, counted in that namespace's FaultRegistry. */
class ConnectionFaults {
 public:
  /** The scenario snapshot is kept for the connection's life (its faults stay valid). */
  ConnectionFaults(ServerContext& context, std::shared_ptr<const scenarios::Scenario> scenario,
                   std::string listener, std::shared_ptr<ConnectionStats> stats, bool h2);

  /** The scenario the stream faults come from. */
  [[nodiscard]] const scenarios::Scenario& scenario() const { return *stream_.scenario; }
  [[nodiscard]] bool empty() const { return stream_.scenario->faults.empty(); }

  /** `connect` faults (fired now) and the after_ms faults' indexes with their delays. */
  std::vector<Firing> on_ready();
  [[nodiscard]] std::vector<std::pair<std::size_t, std::uint32_t>> after_ms_faults() const;
  /** An after_ms timer ran out. */
  std::vector<Firing> on_after_ms(std::size_t index);
  /** A stream opened: streams_opened / active_streams / path faults, in document order.
      `opened` counts the connection's streams so far, `active` the open ones. */
  std::vector<Firing> on_stream_open(std::string_view method, std::string_view path,
                                     std::string_view request_id, std::uint64_t opened,
                                     std::uint64_t active);
  /** The client reset a stream. */
  std::vector<Firing> on_client_rst();
  /** A stream closed (HTTP/1.1: its response was written), `still_open` left open: the
      connection's idle time (idle_ms triggers) starts when none is. */
  void on_stream_closed(std::uint64_t still_open);
  /** The attempt number (scenarios::Attempts) of the request whose stream opened last;
      1 when the scenario has neither faults nor routes that match on attempts. */
  [[nodiscard]] std::uint32_t attempt() const noexcept { return attempt_; }

 private:
  /** What one phase decides from: a scenario, its per-connection counts, where its
      server-scope counts live. */
  struct Phase {
    std::shared_ptr<const scenarios::Scenario> scenario;
    std::vector<std::uint64_t> fired;  ///< per fault, on this connection
    FaultRegistry* registry = nullptr;
    std::string key;  ///< the scenario's name when a request chose it, else ""
  };

  /** Takes over the connection's binding once its first request made one. */
  void adopt();
  /** Coverage, HTTP/1.1 meaning and `times`; counts the firing when it may fire. */
  bool take(Phase& phase, std::size_t index, std::vector<Firing>& out);

  ServerContext& context_;
  std::string listener_;
  std::shared_ptr<ConnectionStats> stats_;
  bool h2_;
  Phase ready_;   ///< connect, after_ms: the scenario at accept
  Phase stream_;  ///< stream faults: the binding's scenario once bound
  bool adopted_ = false;
  std::uint32_t attempt_ = 1;
  /** When the connection was accepted, or its last open stream closed. */
  std::chrono::steady_clock::time_point idle_since_ = std::chrono::steady_clock::now();
};

}  // namespace faultline::fake_server::detail
