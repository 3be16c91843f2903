// Helpers the conformance suite's programs (faultline-conformance, faultline-soak) share
// on their command lines.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace faultline::conformance {

/** "a,b,,c" -> {"a", "b", "c"}. */
inline std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) {
      out.push_back(item);
    }
  }
  return out;
}

/** --build DIR: the server is DIR/fake_server/faultline-server unless FAULTLINE_SERVER
    names one already (ServerProcess reads that variable). */
inline void use_server_of_build(const std::filesystem::path& build) {
  const auto server = build / "fake_server" / "faultline-server";
  if (std::getenv("FAULTLINE_SERVER") == nullptr && std::filesystem::exists(server)) {
    setenv("FAULTLINE_SERVER", server.c_str(), 1);
  }
}

}  // namespace faultline::conformance
