#include "expectations.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>

namespace faultline::conformance::runner {
namespace {

/** Reasons written from a verdict's summary are cut here. */
constexpr std::size_t kWrittenReasonLimit = 240;

const char* const kSchemaRef = "../docs/expectations.schema.json";

[[noreturn]] void malformed(const std::string& path, const std::string& what) {
  throw ExpectationsError("expectations: " + path + ": " + what);
}

std::optional<Expected> expected_from(std::string_view text) {
  for (const auto e : {Expected::pass, Expected::fail, Expected::skip, Expected::flaky_allowed}) {
    if (to_string(e) == text) {
      return e;
    }
  }
  return std::nullopt;
}

std::string optional_string(const nlohmann::json& object, const char* key,
                            const std::string& path) {
  const auto it = object.find(key);
  if (it == object.end()) {
    return "";
  }
  if (!it->is_string()) {
    malformed(path + "." + key, "must be a string");
  }
  return it->get<std::string>();
}

void only_keys(const nlohmann::json& object, const std::set<std::string>& allowed,
               const std::string& path) {
  for (const auto& [key, value] : object.items()) {
    if (allowed.count(key) == 0) {
      std::string names;
      for (const auto& a : allowed) {
        names += (names.empty() ? "" : ", ") + a;
      }
      malformed(path + "." + key, "unknown field (known: " + names + ")");
    }
  }
}

Expectation parse_entry(const nlohmann::json& entry, const std::string& path) {
  Expectation e;
  std::string text;
  if (entry.is_string()) {
    text = entry.get<std::string>();
  } else if (entry.is_object()) {
    only_keys(entry, {"expect", "reason", "issue"}, path);
    if (!entry.contains("expect") || !entry["expect"].is_string()) {
      malformed(path + ".expect", "missing, or not a string");
    }
    text = entry["expect"].get<std::string>();
    e.reason = optional_string(entry, "reason", path);
    e.issue = optional_string(entry, "issue", path);
  } else {
    malformed(path, "must be \"pass\", \"fail\", \"skip\", \"flaky-allowed\" or an object");
  }
  const auto expected = expected_from(text);
  if (!expected) {
    malformed(path, "unknown expectation '" + text + "' (pass, fail, skip, flaky-allowed)");
  }
  e.expect = *expected;
  return e;
}

/** The reason a written entry gets from the run: the verdict's summary, cut. */
std::string reason_from(const CellResult& r) {
  auto why = r.representative().summary;
  if (why.size() > kWrittenReasonLimit) {
    why = why.substr(0, kWrittenReasonLimit) + "...";
  }
  if (r.flaky()) {
    return r.label() + " in the run that wrote this entry; " + why;
  }
  return why;
}

Expected expected_of(CellOutcome o) {
  switch (o) {
    case CellOutcome::pass:
      return Expected::pass;
    case CellOutcome::fail:
      return Expected::fail;
    case CellOutcome::skip:
      return Expected::skip;
    case CellOutcome::flaky:
      break;
  }
  return Expected::flaky_allowed;
}

nlohmann::ordered_json entry_json(const Expectation& e) {
  if (e.reason.empty() && e.issue.empty()) {
    return std::string(to_string(e.expect));
  }
  nlohmann::ordered_json out = {{"expect", std::string(to_string(e.expect))}};
  if (!e.reason.empty()) {
    out["reason"] = e.reason;
  }
  if (!e.issue.empty()) {
    out["issue"] = e.issue;
  }
  return out;
}

}  // namespace

std::string_view to_string(Expected expected) noexcept {
  switch (expected) {
    case Expected::pass:
      return "pass";
    case Expected::fail:
      return "fail";
    case Expected::skip:
      return "skip";
    case Expected::flaky_allowed:
      return "flaky-allowed";
  }
  return "?";
}

std::string_view to_string(Change change) noexcept {
  switch (change) {
    case Change::as_expected:
      return "as expected";
    case Change::regression:
      return "REGRESSION";
    case Change::improvement:
      return "improvement";
    case Change::changed:
      return "changed";
  }
  return "?";
}

Expectations parse_expectations(const nlohmann::json& doc) {
  if (!doc.is_object()) {
    malformed("$", "must be an object");
  }
  only_keys(doc, {"$schema", "comment", "drivers"}, "$");
  if (!doc.contains("drivers") || !doc["drivers"].is_object()) {
    malformed("$.drivers", "missing, or not an object");
  }
  Expectations out;
  for (const auto& [name, driver] : doc["drivers"].items()) {
    const auto path = "$.drivers." + name;
    if (!driver.is_object()) {
      malformed(path, "must be an object");
    }
    only_keys(driver, {"client", "version", "checks"}, path);
    DriverExpectations d;
    d.client = optional_string(driver, "client", path);
    d.version = optional_string(driver, "version", path);
    if (!driver.contains("checks") || !driver["checks"].is_object()) {
      malformed(path + ".checks", "missing, or not an object");
    }
    for (const auto& [check, entry] : driver["checks"].items()) {
      d.checks.emplace(check, parse_entry(entry, path + ".checks." + check));
    }
    out.drivers.emplace(name, std::move(d));
  }
  return out;
}

Expectations load_expectations(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    throw ExpectationsError("expectations: cannot read " + file.string());
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ExpectationsError("expectations: " + file.string() + " is not JSON: " + e.what());
  }
  try {
    return parse_expectations(doc);
  } catch (const ExpectationsError& e) {
    throw ExpectationsError(file.string() + ": " + e.what());
  }
}

Change classify(Expected expected, CellOutcome got) noexcept {
  switch (expected) {
    case Expected::pass:
      return got == CellOutcome::pass ? Change::as_expected : Change::regression;
    case Expected::fail:
      if (got == CellOutcome::fail) {
        return Change::as_expected;
      }
      return got == CellOutcome::pass ? Change::improvement : Change::changed;
    case Expected::skip:
      if (got == CellOutcome::skip) {
        return Change::as_expected;
      }
      return got == CellOutcome::pass ? Change::improvement : Change::changed;
    case Expected::flaky_allowed:
      return got == CellOutcome::skip ? Change::changed : Change::as_expected;
  }
  return Change::changed;
}

int Comparison::count(Change change) const {
  return static_cast<int>(std::count_if(differences.begin(), differences.end(),
                                        [&](const Difference& d) { return d.change == change; }));
}

bool Comparison::strict_failure() const {
  return !differences.empty() || !version_mismatches.empty() || !unknown_checks.empty();
}

Comparison compare(const Expectations& expected, const RunResults& run) {
  Comparison out;
  for (const auto& [driver, d] : expected.drivers) {
    for (const auto& [check, entry] : d.checks) {
      if (find_check(check) == nullptr) {
        out.unknown_checks.push_back(driver + " " + check);
      }
    }
  }
  for (const auto& column : run.columns) {
    const auto it = expected.drivers.find(column.name);
    const DriverExpectations* d = it == expected.drivers.end() ? nullptr : &it->second;
    if (d != nullptr && !d->version.empty() && d->version != column.version) {
      out.version_mismatches.push_back(
          column.name + ": expectations recorded with " + d->client + " " + d->version +
          (column.version.empty() ? ", the driver said no hello (it did not start)"
                                  : ", the driver says " + column.identity()));
    }
    for (const auto& row : run.rows) {
      const auto& cell = row.results.at(column.name);
      Difference diff;
      diff.check = row.check->id;
      diff.driver = column.name;
      if (d != nullptr) {
        if (const auto e = d->checks.find(row.check->id); e != d->checks.end()) {
          diff.expected = e->second.expect;
        } else {
          diff.has_entry = false;
        }
      } else {
        diff.has_entry = false;
      }
      out.without_entry += !diff.has_entry;
      diff.change = classify(diff.expected, cell.outcome());
      if (diff.change == Change::as_expected) {
        ++out.as_expected;
        continue;
      }
      diff.got = cell.label();
      diff.summary = cell.representative().summary;
      out.differences.push_back(std::move(diff));
    }
  }
  return out;
}

void print_comparison(std::ostream& out, const Comparison& c, const std::filesystem::path& file,
                      bool strict) {
  out << "\nexpectations " << file.string() << ": " << c.as_expected << " as expected, "
      << c.count(Change::regression) << " regression(s), " << c.count(Change::improvement)
      << " improvement(s), " << c.count(Change::changed) << " changed";
  if (c.without_entry > 0) {
    out << "; " << c.without_entry << " cell(s) without an entry, compared as pass";
  }
  out << "\n";
  for (const auto change : {Change::regression, Change::improvement, Change::changed}) {
    for (const auto& d : c.differences) {
      if (d.change != change) {
        continue;
      }
      out << "  " << to_string(change) << "  " << d.check << " on " << d.driver << ": expected "
          << to_string(d.expected) << (d.has_entry ? "" : " (no entry)") << ", got " << d.got
          << " - " << d.summary.substr(0, kWrittenReasonLimit) << "\n";
    }
  }
  for (const auto& m : c.version_mismatches) {
    out << "  version mismatch  " << m << "\n";
  }
  for (const auto& u : c.unknown_checks) {
    out << "  unknown check  " << u << " (no such check in the catalogue)\n";
  }
  if (!c.strict_failure()) {
    out << "every expectation holds\n";
    return;
  }
  out << "to update in " << file.string() << ":";
  for (const auto& d : c.differences) {
    out << " " << d.driver << "/" << d.check;
  }
  for (const auto& m : c.version_mismatches) {
    out << " " << m.substr(0, m.find(':')) << "/version";
  }
  for (const auto& u : c.unknown_checks) {
    out << " " << u.substr(0, u.find(' ')) << "/" << u.substr(u.find(' ') + 1) << "(remove)";
  }
  out << "\n  (a regression is a change of the client or of Faultline: fix it, or record it "
         "with a reason; --write-expectations FILE writes this run's results, keeping the "
         "reasons of --expect's entries that still hold)\n";
  if (!strict && !c.regressed()) {
    out << "  (no regression: exit 0; --strict makes these fail the run)\n";
  }
}

nlohmann::ordered_json expectations_document(const RunResults& run, const Expectations* previous) {
  Expectations merged = previous != nullptr ? *previous : Expectations{};
  for (const auto& column : run.columns) {
    auto& d = merged.drivers[column.name];
    if (!column.version.empty()) {
      d.client = column.client;
      d.version = column.version;
    }
    for (const auto& row : run.rows) {
      const auto& cell = row.results.at(column.name);
      Expectation e{expected_of(cell.outcome()), "", ""};
      const auto old = d.checks.find(row.check->id);
      if (old != d.checks.end() &&
          classify(old->second.expect, cell.outcome()) == Change::as_expected) {
        continue;  // still holds: keep it with its reason and issue
      }
      if (e.expect == Expected::fail || e.expect == Expected::flaky_allowed) {
        e.reason = reason_from(cell);
      }
      d.checks[row.check->id] = e;
    }
  }
  nlohmann::ordered_json doc = {{"$schema", kSchemaRef},
                                {"drivers", nlohmann::ordered_json::object()}};
  for (const auto& [name, d] : merged.drivers) {
    nlohmann::ordered_json checks = nlohmann::ordered_json::object();
    // In catalogue order, then any others by name.
    for (const auto& info : catalogue()) {
      if (const auto it = d.checks.find(info.id); it != d.checks.end()) {
        checks[info.id] = entry_json(it->second);
      }
    }
    for (const auto& [id, e] : d.checks) {
      if (!checks.contains(id)) {
        checks[id] = entry_json(e);
      }
    }
    nlohmann::ordered_json driver = nlohmann::ordered_json::object();
    if (!d.client.empty()) {
      driver["client"] = d.client;
    }
    if (!d.version.empty()) {
      driver["version"] = d.version;
    }
    driver["checks"] = std::move(checks);
    doc["drivers"][name] = std::move(driver);
  }
  return doc;
}

}  // namespace faultline::conformance::runner
