// Namespaces: tenants of one shared server (docs/admin-api.md, "Namespaces"). Each one
// keeps its own request counts, per-request-id stats, gates and fault bookkeeping, so
// that parallel test suites on one faultline-server never see each other's.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json_fwd.hpp>

#include "detail/fault_registry.h"
#include "detail/gates.h"
#include "detail/server_limits.h"
#include "faultline/scenarios/scenario.h"

namespace faultline::fake_server::detail {

/** Whether `name` may name a namespace: 1..kMaxNamespaceName letters, digits, '.', '_',
    '-' (it appears in URLs and JSON keys as it is). */
[[nodiscard]] bool valid_namespace_name(std::string_view name) noexcept;

/** Distinct request ids counted over every named namespace (a server-wide bound on what
    they may hold). Thread safe. */
class RequestIdBudget {
 public:
  explicit RequestIdBudget(std::size_t max) : max_(max) {}
  /** Takes one slot; false when none is left. */
  bool take() noexcept;
  void give_back(std::size_t n) noexcept { used_.fetch_sub(n, std::memory_order_relaxed); }

 private:
  const std::size_t max_;
  std::atomic<std::size_t> used_{0};
};

/** One named namespace. Thread safe; owned jointly by the registry, the connections
    bound to it and the requests in flight in it. */
class Namespace {
 public:
  Namespace(std::string name, RequestIdBudget& budget) : name_(std::move(name)), budget_(budget) {}
  Namespace(const Namespace&) = delete;
  Namespace& operator=(const Namespace&) = delete;
  ~Namespace();

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /** Its gates: a gate named "g" here is not the gate "g" of any other namespace. */
  [[nodiscard]] GateRegistry& gates() noexcept { return gates_; }
  /** Its fault bookkeeping: attempt numbers of path triggers, `times` of scope server. */
  [[nodiscard]] FaultRegistry& faults() noexcept { return faults_; }

  /** A complete request of this namespace was handed to a route. */
  void count_request() noexcept { requests_total_.fetch_add(1, std::memory_order_relaxed); }
  /** A request of this namespace carrying `request_id` was served. */
  void count_served(std::string_view request_id);
  [[nodiscard]] std::uint64_t served(std::string_view request_id) const;
  /** Adds requests_total, requests and requests_untracked to a stats object. */
  void requests_into(nlohmann::json& out) const;
  /** POST /v1/reset?namespace=: its counters, gates' released counts and faults (held
      streams stay held). */
  void reset();

 private:
  const std::string name_;
  RequestIdBudget& budget_;
  GateRegistry gates_;
  FaultRegistry faults_;
  std::atomic<std::uint64_t> requests_total_{0};
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::uint64_t> served_;
  std::uint64_t requests_untracked_ = 0;
};

/** What a request chose (docs/admin-api.md, "Namespaces"), and what a connection is
    bound to by its first request. */
struct Tenant {
  std::shared_ptr<Namespace> ns;  ///< nullptr: the default namespace
  /** nullptr: the server's active scenario; else the one the request named. */
  std::shared_ptr<const scenarios::Scenario> scenario;
  /** The path prefixes the request carried ("/n/t1/s/tiny"): a redirect to a path of the
      same server keeps them, so that the client stays in its namespace and scenario. */
  std::string prefix;

  /** The namespace's name, "" for the default one. */
  [[nodiscard]] std::string_view ns_name() const noexcept;
};

/** The named namespaces, created on first use, at most `max` of them. Thread safe. */
class NamespaceRegistry {
 public:
  explicit NamespaceRegistry(std::size_t max = kMaxNamespaces,
                             std::size_t max_request_ids = kMaxRequestIds)
      : max_(max), budget_(max_request_ids) {}

  /** The namespace `name` (valid), created when new; nullptr when `max` exist. */
  [[nodiscard]] std::shared_ptr<Namespace> obtain(std::string_view name);
  /** The namespace `name` if it exists. */
  [[nodiscard]] std::shared_ptr<Namespace> find(std::string_view name) const;
  /** Streams held at the gates of every named namespace. */
  [[nodiscard]] std::size_t held_total() const;
  [[nodiscard]] std::size_t size() const;
  /** POST /v1/reset: resets every namespace, then forgets those that nothing else refers
      to (no connection bound, no request in flight, nothing held), which frees their
      places under the cap. */
  void reset_all();

 private:
  const std::size_t max_;
  RequestIdBudget budget_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Namespace>, std::less<>> namespaces_;
};

}  // namespace faultline::fake_server::detail
