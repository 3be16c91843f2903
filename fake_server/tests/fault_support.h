// Helpers for the fault tests: nghttp's verbose frame log, parsed into frames.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "process_support.h"

namespace faultline::fake_server::testing {

/** One frame line of `nghttp -v` ("recv GOAWAY frame <length=8, flags=0x00, stream_id=0>")
    with the detail lines that follow it ("(last_stream_id=3, error_code=NO_ERROR(0x00), ...)"). */
struct LoggedFrame {
  std::string dir;   ///< "recv" or "send"
  std::string type;  ///< "HEADERS", "DATA", "GOAWAY", ...
  std::uint32_t length = 0;
  std::uint32_t flags = 0;
  std::int64_t stream = -1;
  std::string detail;  ///< the lines after the frame line, up to the next frame line
};

/** Every frame line of an `nghttp -v` log, in order. */
[[nodiscard]] std::vector<LoggedFrame> parse_nghttp_log(const std::string& log);

/** The frames of type `type` received from the server. */
[[nodiscard]] std::vector<LoggedFrame> received(const std::vector<LoggedFrame>& frames,
                                                const std::string& type);
/** The frames of type `type` nghttp sent to the server. */
[[nodiscard]] std::vector<LoggedFrame> sent(const std::vector<LoggedFrame>& frames,
                                            const std::string& type);

/** nghttp -v against the URIs (one connection), with a deadline. */
[[nodiscard]] CommandResult nghttp(const std::vector<std::string>& args,
                                   std::chrono::milliseconds deadline = 60s);

/** `nghttp -v` on GET /hold in the background, returned once gate `hold` holds its stream
    (the gate must hold nothing else); null, with a test failure, when it never does. */
[[nodiscard]] std::unique_ptr<BackgroundCommand> nghttp_held(const TestServer& server);

/** POST /v1/actions with one action, to one connection (0: every open one); succeeds
    when the server answers that it applied it to exactly one connection. */
[[nodiscard]] ::testing::AssertionResult apply_to_one(const TestServer& server,
                                                      const nlohmann::json& action,
                                                      std::uint64_t connection = 0);

/** Replaces the active scenario's faults through PUT /v1/scenario (its routes stay);
    fails with the server's answer when it refuses them. */
[[nodiscard]] ::testing::AssertionResult install_faults(const TestServer& server,
                                                        const nlohmann::json& faults);

/** The out-going events of one type in a connection's server timeline. */
[[nodiscard]] std::vector<nlohmann::json> timeline_events(const TestServer& server,
                                                          std::uint64_t connection,
                                                          const std::string& dir,
                                                          const std::string& type);

/** h2_raw_client.js against a cleartext port with a JSON config (see the script). */
[[nodiscard]] nlohmann::json raw_h2(int port, const nlohmann::json& config,
                                    std::chrono::milliseconds deadline = 60s);

/** The same, started in the background (for tests that act while it runs). */
[[nodiscard]] std::unique_ptr<BackgroundCommand> raw_h2_background(int port,
                                                                   const nlohmann::json& config);

/** Parses the raw client's output line (null JSON, with a test failure, when it is not JSON). */
[[nodiscard]] nlohmann::json raw_result(const CommandResult& result);

/** A program CMake found (`path`, its find_program result): the path, or nullopt with a
    test failure naming the program when it was not found at configure time. */
[[nodiscard]] std::optional<std::string> tool_path(const std::string& path,
                                                   const std::string& name);

/** close_probe.py (python3) against a listener with a JSON config (see the script): how
    the server ended the connection - TLS close_notify, TCP FIN or RST - and what came
    before. Null JSON, with a test failure, when python3 is missing or said no JSON. */
[[nodiscard]] nlohmann::json close_probe(int port, const nlohmann::json& config,
                                         std::chrono::milliseconds deadline = 60s);

/** The same, started in the background; its result is raw_result(wait()). Null, with a
    test failure, when python3 was not found at configure time. */
[[nodiscard]] std::unique_ptr<BackgroundCommand> close_probe_background(
    int port, const nlohmann::json& config);

}  // namespace faultline::fake_server::testing
