// Command (any program as a child, with deadlines) and eventually() (polling with a
// deadline that reports what it saw), against /bin/sh.
#include "faultline/harness/command.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "faultline/harness/errc.h"
#include "faultline/harness/gtest.h"

namespace faultline::harness {
namespace {

using namespace std::chrono_literals;

TEST(Command, CapturesStdoutBytesStderrAndTheExitStatus) {
  const auto r = run_command({"sh", "-c", "printf 'a\\r\\nb\\0c'; echo oops >&2; exit 3"}, 20s);
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_EQ(r.signal, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, std::string("a\r\nb\0c", 6));
  EXPECT_EQ(r.err, "oops\n");
  EXPECT_EQ(r.describe(), "exited with status 3");
}

TEST(Command, StdinIsAtEof) {
  const auto r = run_command({"sh", "-c", "cat; echo done"}, 20s);
  EXPECT_EQ(r.exit_code, 0) << r.describe() << r.err;
  EXPECT_EQ(r.out, "done\n");
}

// A child holds only its stdio: a descriptor the harness opened without O_CLOEXEC (a
// socket, another child's pipe) would otherwise stay open in it, and another child's
// pipe kept open there never reaches EOF.
TEST(Command, TheChildInheritsNoDescriptorButItsStdio) {
  const int leaked = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC, on purpose
  ASSERT_GE(leaked, 3);
  const std::string fd = std::to_string(leaked);
  const auto r = run_command(
      {"sh", "-c", "for fd in 0 1 2 " + fd + "; do [ -e /proc/$$/fd/$fd ] && echo $fd; done; :"},
      20s);
  ::close(leaked);
  EXPECT_EQ(r.exit_code, 0) << r.describe() << r.err;
  EXPECT_EQ(r.out, "0\n1\n2\n") << "descriptor " << leaked << " was open in the parent";
}

// A harness started with its stdin closed gets a pipe end at descriptor 0, and the
// child's stdin is then a dup2 onto itself, which leaves close-on-exec set unless the
// launcher clears it (glibc's posix_spawn does): the child's stdin must still be its pipe
// (at EOF), not a descriptor closed at exec.
TEST(Command, WorksWhenTheHarnessRunsWithStdinClosed) {
  const int saved = ::dup(STDIN_FILENO);
  ASSERT_GE(saved, 0);
  ::close(STDIN_FILENO);
  const auto r = run_command({"sh", "-c", "cat && echo read"}, 20s);
  ASSERT_EQ(::dup2(saved, STDIN_FILENO), STDIN_FILENO);
  ::close(saved);
  EXPECT_EQ(r.exit_code, 0) << r.describe() << r.err;
  EXPECT_EQ(r.out, "read\n") << r.err;
}

// The harness ignores SIGPIPE and its threads may block signals; a child starts with
// neither (they would survive exec). The shell execs grep, which reads its own status: a
// shell waiting for a child blocks signals itself.
TEST(Command, TheChildStartsWithDefaultSignalsAndNoneBlocked) {
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t block;
  sigset_t before;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &before), 0);
  const auto r = run_command({"sh", "-c", "exec grep -E '^Sig(Blk|Ign):' /proc/self/status"}, 20s);
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
  ASSERT_EQ(r.exit_code, 0) << r.describe() << r.err;
  const auto field = [&](const std::string& name) {
    const auto at = r.out.find(name + ":");
    EXPECT_NE(at, std::string::npos) << r.out;
    return at == std::string::npos
               ? 0UL
               : std::strtoul(r.out.c_str() + at + name.size() + 1, nullptr, 16);
  };
  EXPECT_EQ(field("SigBlk"), 0UL) << r.out;
  EXPECT_EQ(field("SigIgn") & (1UL << (SIGPIPE - 1)), 0UL) << "SIGPIPE ignored: " << r.out;
}

TEST(Command, IsKilledAtTheDeadline) {
  Command sleeper({"sh", "-c", "echo started; exec sleep 60"});
  ASSERT_EQ(sleeper.read_line(20s), "started");
  EXPECT_TRUE(sleeper.running());
  const auto r = sleeper.wait(200ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_FALSE(sleeper.running());
  EXPECT_NE(r.describe().find("at the deadline"), std::string::npos) << r.describe();
  // A second wait gives the first result.
  EXPECT_TRUE(sleeper.wait(20s).timed_out);
}

TEST(Command, ReadsLinesThenTheUnterminatedRestThenEof) {
  Command lines({"sh", "-c", "printf 'one\\ntwo\\nrest'"});
  EXPECT_EQ(lines.read_line(20s), "one");
  EXPECT_EQ(lines.read_line(20s), "two");
  EXPECT_EQ(lines.read_line(20s), "rest");
  EXPECT_EQ(lines.read_line(20s), std::nullopt);
  EXPECT_EQ(lines.wait(20s).exit_code, 0);
}

TEST(Command, ReadLineGivesUpAtItsDeadline) {
  Command quiet({"sh", "-c", "exec sleep 60"});
  EXPECT_EQ(quiet.read_line(100ms), std::nullopt);
  const auto r = quiet.stop(5s);
  EXPECT_EQ(r.signal, SIGTERM) << r.describe();
  EXPECT_FALSE(r.timed_out);
}

TEST(Command, AProgramThatIsNotThereIsASpawnError) {
  try {
    Command missing({"faultline-no-such-program"});
    ADD_FAILURE() << "started a program that does not exist";
  } catch (const HarnessError& e) {
    EXPECT_EQ(e.code(), errc::spawn_failed);
    EXPECT_NE(std::string(e.what()).find("faultline-no-such-program"), std::string::npos);
  }
  EXPECT_TRUE(find_program("faultline-no-such-program").empty());
  EXPECT_FALSE(find_program("sh").empty());
}

TEST(Eventually, HoldsOnceTheProbeDoes) {
  std::atomic<int> count{0};
  std::thread writer([&] {
    for (int i = 0; i < 5; ++i) {
      ++count;
    }
  });
  EXPECT_TRUE(eventually([&] { return count.load() == 5; }, 20s, "five writes"));
  writer.join();
}

TEST(Eventually, FailsAtTheDeadlineSayingWhatItSawLast) {
  int polls = 0;
  const auto never = [&]() -> ::testing::AssertionResult {
    ++polls;
    return ::testing::AssertionFailure() << "value " << polls;
  };
  const auto r = eventually(never, 50ms, "the value reaches 0");
  ASSERT_FALSE(r);
  const std::string message = r.message();
  EXPECT_NE(message.find("the value reaches 0"), std::string::npos) << message;
  EXPECT_NE(message.find("last seen: value " + std::to_string(polls)), std::string::npos)
      << message;
  EXPECT_GE(polls, 2) << "polled once before and once at the deadline";
}

TEST(Eventually, BoolProbeFailureNamesTheWait) {
  const auto r = eventually([] { return false; }, 20ms, "never true");
  ASSERT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("never true"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace faultline::harness
