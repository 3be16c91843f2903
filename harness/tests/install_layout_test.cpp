#include "faultline/harness/install_layout.h"

#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "faultline/harness/server_process.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

// This test binary lives in the build tree, which mirrors the install layout.
TEST(InstallLayout, TheBuildTreeIsThisBinarysPrefix) {
  // equivalent(): /proc/self/exe is canonical, the configured paths need not be.
  EXPECT_TRUE(fs::equivalent(executable_directory(), FAULTLINE_TEST_BINARY_DIR))
      << executable_directory();
  EXPECT_TRUE(fs::equivalent(installation_prefix(), FAULTLINE_BUILD_DIR)) << installation_prefix();
}

TEST(InstallLayout, DriversAndServerAreFoundThroughThePrefix) {
  ::unsetenv("FAULTLINE_DATA_DIR");
  ::unsetenv("FAULTLINE_SERVER");
  const fs::path data = default_data_directory();
  EXPECT_TRUE(fs::equivalent(data, fs::path(FAULTLINE_BUILD_DIR) / FAULTLINE_TEST_DATADIR)) << data;
  EXPECT_TRUE(fs::exists(data / "drivers" / "node-http2" / "faultline-driver.js")) << data;
  // <prefix>/bin/faultline-server: the build tree's link to the built server.
  const fs::path server = default_server_binary();
  EXPECT_EQ(server.filename(), "faultline-server");
  EXPECT_TRUE(
      fs::equivalent(server.parent_path(), fs::path(FAULTLINE_BUILD_DIR) / FAULTLINE_TEST_BINDIR))
      << server;
}

TEST(InstallLayout, EnvironmentVariablesWin) {
  ::setenv("FAULTLINE_DATA_DIR", "/opt/elsewhere/share/faultline", 1);
  ::setenv("FAULTLINE_SERVER", "/opt/elsewhere/bin/faultline-server", 1);
  EXPECT_EQ(default_data_directory(), fs::path("/opt/elsewhere/share/faultline"));
  EXPECT_EQ(default_server_binary(), fs::path("/opt/elsewhere/bin/faultline-server"));
  ::unsetenv("FAULTLINE_DATA_DIR");
  ::unsetenv("FAULTLINE_SERVER");
}

}  // namespace
}  // namespace faultline::harness
