#include "detail/exchange_table.h"

#include <stdexcept>

namespace faultline::harness::detail {

std::shared_ptr<Exchange> ExchangeTable::add(Request& request) {
  if (request.id == 0) {
    while (used_.count(next_id_) != 0) {
      ++next_id_;
    }
    request.id = next_id_++;
  } else if (used_.count(request.id) != 0) {
    throw std::invalid_argument("request id " + std::to_string(request.id) +
                                " was already used with this driver");
  }
  used_.insert(request.id);
  auto exchange = std::make_shared<Exchange>(request);
  in_flight_.emplace(request.id, Entry{exchange, std::chrono::steady_clock::now(), false});
  return exchange;
}

ExchangeTable::Entry* ExchangeTable::find(std::uint64_t id) {
  auto it = in_flight_.find(id);
  return it == in_flight_.end() ? nullptr : &it->second;
}

std::vector<std::shared_ptr<Exchange>> ExchangeTable::take_all() {
  std::vector<std::shared_ptr<Exchange>> out;
  out.reserve(in_flight_.size());
  for (auto& [id, entry] : in_flight_) {
    out.push_back(std::move(entry.exchange));
  }
  in_flight_.clear();
  return out;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

Event make_error(ErrorKind kind, std::string message, double t_ms) {
  Event e;
  e.type = Event::Type::error;
  e.kind = kind;
  e.message = std::move(message);
  e.t_ms = t_ms;
  return e;
}

std::shared_ptr<Exchange> failed_exchange(Request request, ErrorKind kind, std::string message) {
  auto exchange = std::make_shared<Exchange>(std::move(request));
  exchange->push(make_error(kind, std::move(message)));
  return exchange;
}

}  // namespace faultline::harness::detail
