#include "detail/fields.h"

#include <array>

namespace faultline::scenarios::detail {
namespace {

constexpr std::array kFields = {
    FieldSpec{"name", "string"},
    FieldSpec{"description", "string"},
    FieldSpec{"listeners", "array"},
    FieldSpec{"listeners[].name", "string"},
    FieldSpec{"listeners[].tls", "boolean"},
    FieldSpec{"listeners[].alpn", "string"},
    FieldSpec{"settings", "object"},
    FieldSpec{"settings.max_concurrent_streams", "integer"},
    FieldSpec{"settings.initial_window_size", "integer"},
    FieldSpec{"settings.max_frame_size", "integer"},
    FieldSpec{"settings.header_table_size", "integer"},
    FieldSpec{"settings.max_header_list_size", "integer"},
    FieldSpec{"limits", "object"},
    FieldSpec{"limits.max_request_body_bytes", "integer"},
    FieldSpec{"limits.max_header_bytes", "integer"},
    FieldSpec{"routes", "array"},
    FieldSpec{"routes[].match", "object"},
    FieldSpec{"routes[].match.method", "string"},
    FieldSpec{"routes[].match.path", "string"},
    FieldSpec{"routes[].match.listener", "string"},
    FieldSpec{"routes[].respond", "object"},
    FieldSpec{"routes[].respond.status", "integer"},
    FieldSpec{"routes[].respond.headers", "object"},
    FieldSpec{"routes[].respond.body", "string|object"},
    FieldSpec{"routes[].respond.body.text", "string"},
    FieldSpec{"routes[].respond.body.base64", "string"},
    FieldSpec{"routes[].respond.body.echo", "boolean"},
    FieldSpec{"routes[].respond.body.random_bytes", "integer|string"},
    FieldSpec{"routes[].respond.body.seed", "integer"},
    FieldSpec{"routes[].respond.body.sse", "object"},
    FieldSpec{"routes[].respond.body.sse.events", "integer"},
    FieldSpec{"routes[].respond.body.sse.interval_ms", "integer"},
    FieldSpec{"routes[].respond.body.sse.event", "string"},
    FieldSpec{"routes[].respond.body.sse.data", "string"},
    FieldSpec{"routes[].respond.body.sse.split", "array"},
    FieldSpec{"routes[].respond.redirect", "object"},
    FieldSpec{"routes[].respond.redirect.status", "integer"},
    FieldSpec{"routes[].respond.redirect.to", "string"},
    FieldSpec{"routes[].respond.redirect.listener", "string"},
    FieldSpec{"routes[].respond.hold", "string"},
    FieldSpec{"routes[].respond.delay_ms", "integer"},
    FieldSpec{"routes[].respond.chunk_bytes", "integer"},
    FieldSpec{"routes[].respond.chunk_delay_ms", "integer"},
    FieldSpec{"routes[].respond.trailers", "object"},
};

/** The generic path of a field's parent object and its own name. */
std::pair<std::string_view, std::string_view> split_path(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  if (dot == std::string_view::npos) {
    return {std::string_view(), path};
  }
  return {path.substr(0, dot), path.substr(dot + 1)};
}

}  // namespace

std::span<const FieldSpec> known_fields() noexcept {
  return kFields;
}

std::vector<std::string_view> fields_of(std::string_view parent) {
  std::vector<std::string_view> names;
  for (const FieldSpec& field : kFields) {
    const auto [field_parent, name] = split_path(field.path);
    if (field_parent == parent) {
      names.push_back(name);
    }
  }
  return names;
}

bool is_known_field(std::string_view parent, std::string_view name) {
  for (const FieldSpec& field : kFields) {
    if (split_path(field.path) == std::pair{parent, name}) {
      return true;
    }
  }
  return false;
}

}  // namespace faultline::scenarios::detail
