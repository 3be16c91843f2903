// Loading scenarios from files and from the built-in set.
#include <fstream>
#include <sstream>
#include <system_error>

#include "detail/builtin_files.h"
#include "faultline/scenarios/loader.h"

namespace faultline::scenarios {

ScenarioError::ScenarioError(std::string path, const std::string& problem)
    : std::runtime_error(path + ": " + problem), path_(std::move(path)) {}

Scenario load_scenario_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    throw ScenarioError("$", file.string() + ": is a directory, not a scenario file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ScenarioError("$",
                        file.string() + ": cannot read: " + std::generic_category().message(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ScenarioError("$", file.string() + ": cannot read");
  }
  return parse_scenario(text.str());
}

std::vector<std::string> builtin_scenario_names() {
  std::vector<std::string> names;
  for (const detail::BuiltinFile& file : detail::builtin_files()) {
    names.emplace_back(file.name);
  }
  return names;
}

namespace {

std::string known_names() {
  std::string text;
  for (const std::string& name : builtin_scenario_names()) {
    text += text.empty() ? "" : ", ";
    text += name;
  }
  return text;
}

}  // namespace

Scenario load_builtin_scenario(std::string_view name) {
  for (const detail::BuiltinFile& file : detail::builtin_files()) {
    if (file.name == name) {
      return parse_scenario(file.text);
    }
  }
  throw ScenarioError(
      "$", "no built-in scenario \"" + std::string(name) + "\" (built-in: " + known_names() + ")");
}

Scenario load_scenario(std::string_view file_or_name) {
  const std::filesystem::path path{std::string(file_or_name)};
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return load_scenario_file(path);
  }
  for (const detail::BuiltinFile& file : detail::builtin_files()) {
    if (file.name == file_or_name) {
      return parse_scenario(file.text);
    }
  }
  throw ScenarioError(
      "$", "\"" + std::string(file_or_name) +
               "\" is neither a file nor a built-in scenario (built-in: " + known_names() + ")");
}

}  // namespace faultline::scenarios
