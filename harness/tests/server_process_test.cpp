// ServerProcess against stub programs: the ready-line contract, start-up failures with
// their stderr, deadlines, stop and kill.
#include "faultline/harness/server_process.h"

#include <signal.h>

#include <gtest/gtest.h>
#include <cerrno>

#include "faultline/harness/errc.h"

namespace faultline::harness {
namespace {

using namespace std::chrono_literals;

std::filesystem::path stub(const char* name) {
  return std::filesystem::path(FAULTLINE_STUBS_DIR) / name;
}

ServerOptions stub_options(const char* name) {
  ServerOptions o;
  o.binary = stub(name);
  o.ready_timeout = 10s;
  o.stop_timeout = 5s;
  return o;
}

/** Runs `start` and returns the HarnessError it must throw. */
template <class F>
HarnessError expect_harness_error(F start) {
  try {
    start();
  } catch (const HarnessError& e) {
    return e;
  }
  ADD_FAILURE() << "no HarnessError thrown";
  return HarnessError(errc::spawn_failed, "none");
}

bool process_exists(int pid) {
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

TEST(ReadyLine, ParsesEveryField) {
  const auto info = parse_ready_line(
      R"({"event":"ready","https":"https://127.0.0.1:1","http":"http://127.0.0.1:2","admin":"http://127.0.0.1:3","ca":"/tmp/ca.pem","pid":42,"scenario":"default","listeners":{"main":"https://127.0.0.1:1"},"new":1})");
  EXPECT_EQ(info.https, "https://127.0.0.1:1");
  EXPECT_EQ(info.http, "http://127.0.0.1:2");
  EXPECT_EQ(info.admin, "http://127.0.0.1:3");
  EXPECT_EQ(info.ca, "/tmp/ca.pem");
  EXPECT_EQ(info.pid, 42);
  EXPECT_EQ(info.scenario, "default");
  EXPECT_EQ(info.listeners.at("main"), "https://127.0.0.1:1");
  EXPECT_EQ(info.raw["new"], 1);
}

TEST(ReadyLine, RejectsWhatIsNotAReadyLine) {
  for (const char* line :
       {"Listening on 8443", R"({"event":"started"})",
        R"({"event":"ready","https":"https://x","pid":1})",
        R"({"event":"ready","admin":"http://a","pid":1})",
        R"({"event":"ready","https":"https://x","admin":"http://a","pid":"1"})",
        R"({"event":"ready","https":"https://x","admin":"http://a","pid":1,"listeners":[]})"}) {
    const auto e = expect_harness_error([&] { (void)parse_ready_line(line); });
    EXPECT_EQ(e.code(), errc::bad_ready_line) << line;
  }
}

TEST(ServerProcess, StartsParsesTheReadyLineAndStopsCleanly) {
  ServerProcess server(stub_options("server_ready.sh"));
  EXPECT_EQ(server.https(), "https://127.0.0.1:1");
  EXPECT_EQ(server.http(), "http://127.0.0.1:2");
  EXPECT_EQ(server.ready().admin, "http://127.0.0.1:3");
  EXPECT_EQ(server.ca(), "/nonexistent/ca.pem");
  EXPECT_EQ(server.ready().pid, server.pid());
  EXPECT_EQ(server.listener("plain"), "http://127.0.0.1:2");
  EXPECT_THROW((void)server.listener("nope"), std::out_of_range);
  EXPECT_TRUE(server.running());
  const StopResult stopped = server.stop();
  EXPECT_TRUE(stopped) << stopped.description;
  EXPECT_EQ(stopped.exit_code, 0);
  EXPECT_FALSE(stopped.killed);
  EXPECT_FALSE(server.running());
  // stderr is captured, the SIGTERM handler's line included.
  EXPECT_NE(server.stderr_text().find("stub server: SIGTERM"), std::string::npos)
      << server.stderr_text();
  // A second stop returns the first result.
  EXPECT_EQ(server.stop().description, stopped.description);
}

TEST(ServerProcess, StartsThroughAWrapperThatExecsIt) {
  ServerOptions o = stub_options("server_ready.sh");
  o.wrapper = {"env", "FAULTLINE_STUB_NOTE=wrapped"};
  ServerProcess server(o);
  // env execs the server: one process, whose environment the wrapper set.
  EXPECT_EQ(server.ready().pid, server.pid());
  EXPECT_TRUE(server.stop());
  EXPECT_NE(server.stderr_text().find("stub server: starting (wrapped)"), std::string::npos)
      << server.stderr_text();
  EXPECT_EQ(server.stdout_after_ready(), "");
}

TEST(ServerProcess, ChildExitingBeforeTheReadyLineIsAnErrorWithItsStderr) {
  const auto e =
      expect_harness_error([] { ServerProcess s(stub_options("server_exits_early.sh")); });
  EXPECT_EQ(e.code(), errc::exited_early);
  const std::string what = e.what();
  EXPECT_NE(what.find("exited with status 2"), std::string::npos) << what;
  EXPECT_NE(what.find("$.routes[0].respond.status"), std::string::npos) << what;
}

TEST(ServerProcess, GarbageInsteadOfTheReadyLineIsAnErrorQuotingIt) {
  const auto e = expect_harness_error([] { ServerProcess s(stub_options("server_garbage.sh")); });
  EXPECT_EQ(e.code(), errc::bad_ready_line);
  const std::string what = e.what();
  EXPECT_NE(what.find("Listening on port 8443"), std::string::npos) << what;
  EXPECT_NE(what.find("about to print garbage"), std::string::npos) << what;
}

TEST(ServerProcess, SilenceHitsTheDeadlineAndTheChildIsKilled) {
  auto options = stub_options("server_silent.sh");
  options.ready_timeout = 300ms;
  const auto before = std::chrono::steady_clock::now();
  const auto e = expect_harness_error([&] { ServerProcess s(options); });
  EXPECT_EQ(e.code(), errc::ready_timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 8s);
  const std::string what = e.what();
  EXPECT_NE(what.find("no ready line within 300 ms"), std::string::npos) << what;
  // (The stderr it wrote before SIGTERM is quoted too; whether a loaded machine ran the
  // stub that far within 300 ms is not deterministic, so the garbage test checks that.)
}

TEST(ServerProcess, MissingBinaryIsASpawnError) {
  auto options = stub_options("does-not-exist");
  const auto e = expect_harness_error([&] { ServerProcess s(options); });
  EXPECT_EQ(e.code(), errc::spawn_failed);
  EXPECT_NE(std::string(e.what()).find("does-not-exist"), std::string::npos) << e.what();
}

TEST(ServerProcess, ChildIgnoringSigtermIsKilledAfterTheStopTimeout) {
  auto options = stub_options("server_ignores_term.sh");
  options.stop_timeout = 300ms;
  ServerProcess server(options);
  const StopResult stopped = server.stop();
  EXPECT_FALSE(stopped);
  EXPECT_TRUE(stopped.killed);
  EXPECT_EQ(stopped.signal, SIGKILL);
  EXPECT_NE(stopped.description.find("did not exit within 300 ms"), std::string::npos)
      << stopped.description;
  EXPECT_NE(stopped.description.find("ignoring SIGTERM"), std::string::npos) << stopped.description;
  EXPECT_FALSE(process_exists(server.pid()));
}

TEST(ServerProcess, NonZeroExitOnStopIsReportedWithStderr) {
  ServerProcess server(stub_options("server_fails_on_term.sh"));
  const StopResult stopped = server.stop();
  EXPECT_FALSE(stopped);
  EXPECT_EQ(stopped.exit_code, 3);
  EXPECT_FALSE(stopped.killed);
  EXPECT_NE(stopped.description.find("shutdown went wrong"), std::string::npos)
      << stopped.description;
}

TEST(ServerProcess, DestructorNeverLeaksTheChild) {
  int pid = 0;
  {
    auto options = stub_options("server_ignores_term.sh");
    options.stop_timeout = 200ms;
    ServerProcess server(options);
    pid = server.pid();
    ASSERT_TRUE(process_exists(pid));
  }
  EXPECT_FALSE(process_exists(pid));
}

TEST(ServerProcess, MovesKeepOwnership) {
  ServerProcess a(stub_options("server_ready.sh"));
  const int pid = a.pid();
  ServerProcess b(std::move(a));
  EXPECT_EQ(b.pid(), pid);
  EXPECT_TRUE(b.running());
  EXPECT_TRUE(b.stop());
}

}  // namespace
}  // namespace faultline::harness
