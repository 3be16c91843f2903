#include "run_results.h"

#include <algorithm>
#include <cctype>

namespace faultline::conformance::runner {

std::string_view to_string(CellOutcome outcome) noexcept {
  switch (outcome) {
    case CellOutcome::pass:
      return "pass";
    case CellOutcome::fail:
      return "fail";
    case CellOutcome::skip:
      return "skip";
    case CellOutcome::flaky:
      return "flaky";
  }
  return "?";
}

bool CellResult::stable() const {
  return std::all_of(runs.begin(), runs.end(),
                     [&](const Verdict& v) { return v.outcome == runs.front().outcome; });
}

int CellResult::count(Outcome o) const {
  return static_cast<int>(
      std::count_if(runs.begin(), runs.end(), [&](const Verdict& v) { return v.outcome == o; }));
}

CellOutcome CellResult::outcome() const {
  if (flaky()) {
    return CellOutcome::flaky;
  }
  switch (runs.front().outcome) {
    case Outcome::pass:
      return CellOutcome::pass;
    case Outcome::skip:
      return CellOutcome::skip;
    case Outcome::fail:
      break;
  }
  return CellOutcome::fail;
}

bool CellResult::bad() const {
  return flaky() || runs.front().failed();
}

const Verdict& CellResult::representative() const {
  for (const auto& v : runs) {
    if (v.failed()) {
      return v;
    }
  }
  return runs.front();
}

std::string CellResult::label() const {
  if (flaky()) {
    return "flaky (" +
           std::to_string(runs.size() - static_cast<std::size_t>(count(Outcome::pass))) + "/" +
           std::to_string(runs.size()) + ")";
  }
  return std::string(faultline::conformance::to_string(runs.front().outcome));
}

double CellResult::seconds() const {
  double total = 0;
  for (const auto& v : runs) {
    total += v.seconds;
  }
  return total;
}

std::string Column::identity() const {
  if (client.empty() && version.empty()) {
    return "";
  }
  std::string out = client + " " + version;
  if (!api.empty()) {
    out += ", api " + api;
  }
  return out;
}

Column column_of(const std::vector<Row>& rows, const std::string& driver, bool gating) {
  Column c;
  c.name = driver;
  c.gating = gating;
  for (const auto& row : rows) {
    const auto it = row.results.find(driver);
    if (it == row.results.end()) {
      continue;
    }
    for (const auto& v : it->second.runs) {
      auto hello = v.evidence.find("driver_hello");
      if (hello != v.evidence.end() && hello->is_object()) {
        c.client = hello->value("name", "");
        c.version = hello->value("version", "");
        c.api = hello->value("api", "");
        return c;
      }
    }
  }
  return c;
}

std::string cell_anchor(const std::string& check, const std::string& driver) {
  std::string out;
  for (const char ch : check + "--" + driver) {
    const auto u = static_cast<unsigned char>(ch);
    out += std::isalnum(u) != 0 ? static_cast<char>(std::tolower(u)) : '-';
  }
  return out;
}

}  // namespace faultline::conformance::runner
