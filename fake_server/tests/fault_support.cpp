#include "fault_support.h"

#include <optional>
#include <regex>
#include <sstream>
#include <string_view>

namespace faultline::fake_server::testing {

std::vector<LoggedFrame> parse_nghttp_log(const std::string& log) {
  static const std::regex kFrame(
      R"((recv|send) ([A-Z_]+) frame <length=(\d+), flags=0x([0-9a-fA-F]+), stream_id=(\d+)>)");
  std::vector<LoggedFrame> frames;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kFrame)) {
      LoggedFrame frame;
      frame.dir = m[1];
      frame.type = m[2];
      frame.length = static_cast<std::uint32_t>(std::stoul(m[3]));
      frame.flags = static_cast<std::uint32_t>(std::stoul(m[4], nullptr, 16));
      frame.stream = std::stoll(m[5]);
      frames.push_back(std::move(frame));
    } else if (!frames.empty()) {
      frames.back().detail += line;
      frames.back().detail += '\n';
    }
  }
  return frames;
}

namespace {

std::vector<LoggedFrame> logged(const std::vector<LoggedFrame>& frames, std::string_view dir,
                                const std::string& type) {
  std::vector<LoggedFrame> out;
  for (const auto& frame : frames) {
    if (frame.dir == dir && frame.type == type) {
      out.push_back(frame);
    }
  }
  return out;
}

}  // namespace

std::vector<LoggedFrame> received(const std::vector<LoggedFrame>& frames, const std::string& type) {
  return logged(frames, "recv", type);
}

std::vector<LoggedFrame> sent(const std::vector<LoggedFrame>& frames, const std::string& type) {
  return logged(frames, "send", type);
}

CommandResult nghttp(const std::vector<std::string>& args, std::chrono::milliseconds deadline) {
  std::vector<std::string> argv{FAULTLINE_NGHTTP, "-v", "-n"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, deadline);
}

std::unique_ptr<BackgroundCommand> nghttp_held(const TestServer& server) {
  auto client = std::make_unique<BackgroundCommand>(
      std::vector<std::string>{FAULTLINE_NGHTTP, "-v", "-n", server.https() + "/hold"}, 60s);
  const auto held = server.wait_held("hold", 1);
  if (!held) {
    ADD_FAILURE() << held.message();
    return nullptr;
  }
  return client;
}

::testing::AssertionResult apply_to_one(const TestServer& server, const nlohmann::json& action,
                                        std::uint64_t connection) {
  const std::string query = connection == 0 ? "" : "?connection=" + std::to_string(connection);
  const auto reply = server.admin_call("POST", "/v1/actions" + query, action.dump());
  if (reply.body != nlohmann::json({{"applied", 1}})) {
    return ::testing::AssertionFailure() << "POST /v1/actions" << query << " " << action.dump()
                                         << ": " << reply.status << " " << reply.body.dump();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult install_faults(const TestServer& server, const nlohmann::json& faults) {
  nlohmann::json scenario = server.admin_call("GET", "/v1/scenario").body;
  scenario["faults"] = faults;
  const auto reply = server.admin_call("PUT", "/v1/scenario", scenario.dump());
  if (reply.status != 200) {
    return ::testing::AssertionFailure()
           << "PUT /v1/scenario: " << reply.status << " " << reply.body.dump();
  }
  return ::testing::AssertionSuccess();
}

std::vector<nlohmann::json> timeline_events(const TestServer& server, std::uint64_t connection,
                                            const std::string& dir, const std::string& type) {
  const auto reply =
      server.admin_call("GET", "/v1/connections/" + std::to_string(connection) + "/timeline");
  std::vector<nlohmann::json> out;
  for (const auto& event : reply.body["events"]) {
    if (event.value("dir", "") == dir && event.value("type", "") == type) {
      out.push_back(event);
    }
  }
  return out;
}

nlohmann::json raw_result(const CommandResult& result) {
  auto parsed = nlohmann::json::parse(result.out, nullptr, false);
  if (parsed.is_discarded()) {
    ADD_FAILURE() << "raw client said: " << result.out << result.err;
    return nullptr;
  }
  return parsed;
}

nlohmann::json raw_h2(int port, const nlohmann::json& config, std::chrono::milliseconds deadline) {
  return raw_result(
      run_command({node(), FAULTLINE_RAW_CLIENT, std::to_string(port), config.dump()}, deadline));
}

std::unique_ptr<BackgroundCommand> raw_h2_background(int port, const nlohmann::json& config) {
  return std::make_unique<BackgroundCommand>(
      std::vector<std::string>{node(), FAULTLINE_RAW_CLIENT, std::to_string(port), config.dump()},
      60s);
}

std::optional<std::string> tool_path(const std::string& path, const std::string& name) {
  if (path.empty() || path.ends_with("NOTFOUND")) {
    ADD_FAILURE() << name << " was not found when the build was configured (find_program): "
                  << "this test needs it";
    return std::nullopt;
  }
  return path;
}

namespace {

std::optional<std::string> python3() {
  return tool_path(FAULTLINE_PYTHON3, "python3");
}

}  // namespace

std::unique_ptr<BackgroundCommand> close_probe_background(int port, const nlohmann::json& config) {
  const auto program = python3();
  if (!program) {
    return nullptr;
  }
  return std::make_unique<BackgroundCommand>(
      std::vector<std::string>{*program, FAULTLINE_CLOSE_PROBE, std::to_string(port),
                               config.dump()},
      60s);
}

nlohmann::json close_probe(int port, const nlohmann::json& config,
                           std::chrono::milliseconds deadline) {
  const auto program = python3();
  if (!program) {
    return nullptr;
  }
  return raw_result(run_command(
      {*program, FAULTLINE_CLOSE_PROBE, std::to_string(port), config.dump()}, deadline));
}

}  // namespace faultline::fake_server::testing
