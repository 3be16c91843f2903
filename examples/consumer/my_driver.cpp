#include "my_driver.h"

#include <stdexcept>

#include "faultline/harness/limits.h"
#include "faultline/transport/errors.h"

namespace consumer {
namespace {

namespace harness = faultline::harness;
namespace transport = faultline::transport;

faultline::transport::Options options_for(const std::filesystem::path& ca_file) {
  transport::Options options;
  options.tls.ca_file = ca_file.string();
  return options;
}

/** The driver protocol's error kinds, from the transport's error codes. */
harness::ErrorKind error_kind(std::error_code error) {
  if (error == transport::errc::aborted)
    return harness::ErrorKind::aborted;
  if (error == transport::errc::timeout)
    return harness::ErrorKind::timeout;
  return harness::ErrorKind::network;
}

/** Headers, one data event and end, or one error event: a whole response at once. */
void deliver(harness::Exchange& exchange, transport::Result&& result) {
  harness::Event head;
  if (result.ok() || result.response.status != 0) {
    head.type = harness::Event::Type::headers;
    head.status = result.response.status;
    for (auto& [name, value] : result.response.headers)
      head.headers.emplace_back(name, value);
    head.protocol = std::string(transport::to_string(result.response.protocol));
    exchange.push(std::move(head));
  }
  if (!result.response.body.empty()) {
    harness::Event data;
    data.type = harness::Event::Type::data;
    data.data = std::move(result.response.body);
    exchange.push(std::move(data));
  }
  harness::Event last;
  last.type = result.ok() ? harness::Event::Type::end : harness::Event::Type::error;
  if (!result.ok()) {
    last.kind = error_kind(result.error);
    last.message = result.error.message();
  }
  exchange.push(std::move(last));
}

}  // namespace

MyDriver::MyDriver(const std::filesystem::path& ca_file) : client_(options_for(ca_file)) {
  info_.protocol = harness::kProtocolVersion;
  info_.name = "my-transport";
  info_.version = "1.0";
  info_.max_sessions = 4;  // transport::Options' defaults: checks judge the driver by them
  info_.max_streams = 100;
  info_.h2 = true;
}

std::shared_ptr<harness::Exchange> MyDriver::send(harness::Request request) {
  transport::AbortController abort;
  {
    std::lock_guard lock(mutex_);
    if (request.id == 0)
      request.id = next_id_++;
    if (!aborts_.emplace(request.id, abort).second)
      throw std::invalid_argument("request id " + std::to_string(request.id) + " already used");
  }
  auto exchange = std::make_shared<harness::Exchange>(request);
  transport::Request r;
  r.method = request.method;
  r.url = request.url;
  for (auto& [name, value] : request.headers)
    r.headers.emplace_back(name, value);
  if (request.body)
    r.body = transport::Body::bytes(*request.body);
  if (request.timeout_ms != 0)
    r.timeout = std::chrono::milliseconds(request.timeout_ms);
  r.abort = abort.signal();
  transport::Handlers handlers;
  handlers.on_complete = [exchange](transport::Result&& result) {
    deliver(*exchange, std::move(result));
  };
  client_.send(std::move(r), std::move(handlers));
  return exchange;
}

void MyDriver::abort(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (auto it = aborts_.find(id); it != aborts_.end())
    it->second.abort();
}

harness::StatsResult MyDriver::stats(harness::Deadline) {
  const auto s = client_.stats();
  harness::StatsResult result;
  result.ok = true;
  result.stats = {{"sessions_opened", s.sessions_opened}, {"streams_opened", s.streams_opened}};
  return result;
}

std::string MyDriver::diagnostics() const {
  return "my-transport: " + std::to_string(client_.stats().sessions_opened) + " sessions opened";
}

}  // namespace consumer
