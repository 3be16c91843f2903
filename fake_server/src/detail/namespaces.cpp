#include "detail/namespaces.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace faultline::fake_server::detail {

using nlohmann::json;

bool valid_namespace_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxNamespaceName) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

bool RequestIdBudget::take() noexcept {
  std::size_t used = used_.load(std::memory_order_relaxed);
  while (used < max_) {
    if (used_.compare_exchange_weak(used, used + 1, std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

Namespace::~Namespace() {
  budget_.give_back(served_.size());
}

void Namespace::count_served(std::string_view request_id) {
  if (request_id.empty()) {
    return;
  }
  const std::lock_guard lock(mutex_);
  auto it = served_.find(std::string(request_id));
  if (it != served_.end()) {
    ++it->second;
  } else if (budget_.take()) {
    served_.emplace(std::string(request_id), 1);
  } else {
    ++requests_untracked_;
  }
}

std::uint64_t Namespace::served(std::string_view request_id) const {
  const std::lock_guard lock(mutex_);
  auto it = served_.find(std::string(request_id));
  return it == served_.end() ? 0 : it->second;
}

void Namespace::requests_into(json& out) const {
  out["requests_total"] = requests_total_.load(std::memory_order_relaxed);
  json requests = json::object();
  const std::lock_guard lock(mutex_);
  for (const auto& [id, count] : served_) {
    requests[id] = count;
  }
  out["requests"] = std::move(requests);
  out["requests_untracked"] = requests_untracked_;
}

void Namespace::reset() {
  {
    const std::lock_guard lock(mutex_);
    budget_.give_back(served_.size());
    std::unordered_map<std::string, std::uint64_t>().swap(served_);
    requests_untracked_ = 0;
  }
  requests_total_.store(0, std::memory_order_relaxed);
  gates_.reset_counters();
  faults_.reset();
}

std::string_view Tenant::ns_name() const noexcept {
  return ns ? std::string_view(ns->name()) : std::string_view();
}

std::shared_ptr<Namespace> NamespaceRegistry::obtain(std::string_view name) {
  const std::lock_guard lock(mutex_);
  if (auto it = namespaces_.find(name); it != namespaces_.end()) {
    return it->second;
  }
  if (namespaces_.size() >= max_) {
    return nullptr;
  }
  auto created = std::make_shared<Namespace>(std::string(name), budget_);
  namespaces_.emplace(std::string(name), created);
  return created;
}

std::shared_ptr<Namespace> NamespaceRegistry::find(std::string_view name) const {
  const std::lock_guard lock(mutex_);
  auto it = namespaces_.find(name);
  return it == namespaces_.end() ? nullptr : it->second;
}

std::size_t NamespaceRegistry::held_total() const {
  const std::lock_guard lock(mutex_);
  std::size_t held = 0;
  for (const auto& [name, ns] : namespaces_) {
    held += ns->gates().held_total();
  }
  return held;
}

std::size_t NamespaceRegistry::size() const {
  const std::lock_guard lock(mutex_);
  return namespaces_.size();
}

void NamespaceRegistry::reset_all() {
  const std::lock_guard lock(mutex_);
  for (auto it = namespaces_.begin(); it != namespaces_.end();) {
    it->second->reset();
    // New references are only made from here, under this lock, or copied from one that
    // exists: a count of 1 stays 1 while the lock is held.
    if (it->second.use_count() == 1 && it->second->gates().held_total() == 0) {
      it = namespaces_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace faultline::fake_server::detail
