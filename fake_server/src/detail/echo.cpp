#include "detail/echo.h"

#include <nlohmann/json.hpp>

#include "detail/json_text.h"

namespace faultline::fake_server::detail {

void split_target(std::string_view target, std::string& path, std::string& query) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) {
    path.assign(target);
    query.clear();
  } else {
    path.assign(target.substr(0, q));
    query.assign(target.substr(q + 1));
  }
}

EchoRecorder::EchoRecorder(std::string_view content_type) {
  if (auto boundary = multipart_boundary(content_type)) {
    multipart_.emplace(std::move(*boundary));
  }
}

void EchoRecorder::on_body(std::string_view bytes) {
  body_bytes_ += bytes.size();
  sha_.update(bytes);
  if (multipart_) {
    multipart_->feed(bytes);
  }
}

std::string EchoRecorder::finish_json(const RequestHead& head) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : head.headers) {
    auto it = headers.find(name);
    if (it == headers.end()) {
      headers[name] = value;
    } else {
      // Repeated fields are combined as HTTP allows (cookies with "; ").
      *it = it->get<std::string>() + (name == "cookie" ? "; " : ", ") + value;
    }
  }
  nlohmann::json parts = nlohmann::json::array();
  if (multipart_) {
    multipart_->finish();
    for (const PartDigest& part : multipart_->parts()) {
      parts.push_back({{"name", part.name},
                       {"filename", part.filename},
                       {"content_type", part.content_type},
                       {"bytes", part.bytes},
                       {"sha256", part.sha256}});
    }
  }
  nlohmann::json out = {{"method", head.method},     {"path", head.path},
                        {"query", head.query},       {"headers", std::move(headers)},
                        {"body_bytes", body_bytes_}, {"sha256", sha_.hex_digest()},
                        {"parts", std::move(parts)}};
  if (multipart_ && !multipart_->error().empty()) {
    out["multipart_error"] = multipart_->error();
  }
  return to_json_text(out);
}

}  // namespace faultline::fake_server::detail
