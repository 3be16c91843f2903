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
    FieldSpec{"listeners[].handshake_delay_ms", "integer"},
    FieldSpec{"settings", "object"},
    FieldSpec{"settings.max_concurrent_streams", "integer"},
    FieldSpec{"settings.initial_window_size", "integer"},
    FieldSpec{"settings.max_frame_size", "integer"},
    FieldSpec{"settings.header_table_size", "integer"},
    FieldSpec{"settings.max_header_list_size", "integer"},
    FieldSpec{"limits", "object"},
    FieldSpec{"limits.max_request_body_bytes", "integer"},
    FieldSpec{"limits.max_header_bytes", "integer"},
    FieldSpec{"limits.header_timeout_ms", "integer"},
    FieldSpec{"limits.idle_timeout_ms", "integer"},
    FieldSpec{"limits.max_held_streams", "integer"},
    FieldSpec{"limits.max_pipelined_bytes", "integer"},
    FieldSpec{"limits.flood_guard", "boolean"},
    FieldSpec{"routes", "array"},
    FieldSpec{"routes[].match", "object"},
    FieldSpec{"routes[].match.method", "string"},
    FieldSpec{"routes[].match.path", "string"},
    FieldSpec{"routes[].match.listener", "string"},
    FieldSpec{"routes[].match.attempt", "string|array|object"},
    FieldSpec{"routes[].match.attempt.first", "integer"},
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
    FieldSpec{"routes[].respond.informational", "array"},
    FieldSpec{"routes[].respond.informational[].status", "integer"},
    FieldSpec{"routes[].respond.informational[].headers", "object"},
    FieldSpec{"routes[].respond.expect_continue", "boolean"},
    FieldSpec{"routes[].respond.early", "boolean"},
    FieldSpec{"routes[].respond.content_length", "integer|array|string"},
    FieldSpec{"routes[].respond.header_block", "object"},
    FieldSpec{"routes[].respond.header_block.bytes", "integer"},
    FieldSpec{"routes[].respond.header_block.frame_bytes", "integer"},
    FieldSpec{"routes[].respond.header_block.table_size_update", "array"},
    FieldSpec{"gates", "object"},
    FieldSpec{"gates.{name}", "object"},
    FieldSpec{"gates.{name}.release_when_held", "integer"},
    FieldSpec{"gates.{name}.order", "string"},
    FieldSpec{"gates.{name}.seed", "integer"},
    FieldSpec{"faults", "array"},
    FieldSpec{"faults[].name", "string"},
    FieldSpec{"faults[].on", "object"},
    FieldSpec{"faults[].on.streams_opened", "integer"},
    FieldSpec{"faults[].on.active_streams", "integer"},
    FieldSpec{"faults[].on.after_ms", "integer"},
    FieldSpec{"faults[].on.connect", "boolean"},
    FieldSpec{"faults[].on.path", "string"},
    FieldSpec{"faults[].on.method", "string"},
    FieldSpec{"faults[].on.attempt", "string|array|object"},
    FieldSpec{"faults[].on.attempt.first", "integer"},
    FieldSpec{"faults[].on.client_rst", "boolean"},
    FieldSpec{"faults[].on.admin", "string"},
    FieldSpec{"faults[].on.idle_ms", "integer"},
    FieldSpec{"faults[].do", "object"},
    FieldSpec{"faults[].do.goaway", "object"},
    FieldSpec{"faults[].do.goaway.last_stream_id", "string|integer"},
    FieldSpec{"faults[].do.goaway.error", "string|integer"},
    FieldSpec{"faults[].do.goaway.debug", "string"},
    FieldSpec{"faults[].do.goaway.graceful_delay_ms", "integer"},
    FieldSpec{"faults[].do.goaway.close_after_ms", "integer"},
    FieldSpec{"faults[].do.goaway.close_when_idle", "boolean"},
    FieldSpec{"faults[].do.settings", "object"},
    FieldSpec{"faults[].do.settings.max_concurrent_streams", "integer"},
    FieldSpec{"faults[].do.settings.initial_window_size", "integer"},
    FieldSpec{"faults[].do.settings.max_frame_size", "integer"},
    FieldSpec{"faults[].do.settings.header_table_size", "integer"},
    FieldSpec{"faults[].do.settings.max_header_list_size", "integer"},
    FieldSpec{"faults[].do.rst_stream", "object"},
    FieldSpec{"faults[].do.rst_stream.error", "string|integer"},
    FieldSpec{"faults[].do.rst_stream.at", "string"},
    FieldSpec{"faults[].do.rst_stream.after_bytes", "integer"},
    FieldSpec{"faults[].do.data_after_end_stream", "object"},
    FieldSpec{"faults[].do.data_after_end_stream.frames", "integer"},
    FieldSpec{"faults[].do.data_after_end_stream.frame_bytes", "integer"},
    FieldSpec{"faults[].do.data_after_end_stream.interval_ms", "integer"},
    FieldSpec{"faults[].do.data_after_rst", "object"},
    FieldSpec{"faults[].do.data_after_rst.frames", "integer"},
    FieldSpec{"faults[].do.data_after_rst.duration_ms", "integer"},
    FieldSpec{"faults[].do.data_after_rst.interval_ms", "integer"},
    FieldSpec{"faults[].do.data_after_rst.frame_bytes", "integer"},
    FieldSpec{"faults[].do.data_after_rst.trailers", "boolean"},
    FieldSpec{"faults[].do.data_unknown_stream", "object"},
    FieldSpec{"faults[].do.data_unknown_stream.stream_id", "string|integer"},
    FieldSpec{"faults[].do.data_unknown_stream.frames", "integer"},
    FieldSpec{"faults[].do.data_unknown_stream.frame_bytes", "integer"},
    FieldSpec{"faults[].do.close", "object"},
    FieldSpec{"faults[].do.close.mode", "string"},
    FieldSpec{"faults[].do.close.at", "string"},
    FieldSpec{"faults[].do.close.after_bytes", "integer"},
    FieldSpec{"faults[].do.close.all_connections", "boolean"},
    FieldSpec{"faults[].do.ping", "object"},
    FieldSpec{"faults[].do.ping.interval_ms", "integer"},
    FieldSpec{"faults[].do.ping.count", "integer"},
    FieldSpec{"faults[].do.protocol_violation", "object"},
    FieldSpec{"faults[].do.protocol_violation.kind", "string"},
    FieldSpec{"faults[].do.protocol_violation.status", "string"},
    FieldSpec{"faults[].do.protocol_violation.name", "string"},
    FieldSpec{"faults[].do.protocol_violation.value", "string"},
    FieldSpec{"faults[].do.storm", "object"},
    FieldSpec{"faults[].do.storm.error", "string|integer"},
    FieldSpec{"faults[].do.storm.debug", "string"},
    FieldSpec{"faults[].do.storm.duration_ms", "integer"},
    FieldSpec{"faults[].do.storm.close_after_ms", "integer"},
    FieldSpec{"faults[].times", "integer|string"},
    FieldSpec{"faults[].scope", "string"},
    FieldSpec{"faults[].listener", "string"},
    FieldSpec{"enforce_stream_limit", "boolean"},
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
