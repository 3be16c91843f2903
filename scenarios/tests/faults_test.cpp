// Faults and gates: every rejection at its exact JSON path, what is accepted where, and
// the round trip through to_json() for every trigger and action.
#include "faultline/scenarios/faults.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <variant>

#include "faultline/scenarios/loader.h"
#include "rejection.h"

namespace faultline::scenarios {
namespace {

/** Listeners of every kind, routes on all of them and one only on the h1-only listener,
    and `faults` as the faults array's contents; `extra` is more top-level members. */
std::string with_faults(const std::string& faults, const std::string& extra = "") {
  return R"({"name":"t",
    "listeners":[{"name":"main"},{"name":"plain","tls":false},
                 {"name":"legacy","alpn":"h1-only"},{"name":"strict","alpn":"h1-strict"}],
    "routes":[{"match":{"method":"GET","path":"/health"},"respond":{}},
              {"match":{"path":"/echo"},"respond":{}},
              {"match":{"path":"/old/{x}","listener":"legacy"},"respond":{}},
              {"match":{"path":"/hold"},"respond":{"hold":"g"}}],
    "faults":[)" +
         faults + "]" + extra + "}";
}

/** One fault: {"on": on, "do": action, rest...}. */
std::string fault(const std::string& on, const std::string& action, const std::string& rest = "") {
  return R"({"on":)" + on + R"(,"do":)" + action + rest + "}";
}

/** A scenario whose only fault fires on connect and does `action`. */
std::string with_action(const std::string& action, const std::string& rest = "") {
  return with_faults(fault(R"({"connect":true})", action, rest));
}

/** A scenario whose only fault has trigger `on` and sends PINGs. */
std::string with_trigger(const std::string& on, const std::string& rest = "") {
  return with_faults(fault(on, R"({"ping":{}})", rest));
}

/** A scenario with the given gates (gate "g" is held by /hold). */
std::string with_gates(const std::string& gates) {
  return with_faults("", R"(,"gates":)" + gates);
}

using testing::expect_rejection;
using testing::Rejection;

class FaultRejects : public ::testing::TestWithParam<Rejection> {};

TEST_P(FaultRejects, WithExactPath) {
  expect_rejection(GetParam(), [](const std::string& json) { return parse_scenario(json); });
}

const std::string kConnect = R"({"connect":true})";
const std::string kPing = R"({"ping":{}})";
const std::string kClientRst = R"({"client_rst":true})";

// clang-format off
const Rejection kFaultRejections[] = {
    // The fault object.
    {"faults_not_array", R"({"name":"t","faults":{}})", "$.faults", "array of faults"},
    {"fault_not_object", with_faults("1"), "$.faults[0]", "must be an object"},
    {"fault_without_on", with_faults(R"({"do":{"ping":{}}})"), "$.faults[0].on", "is required"},
    {"fault_without_do", with_faults(R"({"on":{"connect":true}})"), "$.faults[0].do", "is required"},
    {"fault_unknown_field", with_faults(fault(kConnect, kPing, R"(,"when":1)")), "$.faults[0].when",
     "unknown field (known here: name, on, do, times, scope, listener)"},
    {"fault_name_bad", with_faults(fault(kConnect, kPing, R"(,"name":"a b")")), "$.faults[0].name",
     "only letters"},
    {"fault_name_duplicate",
     with_faults(fault(kConnect, kPing, R"(,"name":"f")") + "," + fault(kConnect, kPing, R"(,"name":"f")")),
     "$.faults[1].name", "duplicate fault name \"f\""},
    {"fault_listener_unknown", with_faults(fault(kConnect, kPing, R"(,"listener":"nope")")),
     "$.faults[0].listener", "unknown listener \"nope\""},
    {"times_zero", with_faults(fault(kConnect, kPing, R"(,"times":0)")), "$.faults[0].times",
     "1..2147483647"},
    {"times_negative", with_faults(fault(kConnect, kPing, R"(,"times":-1)")), "$.faults[0].times",
     "1..2147483647"},
    {"times_fraction", with_faults(fault(kConnect, kPing, R"(,"times":1.5)")), "$.faults[0].times",
     "fraction"},
    {"times_word", with_faults(fault(kConnect, kPing, R"(,"times":"twice")")), "$.faults[0].times",
     "\"always\""},
    {"scope_unknown", with_faults(fault(kConnect, kPing, R"(,"scope":"global")")),
     "$.faults[0].scope", "unknown scope \"global\" (one of: connection, server)"},
    {"scope_connection_with_admin",
     with_faults(fault(R"({"admin":"x"})", kPing, R"(,"scope":"connection")")), "$.faults[0].scope",
     "admin trigger"},
    // Triggers.
    {"trigger_not_object", with_trigger("5"), "$.faults[0].on", "must be an object"},
    {"trigger_empty", with_trigger("{}"), "$.faults[0].on",
     "must have one of: streams_opened, active_streams, after_ms, connect, path, client_rst, admin, "
     "idle_ms"},
    {"trigger_two_kinds", with_trigger(R"({"connect":true,"after_ms":5})"), "$.faults[0].on.after_ms",
     "a trigger has one kind and this one is already \"connect\""},
    {"trigger_unknown", with_trigger(R"({"every_ms":5})"), "$.faults[0].on.every_ms", "unknown field"},
    {"streams_opened_zero", with_trigger(R"({"streams_opened":0})"), "$.faults[0].on.streams_opened",
     "1..2147483647"},
    {"streams_opened_string", with_trigger(R"({"streams_opened":"5"})"),
     "$.faults[0].on.streams_opened", "integer"},
    {"active_streams_too_big", with_trigger(R"({"active_streams":2147483648})"),
     "$.faults[0].on.active_streams", "1..2147483647"},
    {"after_ms_too_long", with_trigger(R"({"after_ms":3600001})"), "$.faults[0].on.after_ms",
     "0..3600000"},
    {"idle_ms_zero", with_trigger(R"({"idle_ms":0})"), "$.faults[0].on.idle_ms", "1..3600000"},
    {"idle_ms_too_long", with_trigger(R"({"idle_ms":3600001})"), "$.faults[0].on.idle_ms",
     "1..3600000"},
    {"connect_false", with_trigger(R"({"connect":false})"), "$.faults[0].on.connect", "must be true"},
    {"client_rst_number", with_trigger(R"({"client_rst":1})"), "$.faults[0].on.client_rst",
     "true or false"},
    {"admin_empty", with_trigger(R"({"admin":""})"), "$.faults[0].on.admin", "must not be empty"},
    {"admin_bad_name", with_trigger(R"({"admin":"a/b"})"), "$.faults[0].on.admin", "only letters"},
    {"method_without_path", with_trigger(R"({"connect":true,"method":"GET"})"),
     "$.faults[0].on.method", "only a path trigger has method"},
    {"attempt_without_path", with_trigger(R"({"streams_opened":1,"attempt":[1]})"),
     "$.faults[0].on.attempt", "only a path trigger has attempt"},
    {"path_not_string", with_trigger(R"({"path":1})"), "$.faults[0].on.path", "must be a string"},
    {"path_without_slash", with_trigger(R"({"path":"health"})"), "$.faults[0].on.path",
     "must start with"},
    {"path_malformed", with_trigger(R"({"path":"/a*"})"), "$.faults[0].on.path", "malformed"},
    {"path_no_route", with_trigger(R"({"path":"/nothing"})"), "$.faults[0].on.path",
     "no route serves a path matching \"/nothing\""},
    {"path_shorter_than_routes", with_trigger(R"({"path":"/old"})"), "$.faults[0].on.path",
     "no route serves"},
    {"path_method_mismatch", with_trigger(R"({"path":"/health","method":"POST"})"),
     "$.faults[0].on.path", "for POST"},
    {"path_route_on_other_listener", with_trigger(R"({"path":"/old/{y}"})", R"(,"listener":"main")"),
     "$.faults[0].on.path", "on listener \"main\""},
    {"path_method_lower", with_trigger(R"({"path":"/echo","method":"get"})"), "$.faults[0].on.method",
     "upper-case"},
    {"attempt_empty", with_trigger(R"({"path":"/echo","attempt":[]})"), "$.faults[0].on.attempt",
     "at least one"},
    {"attempt_zero", with_trigger(R"({"path":"/echo","attempt":[0]})"), "$.faults[0].on.attempt[0]",
     "1..2147483647"},
    {"attempt_descending", with_trigger(R"({"path":"/echo","attempt":[2,1]})"),
     "$.faults[0].on.attempt[1]", "ascending"},
    {"attempt_repeated", with_trigger(R"({"path":"/echo","attempt":[1,3,3]})"),
     "$.faults[0].on.attempt[2]", "no repeats"},
    {"attempt_word", with_trigger(R"({"path":"/echo","attempt":"never"})"), "$.faults[0].on.attempt",
     "must be \"always\""},
    {"attempt_number", with_trigger(R"({"path":"/echo","attempt":1})"), "$.faults[0].on.attempt",
     "{\"first\": k}"},
    {"attempt_first_missing", with_trigger(R"({"path":"/echo","attempt":{}})"),
     "$.faults[0].on.attempt.first", "is required"},
    {"attempt_first_zero", with_trigger(R"({"path":"/echo","attempt":{"first":0}})"),
     "$.faults[0].on.attempt.first", "1..2147483647"},
    {"attempt_unknown_field", with_trigger(R"({"path":"/echo","attempt":{"first":1,"last":2}})"),
     "$.faults[0].on.attempt.last", "unknown field"},
    // Actions.
    {"action_not_object", with_action("[]"), "$.faults[0].do", "must be an object"},
    {"action_empty", with_action("{}"), "$.faults[0].do",
     "must have one of: goaway, settings, rst_stream, data_after_end_stream, data_after_rst, "
     "data_unknown_stream, close, ping, storm, protocol_violation"},
    {"action_two_kinds", with_action(R"({"ping":{},"storm":{}})"), "$.faults[0].do.storm",
     "an action has one kind and this one is already \"ping\""},
    {"action_unknown", with_action(R"({"explode":{}})"), "$.faults[0].do.explode", "unknown field"},
    {"action_spec_not_object", with_action(R"({"ping":1})"), "$.faults[0].do.ping",
     "must be an object"},
    {"goaway_unknown_field", with_action(R"({"goaway":{"last":1}})"), "$.faults[0].do.goaway.last",
     "unknown field"},
    {"goaway_last_word", with_action(R"({"goaway":{"last_stream_id":"newest"}})"),
     "$.faults[0].do.goaway.last_stream_id", "(one of: current, previous, max)"},
    {"goaway_last_too_big", with_action(R"({"goaway":{"last_stream_id":2147483648}})"),
     "$.faults[0].do.goaway.last_stream_id", "0..2147483647"},
    {"goaway_last_negative", with_action(R"({"goaway":{"last_stream_id":-1}})"),
     "$.faults[0].do.goaway.last_stream_id", "0..2147483647"},
    {"goaway_last_bool", with_action(R"({"goaway":{"last_stream_id":true}})"),
     "$.faults[0].do.goaway.last_stream_id", "\"current\", \"previous\", \"max\""},
    {"goaway_error_unknown", with_action(R"({"goaway":{"error":"OOPS"}})"),
     "$.faults[0].do.goaway.error", "unknown HTTP/2 error code \"OOPS\" (one of: NO_ERROR,"},
    {"goaway_error_lower_case", with_action(R"({"goaway":{"error":"no_error"}})"),
     "$.faults[0].do.goaway.error", "unknown HTTP/2 error code"},
    {"goaway_error_too_big", with_action(R"({"goaway":{"error":4294967296}})"),
     "$.faults[0].do.goaway.error", "0..4294967295"},
    {"goaway_error_bool", with_action(R"({"goaway":{"error":false}})"),
     "$.faults[0].do.goaway.error", "error code name"},
    {"goaway_debug_too_long", with_action(R"({"goaway":{"debug":")" + std::string(1025, 'd') + R"("}})"),
     "$.faults[0].do.goaway.debug", "at most 1024 bytes, not 1025"},
    {"goaway_debug_number", with_action(R"({"goaway":{"debug":1}})"), "$.faults[0].do.goaway.debug",
     "string"},
    {"goaway_graceful_max", with_action(R"({"goaway":{"last_stream_id":"max","graceful_delay_ms":10}})"),
     "$.faults[0].do.goaway.last_stream_id", "cannot end a graceful shutdown"},
    {"goaway_graceful_too_long", with_action(R"({"goaway":{"graceful_delay_ms":3600001}})"),
     "$.faults[0].do.goaway.graceful_delay_ms", "0..3600000"},
    {"goaway_close_after_negative", with_action(R"({"goaway":{"close_after_ms":-5}})"),
     "$.faults[0].do.goaway.close_after_ms", "0..3600000"},
    {"goaway_close_when_idle_string", with_action(R"({"goaway":{"close_when_idle":"yes"}})"),
     "$.faults[0].do.goaway.close_when_idle", "true or false"},
    {"settings_empty", with_action(R"({"settings":{}})"), "$.faults[0].do.settings",
     "must set at least one of: max_concurrent_streams, initial_window_size, max_frame_size, "
     "header_table_size, max_header_list_size"},
    {"settings_frame_too_small", with_action(R"({"settings":{"max_frame_size":100}})"),
     "$.faults[0].do.settings.max_frame_size", "16384..16777215"},
    {"settings_window_too_big", with_action(R"({"settings":{"initial_window_size":2147483648}})"),
     "$.faults[0].do.settings.initial_window_size", "0..2147483647"},
    {"settings_unknown", with_action(R"({"settings":{"enable_push":0}})"),
     "$.faults[0].do.settings.enable_push", "unknown field"},
    {"rst_without_error", with_action(R"({"rst_stream":{}})"), "$.faults[0].do.rst_stream.error",
     "is required"},
    {"rst_error_negative", with_action(R"({"rst_stream":{"error":-1}})"),
     "$.faults[0].do.rst_stream.error", "0..4294967295"},
    {"rst_at_unknown", with_action(R"({"rst_stream":{"error":"CANCEL","at":"during"}})"),
     "$.faults[0].do.rst_stream.at", "unknown point \"during\" (one of: before_headers, "
                                     "after_headers, mid_body)"},
    {"rst_after_bytes_not_mid_body",
     with_action(R"({"rst_stream":{"error":"CANCEL","at":"after_headers","after_bytes":5}})"),
     "$.faults[0].do.rst_stream.after_bytes", "only with at: \"mid_body\""},
    {"rst_after_bytes_zero",
     with_action(R"({"rst_stream":{"error":"CANCEL","at":"mid_body","after_bytes":0}})"),
     "$.faults[0].do.rst_stream.after_bytes", "1..18446744073709551615"},
    {"late_end_frames_zero", with_action(R"({"data_after_end_stream":{"frames":0}})"),
     "$.faults[0].do.data_after_end_stream.frames", "1..10000"},
    {"late_end_frames_too_many", with_action(R"({"data_after_end_stream":{"frames":10001}})"),
     "$.faults[0].do.data_after_end_stream.frames", "1..10000"},
    {"late_end_frame_too_big", with_action(R"({"data_after_end_stream":{"frame_bytes":16385}})"),
     "$.faults[0].do.data_after_end_stream.frame_bytes", "0..16384"},
    {"late_end_interval_float", with_action(R"({"data_after_end_stream":{"interval_ms":0.5}})"),
     "$.faults[0].do.data_after_end_stream.interval_ms", "fraction"},
    {"late_rst_frames_and_duration",
     with_action(R"({"data_after_rst":{"frames":2,"duration_ms":10,"interval_ms":1}})"),
     "$.faults[0].do.data_after_rst.duration_ms", "not together with frames"},
    {"late_rst_duration_without_interval", with_action(R"({"data_after_rst":{"duration_ms":10}})"),
     "$.faults[0].do.data_after_rst.interval_ms", "at least 1 with duration_ms"},
    {"late_rst_duration_zero", with_action(R"({"data_after_rst":{"duration_ms":0}})"),
     "$.faults[0].do.data_after_rst.duration_ms", "1..3600000"},
    {"late_rst_trailers_string", with_action(R"({"data_after_rst":{"trailers":"yes"}})"),
     "$.faults[0].do.data_after_rst.trailers", "true or false"},
    {"unknown_stream_zero", with_action(R"({"data_unknown_stream":{"stream_id":0}})"),
     "$.faults[0].do.data_unknown_stream.stream_id", "1..2147483647"},
    {"unknown_stream_word", with_action(R"({"data_unknown_stream":{"stream_id":"next"}})"),
     "$.faults[0].do.data_unknown_stream.stream_id", "(one of: next_odd, next_even)"},
    {"unknown_stream_bool", with_action(R"({"data_unknown_stream":{"stream_id":true}})"),
     "$.faults[0].do.data_unknown_stream.stream_id", "\"next_odd\", \"next_even\""},
    {"close_mode_unknown", with_action(R"({"close":{"mode":"rst"}})"), "$.faults[0].do.close.mode",
     "unknown close mode \"rst\" (one of: fin, reset, close_notify, black_hole)"},
    {"close_at_unknown", with_action(R"({"close":{"at":"later"}})"), "$.faults[0].do.close.at",
     "(one of: now, mid_headers, mid_body)"},
    {"close_all_not_now", with_action(R"({"close":{"at":"mid_body","all_connections":true}})"),
     "$.faults[0].do.close.all_connections", "only with at: \"now\""},
    {"close_after_bytes_now", with_action(R"({"close":{"after_bytes":3}})"),
     "$.faults[0].do.close.after_bytes", "only with at: \"mid_body\""},
    {"close_notify_on_cleartext",
     with_action(R"({"close":{"mode":"close_notify"}})", R"(,"listener":"plain")"),
     "$.faults[0].do.close.mode", "close_notify needs TLS, and listener \"plain\" (cleartext)"},
    {"ping_interval_zero", with_action(R"({"ping":{"interval_ms":0}})"),
     "$.faults[0].do.ping.interval_ms", "1..3600000"},
    {"ping_count_zero", with_action(R"({"ping":{"count":0}})"), "$.faults[0].do.ping.count",
     "1..1000000"},
    {"ping_count_too_big", with_action(R"({"ping":{"count":1000001}})"), "$.faults[0].do.ping.count",
     "1..1000000"},
    {"storm_error_unknown", with_action(R"({"storm":{"error":"CALM"}})"),
     "$.faults[0].do.storm.error", "unknown HTTP/2 error code"},
    {"storm_duration_zero", with_action(R"({"storm":{"duration_ms":0}})"),
     "$.faults[0].do.storm.duration_ms", "1..3600000"},
    {"storm_unknown_field", with_action(R"({"storm":{"rate":1}})"), "$.faults[0].do.storm.rate",
     "unknown field"},
    // Actions where only HTTP/1.1 is possible.
    {"settings_on_h1_only",
     with_action(R"({"settings":{"max_concurrent_streams":1}})", R"(,"listener":"legacy")"),
     "$.faults[0].do.settings",
     "settings needs HTTP/2, which listener \"legacy\" (TLS, ALPN h1-only) never speaks"},
    {"ping_on_h1_strict", with_action(kPing, R"(,"listener":"strict")"), "$.faults[0].do.ping",
     "listener \"strict\" (TLS, ALPN h1-strict)"},
    {"storm_on_h1_only", with_action(R"({"storm":{}})", R"(,"listener":"legacy")"),
     "$.faults[0].do.storm", "needs HTTP/2"},
    {"data_unknown_on_h1_only", with_action(R"({"data_unknown_stream":{}})", R"(,"listener":"legacy")"),
     "$.faults[0].do.data_unknown_stream", "needs HTTP/2"},
    {"data_after_end_on_h1_only",
     with_action(R"({"data_after_end_stream":{}})", R"(,"listener":"legacy")"),
     "$.faults[0].do.data_after_end_stream", "needs HTTP/2"},
    {"data_after_rst_on_h1_route", with_faults(fault(R"({"path":"/old/{x}"})", R"({"data_after_rst":{}})")),
     "$.faults[0].do.data_after_rst", "listener \"legacy\" (TLS, ALPN h1-only) never speaks"},
    {"client_rst_on_h1_only", with_faults(fault(kClientRst, R"({"close":{}})", R"(,"listener":"legacy")")),
     "$.faults[0].on.client_rst", "only HTTP/2 clients reset streams"},
    {"active_streams_on_h1_only",
     with_faults(fault(R"({"active_streams":2})", R"({"goaway":{}})", R"(,"listener":"legacy")")),
     "$.faults[0].on.active_streams", "one open stream at a time"},
    // Stream actions after the client's own reset.
    {"rst_after_client_rst", with_faults(fault(kClientRst, R"({"rst_stream":{"error":"CANCEL"}})")),
     "$.faults[0].do.rst_stream", "cannot act on a stream the client has just reset"},
    {"data_after_end_after_client_rst", with_faults(fault(kClientRst, R"({"data_after_end_stream":{}})")),
     "$.faults[0].do.data_after_end_stream", "cannot act on a stream"},
    {"close_mid_headers_after_client_rst",
     with_faults(fault(kClientRst, R"({"close":{"at":"mid_headers"}})")), "$.faults[0].do.close.at",
     "cannot act on a stream"},
    // Gates.
    {"gates_not_object", with_gates("[]"), "$.gates", "must be an object from gate name"},
    {"gate_not_held", with_gates(R"({"nope":{}})"), "$.gates.nope",
     "no route holds streams at gate \"nope\" (gates held by routes: g)"},
    {"gate_not_held_quoted", with_gates(R"({"a b":{}})"), R"($.gates["a b"])", "no route holds"},
    {"gate_not_held_no_holds", R"({"name":"t","gates":{"g":{}}})", "$.gates.g",
     "no route has respond.hold"},
    {"gate_not_object", with_gates(R"({"g":1})"), "$.gates.g", "must be an object"},
    {"gate_unknown_field", with_gates(R"({"g":{"when":1}})"), "$.gates.g.when",
     "unknown field (known here: release_when_held, order, seed)"},
    {"gate_order_unknown", with_gates(R"({"g":{"order":"lifo"}})"), "$.gates.g.order",
     "unknown gate order \"lifo\" (one of: arrival, reverse, random)"},
    {"gate_seed_without_random", with_gates(R"({"g":{"order":"reverse","seed":1}})"),
     "$.gates.g.seed", "only a random order has a seed"},
    {"gate_release_zero", with_gates(R"({"g":{"release_when_held":0}})"),
     "$.gates.g.release_when_held", "1..2147483647"},
    // Top level and listeners.
    {"enforce_not_bool", R"({"name":"t","enforce_stream_limit":1})", "$.enforce_stream_limit",
     "true or false"},
    {"handshake_delay_cleartext",
     R"({"name":"t","listeners":[{"name":"p","tls":false,"handshake_delay_ms":5}]})",
     "$.listeners[0].handshake_delay_ms", "only a TLS listener has a handshake"},
    {"handshake_delay_too_long", R"({"name":"t","listeners":[{"name":"p","handshake_delay_ms":3600001}]})",
     "$.listeners[0].handshake_delay_ms", "0..3600000"},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Faults, FaultRejects, ::testing::ValuesIn(kFaultRejections),
                         [](const auto& info) { return info.param.label; });

class ActionRejects : public ::testing::TestWithParam<Rejection> {};

TEST_P(ActionRejects, WithExactPath) {
  expect_rejection(GetParam(), [](const std::string& json) { return parse_action(json); });
}

// clang-format off
const Rejection kActionRejections[] = {
    {"malformed", R"({"goaway":)", "$", "invalid JSON"},
    {"not_object", "[]", "$", "must be an object"},
    {"empty", "{}", "$", "must have one of: goaway,"},
    {"unknown_kind", R"({"nope":1})", "$.nope", "unknown field (known here: goaway, settings,"},
    {"two_kinds", R"({"goaway":{},"storm":{}})", "$.storm", "already \"goaway\""},
    {"duplicate_key", R"({"goaway":{"error":"CANCEL","error":"CANCEL"}})", "$.goaway.error",
     "duplicate key"},
    {"bad_error", R"({"goaway":{"error":"X"}})", "$.goaway.error", "unknown HTTP/2 error code"},
    {"rst_without_error", R"({"rst_stream":{"at":"mid_body"}})", "$.rst_stream.error", "is required"},
    {"settings_empty", R"({"settings":{}})", "$.settings", "at least one"},
    {"close_all_mid_body", R"({"close":{"at":"mid_body","all_connections":true}})",
     "$.close.all_connections", "only with at"},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Faults, ActionRejects, ::testing::ValuesIn(kActionRejections),
                         [](const auto& info) { return info.param.label; });

// ---- what is accepted --------------------------------------------------------------------

/** The single fault of a scenario built by with_faults(). */
Fault only_fault(const std::string& json) {
  const Scenario s = parse_scenario(json);
  EXPECT_EQ(s.faults.size(), 1u);
  return s.faults.empty() ? Fault{} : s.faults[0];
}

TEST(FaultParse, DefaultsOfAFault) {
  const Fault f = only_fault(with_faults(fault(kConnect, kPing)));
  EXPECT_EQ(f.name, "");
  EXPECT_TRUE(std::holds_alternative<ConnectTrigger>(f.trigger));
  EXPECT_EQ(f.times, std::optional<std::uint32_t>(1));
  EXPECT_EQ(f.scope, FaultScope::connection);
  EXPECT_FALSE(f.listener);
  const auto& ping = std::get<PingAction>(f.action);
  EXPECT_EQ(ping.interval_ms, 1000u);
  EXPECT_FALSE(ping.count);
}

TEST(FaultParse, DefaultsOfEveryAction) {
  const auto action = [](const std::string& json) { return parse_action(json); };
  const auto goaway = std::get<GoawayAction>(action(R"({"goaway":{}})"));
  EXPECT_EQ(goaway.last_stream_id.kind, LastStreamId::Kind::current);
  EXPECT_EQ(goaway.error, H2Error::no_error);
  EXPECT_EQ(goaway.debug, "");
  EXPECT_FALSE(goaway.graceful_delay_ms || goaway.close_after_ms);
  EXPECT_TRUE(goaway.close_when_idle);
  const auto rst = std::get<RstStreamAction>(action(R"({"rst_stream":{"error":"CANCEL"}})"));
  EXPECT_EQ(rst.at, RstPoint::before_headers);
  EXPECT_EQ(rst.after_bytes, 1u);
  const auto end = std::get<DataAfterEndStreamAction>(action(R"({"data_after_end_stream":{}})"));
  EXPECT_EQ(end, (DataAfterEndStreamAction{1, 16, 0}));
  const auto rst_late = std::get<DataAfterRstAction>(action(R"({"data_after_rst":{}})"));
  EXPECT_EQ(rst_late, (DataAfterRstAction{1, std::nullopt, 0, 16, false}));
  const auto unknown = std::get<DataUnknownStreamAction>(action(R"({"data_unknown_stream":{}})"));
  EXPECT_EQ(unknown.stream_id.kind, UnknownStreamId::Kind::next_odd);
  EXPECT_EQ(unknown.frames, 1u);
  EXPECT_EQ(unknown.frame_bytes, 16u);
  const auto close = std::get<CloseAction>(action(R"({"close":{}})"));
  EXPECT_EQ(close, (CloseAction{CloseMode::fin, ClosePoint::now, 1, false}));
  const auto storm = std::get<StormAction>(action(R"({"storm":{}})"));
  EXPECT_EQ(storm.error, H2Error::enhance_your_calm);
  EXPECT_FALSE(storm.duration_ms);
  EXPECT_EQ(storm.close_after_ms, 0u);
  const auto settings =
      std::get<SettingsAction>(action(R"({"settings":{"max_frame_size":16384}})"));
  EXPECT_EQ(settings,
            (SettingsAction{std::nullopt, std::nullopt, 16384u, std::nullopt, std::nullopt}));
}

TEST(FaultParse, ErrorCodesByNameOrNumber) {
  const auto error_of = [](const std::string& error) {
    return std::get<RstStreamAction>(parse_action(R"({"rst_stream":{"error":)" + error + "}}"))
        .error;
  };
  EXPECT_EQ(error_of(R"("REFUSED_STREAM")"), H2Error::refused_stream);
  EXPECT_EQ(error_of("7"), H2Error::refused_stream);
  EXPECT_EQ(error_of(R"("HTTP_1_1_REQUIRED")"), H2Error::http_1_1_required);
  EXPECT_EQ(error_of("255"), static_cast<H2Error>(255));
  EXPECT_EQ(error_of("4294967295"), static_cast<H2Error>(0xffffffffu));
}

TEST(FaultParse, ActionsWithAnHttp1MeaningLoadOnHttp1OnlyListeners) {
  for (const char* action :
       {R"({"goaway":{}})", R"({"rst_stream":{"error":"CANCEL"}})",
        R"({"close":{"mode":"close_notify"}})", R"({"close":{"mode":"black_hole"}})"}) {
    SCOPED_TRACE(action);
    EXPECT_NO_THROW((void)parse_scenario(with_action(action, R"(,"listener":"legacy")")));
    EXPECT_NO_THROW((void)parse_scenario(with_faults(fault(R"({"path":"/old/7"})", action))));
  }
  // One HTTP/1.1 request is open at a time, so active_streams 1 can fire there.
  EXPECT_NO_THROW((void)parse_scenario(
      with_faults(fault(R"({"active_streams":1})", R"({"close":{}})", R"(,"listener":"legacy")"))));
}

TEST(FaultParse, HttpTwoActionsLoadWhereHttpTwoIsPossible) {
  // Without a listener the fault covers main and plain too; plain speaks h2c.
  EXPECT_NO_THROW(
      (void)parse_scenario(with_action(R"({"settings":{"max_concurrent_streams":1}})")));
  EXPECT_NO_THROW((void)parse_scenario(with_action(kPing, R"(,"listener":"plain")")));
  EXPECT_NO_THROW((void)parse_scenario(with_faults(fault(kClientRst, R"({"data_after_rst":{}})"))));
  EXPECT_NO_THROW(
      (void)parse_scenario(with_faults(fault(kClientRst, R"({"close":{"mode":"reset"}})"))));
  // close_notify on a mixed coverage: cleartext connections close with FIN.
  EXPECT_NO_THROW((void)parse_scenario(with_action(R"({"close":{"mode":"close_notify"}})")));
}

TEST(FaultParse, PathTriggersMatchRoutesByOverlap) {
  for (const char* trigger : {R"({"path":"/health","method":"GET"})", R"({"path":"/*"})",
                              R"({"path":"/{any}"})", R"({"path":"/echo","method":"DELETE"})",
                              R"({"path":"/old/{x}"})", R"({"path":"/old/*"})"}) {
    SCOPED_TRACE(trigger);
    // goaway: the routes on /old/ are only on the HTTP/1.1-only listener.
    EXPECT_NO_THROW((void)parse_scenario(with_faults(fault(trigger, R"({"goaway":{}})"))));
  }
  const Fault f =
      only_fault(with_trigger(R"({"path":"/echo","method":"POST","attempt":{"first":2}})"));
  const auto& path = std::get<PathTrigger>(f.trigger);
  EXPECT_EQ(path.path, "/echo");
  EXPECT_EQ(path.method, "POST");
  EXPECT_EQ(path.attempt.mode, Attempts::Mode::first);
  EXPECT_EQ(path.attempt.first, 2u);
}

TEST(FaultParse, AdminTriggersAreServerScoped) {
  EXPECT_EQ(only_fault(with_trigger(R"({"admin":"go"})")).scope, FaultScope::server);
  EXPECT_EQ(only_fault(with_trigger(R"({"admin":"go"})", R"(,"scope":"server")")).scope,
            FaultScope::server);
  EXPECT_EQ(only_fault(with_trigger(kConnect, R"(,"scope":"server","times":"always")")).times,
            std::nullopt);
}

TEST(FaultParse, GatesAndTopLevel) {
  const Scenario s = parse_scenario(
      with_faults("", R"(,"gates":{"g":{"release_when_held":3,"order":"random","seed":9}},
             "enforce_stream_limit":false)"));
  ASSERT_EQ(s.gates.size(), 1u);
  EXPECT_EQ(s.gates.at("g"), (GateConfig{3u, GateOrder::random, 9u}));
  EXPECT_FALSE(s.enforce_stream_limit);
  const Scenario plain = parse_scenario(R"({"name":"m"})");
  EXPECT_TRUE(plain.enforce_stream_limit);
  EXPECT_TRUE(plain.gates.empty());
  EXPECT_TRUE(plain.faults.empty());
  EXPECT_EQ(plain.listeners[0].handshake_delay_ms, 0u);
}

// ---- the round trip ------------------------------------------------------------------------

/** Every trigger and every action, with every field away from its default. */
const std::string kEveryFault = with_faults(R"(
  {"name":"a","on":{"streams_opened":5},"do":{"goaway":{"last_stream_id":"previous",
     "error":"ENHANCE_YOUR_CALM","debug":"bye","graceful_delay_ms":200,"close_after_ms":900,
     "close_when_idle":false}},"times":3,"scope":"server","listener":"main"},
  {"name":"b","on":{"active_streams":20},"do":{"settings":{"max_concurrent_streams":5,
     "initial_window_size":1024,"max_frame_size":32768,"header_table_size":0,
     "max_header_list_size":8192}}},
  {"on":{"after_ms":250},"do":{"goaway":{"last_stream_id":7,"error":255}},"times":"always"},
  {"on":{"after_ms":0},"do":{"goaway":{"last_stream_id":"max"}}},
  {"on":{"connect":true},"do":{"storm":{"error":"PROTOCOL_ERROR","debug":"calm",
     "duration_ms":1000,"close_after_ms":50}},"listener":"plain"},
  {"on":{"path":"/echo","method":"POST","attempt":[1,3]},"do":{"rst_stream":{
     "error":"INTERNAL_ERROR","at":"mid_body","after_bytes":4096}},"times":"always"},
  {"on":{"path":"/health","attempt":{"first":2}},"do":{"rst_stream":{"error":"CANCEL",
     "at":"after_headers"}}},
  {"on":{"path":"/hold"},"do":{"data_after_end_stream":{"frames":3,"frame_bytes":0,
     "interval_ms":5}}},
  {"on":{"client_rst":true},"do":{"data_after_rst":{"frames":4,"interval_ms":2,
     "frame_bytes":16384,"trailers":true}},"times":"always"},
  {"on":{"client_rst":true},"do":{"data_after_rst":{"duration_ms":100,"interval_ms":20}}},
  {"on":{"streams_opened":1},"do":{"data_unknown_stream":{"stream_id":"next_even","frames":2,
     "frame_bytes":8}}},
  {"on":{"streams_opened":2},"do":{"data_unknown_stream":{"stream_id":41}}},
  {"on":{"admin":"kill"},"do":{"close":{"mode":"reset","all_connections":true}}},
  {"on":{"path":"/old/{x}"},"do":{"close":{"mode":"close_notify","at":"mid_body",
     "after_bytes":10}}},
  {"on":{"path":"/echo"},"do":{"close":{"at":"mid_headers"}}},
  {"on":{"connect":true},"do":{"ping":{"interval_ms":100,"count":10}}},
  {"on":{"idle_ms":2000},"do":{"close":{"mode":"fin"}},"times":"always"},
  {"on":{"path":"/health"},"do":{"protocol_violation":{"kind":"forbidden_field",
     "name":"Upper-Case","value":"x"}}}
)",
                                            R"(,"gates":{"g":{"release_when_held":8,
      "order":"random","seed":42}},"enforce_stream_limit":false)");

TEST(FaultParse, EveryFieldIsRead) {
  const Scenario s = parse_scenario(kEveryFault);
  ASSERT_EQ(s.faults.size(), 18u);
  const Fault& a = s.faults[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(std::get<StreamsOpenedTrigger>(a.trigger).count, 5u);
  const GoawayAction expected_goaway{LastStreamId{LastStreamId::Kind::previous, 0},
                                     H2Error::enhance_your_calm,
                                     "bye",
                                     200u,
                                     900u,
                                     false};
  EXPECT_EQ(std::get<GoawayAction>(a.action), expected_goaway);
  EXPECT_EQ(a.times, 3u);
  EXPECT_EQ(a.scope, FaultScope::server);
  EXPECT_EQ(a.listener, "main");
  EXPECT_EQ(std::get<ActiveStreamsTrigger>(s.faults[1].trigger).count, 20u);
  EXPECT_EQ(std::get<SettingsAction>(s.faults[1].action),
            (SettingsAction{5u, 1024u, 32768u, 0u, 8192u}));
  EXPECT_EQ(std::get<AfterMsTrigger>(s.faults[2].trigger).ms, 250u);
  EXPECT_EQ(std::get<GoawayAction>(s.faults[2].action).last_stream_id,
            (LastStreamId{LastStreamId::Kind::number, 7}));
  EXPECT_EQ(s.faults[2].times, std::nullopt);
  EXPECT_EQ(std::get<GoawayAction>(s.faults[3].action).last_stream_id.kind,
            LastStreamId::Kind::max);
  EXPECT_EQ(std::get<StormAction>(s.faults[4].action),
            (StormAction{H2Error::protocol_error, "calm", 1000u, 50u}));
  const auto& path = std::get<PathTrigger>(s.faults[5].trigger);
  EXPECT_EQ(path.attempt.mode, Attempts::Mode::list);
  EXPECT_EQ(path.attempt.list, (std::vector<std::uint32_t>{1, 3}));
  EXPECT_EQ(std::get<RstStreamAction>(s.faults[5].action),
            (RstStreamAction{H2Error::internal_error, RstPoint::mid_body, 4096}));
  EXPECT_EQ(std::get<DataAfterEndStreamAction>(s.faults[7].action),
            (DataAfterEndStreamAction{3, 0, 5}));
  EXPECT_TRUE(std::holds_alternative<ClientRstTrigger>(s.faults[8].trigger));
  EXPECT_EQ(std::get<DataAfterRstAction>(s.faults[8].action),
            (DataAfterRstAction{4, std::nullopt, 2, 16384, true}));
  EXPECT_EQ(std::get<DataAfterRstAction>(s.faults[9].action).duration_ms, 100u);
  EXPECT_EQ(std::get<DataUnknownStreamAction>(s.faults[10].action),
            (DataUnknownStreamAction{UnknownStreamId{UnknownStreamId::Kind::next_even, 0}, 2, 8}));
  EXPECT_EQ(std::get<DataUnknownStreamAction>(s.faults[11].action).stream_id,
            (UnknownStreamId{UnknownStreamId::Kind::number, 41}));
  EXPECT_EQ(std::get<AdminTrigger>(s.faults[12].trigger).label, "kill");
  EXPECT_EQ(std::get<CloseAction>(s.faults[12].action),
            (CloseAction{CloseMode::reset, ClosePoint::now, 1, true}));
  EXPECT_EQ(std::get<CloseAction>(s.faults[13].action),
            (CloseAction{CloseMode::close_notify, ClosePoint::mid_body, 10, false}));
  EXPECT_EQ(std::get<CloseAction>(s.faults[14].action).at, ClosePoint::mid_headers);
  EXPECT_EQ(std::get<PingAction>(s.faults[15].action), (PingAction{100, 10u}));
  EXPECT_EQ(std::get<IdleTrigger>(s.faults[16].trigger).ms, 2000u);
  EXPECT_EQ(std::get<ProtocolViolationAction>(s.faults[17].action),
            (ProtocolViolationAction{ViolationKind::forbidden_field, "2x0", "Upper-Case", "x"}));
}

TEST(FaultParse, ToJsonRoundTripsEveryFault) {
  const Scenario first = parse_scenario(kEveryFault);
  const std::string json = to_json(first);
  const Scenario second = parse_scenario(json);
  EXPECT_EQ(second.faults, first.faults);
  EXPECT_EQ(second.gates, first.gates);
  EXPECT_EQ(second.enforce_stream_limit, first.enforce_stream_limit);
  EXPECT_EQ(to_json(second), json);
}

TEST(FaultParse, ToJsonRoundTripsEveryActionAlone) {
  const Scenario s = parse_scenario(kEveryFault);
  std::set<std::size_t> kinds;
  for (const Fault& f : s.faults) {
    SCOPED_TRACE(to_json(f.action));
    const Action again = parse_action(to_json(f.action));
    EXPECT_EQ(again, f.action);
    kinds.insert(f.action.index());
  }
  EXPECT_EQ(kinds.size(), std::variant_size_v<Action>) << "every action kind is covered";
}

TEST(FaultParse, ToJsonSpellsDefaultsOut) {
  const Scenario s = parse_scenario(with_faults(fault(kConnect, R"({"goaway":{}})")));
  const std::string json = to_json(s);
  for (const char* spelled :
       {R"("times": 1)", R"("scope": "connection")", R"("last_stream_id": "current")",
        R"("error": "NO_ERROR")", R"("close_when_idle": true)", R"("enforce_stream_limit": true)",
        R"("handshake_delay_ms": 0)", R"("gates": {})"}) {
    EXPECT_NE(json.find(spelled), std::string::npos) << spelled << " in " << json;
  }
}

TEST(FaultParse, ListenerHandshakeDelay) {
  const Scenario s = parse_scenario(
      R"({"name":"t","listeners":[{"name":"a","handshake_delay_ms":500},{"name":"b","tls":false}]})");
  EXPECT_EQ(s.listeners[0].handshake_delay_ms, 500u);
  const Scenario again = parse_scenario(to_json(s));
  EXPECT_EQ(again.listeners[0].handshake_delay_ms, 500u);
  EXPECT_EQ(again.listeners[1].handshake_delay_ms, 0u);
}

}  // namespace
}  // namespace faultline::scenarios
