#include "faultline/harness/install_layout.h"

#include <cstdlib>
#include <system_error>

#include "faultline/harness/limits.h"

// Relative to a prefix, as configured (GNUInstallDirs); relative paths only.
#ifndef FAULTLINE_INSTALL_DATADIR
#define FAULTLINE_INSTALL_DATADIR "share/faultline"
#endif

namespace faultline::harness {

std::filesystem::path executable_directory() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path{} : exe.parent_path();
}

std::filesystem::path installation_prefix() {
  std::filesystem::path dir = executable_directory();
  for (int level = 0; level <= kLayoutSearchDepth && !dir.empty(); ++level) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir / FAULTLINE_INSTALL_DATADIR, ec)) {
      return dir;
    }
    if (dir == dir.root_path()) {
      break;
    }
    dir = dir.parent_path();
  }
  return {};
}

std::filesystem::path default_data_directory() {
  if (const char* env = std::getenv("FAULTLINE_DATA_DIR"); env && *env) {
    return env;
  }
  const auto prefix = installation_prefix();
  return prefix.empty() ? std::filesystem::path{} : prefix / FAULTLINE_INSTALL_DATADIR;
}

}  // namespace faultline::harness
