// faultline-conformance: runs the check catalogue against every bundled driver, prints a
// live line per check and the check x driver matrix, writes conformance.json, junit.xml
// and report.md. The verdicts come from the same check functions the ctest suites run.
#include <fnmatch.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "command_line.h"
#include "faultline/conformance/checks.h"
#include "faultline/harness/external_driver.h"

namespace fs = std::filesystem;
using faultline::conformance::CheckInfo;
using faultline::conformance::DriverSpec;
using faultline::conformance::Outcome;
using faultline::conformance::Verdict;

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitGatingFailure = 1;

const char* const kUsage =
    R"USAGE(Usage: faultline-conformance [--build DIR] [--driver LIST] [--check LIST] [--repeat N]
                             [--external NAME=COMMAND]... [--reports DIR] [--list] [--help]

Runs every conformance check (docs/checks.md) against every bundled driver, each check
on a fresh faultline-server, prints one line per check and driver, then the matrix.

  --build DIR    the build directory: the server is DIR/fake_server/faultline-server
                 (unless FAULTLINE_SERVER is set), reports go to DIR/reports/
  --driver LIST  comma-separated driver names or globs; it filters every column, the
                 bundled ones (h2,h1,curl,undici,undici-fetch,node-http2,
                 go,python-httpx,java,okhttp,node-fetch; see --list) and the
                 --external ones alike: name an external driver here too, or leave
                 --driver out (--driver h2 --external x=... runs h2 only)
  --check LIST   comma-separated check IDs or globs (POOL-*,ABORT-QUEUED)
  --repeat N     run every check N times per driver (default 1); a verdict that
                 changes between runs is "flaky (k/N)" (k runs failed), never a pass,
                 and fails the run for a gating driver
  --external NAME=COMMAND
                 add a column for any program speaking the driver protocol
                 (docs/driver-protocol.md); COMMAND is split at spaces and gets
                 "--ca FILE" appended. Not gating. A driver that is missing, exits,
                 or speaks the protocol wrongly fails its checks with its stderr.
                 Its hello's "capabilities" decide its capability skips.
  --reports DIR  where conformance.json, junit.xml and report.md go
  --list         print the checks and drivers and exit
  --help         this text

Exit status: 0 when no gating driver (h2, h1: our transport) fails a check or is flaky
on one, 1 when one does, 2 on a usage error. the other drivers (libcurl, Node's undici
request() and fetch(), node:http2 and built-in fetch, Go's net/http, httpx, the JDK's
HttpClient, OkHttp) are reported, not gating.
)USAGE";

/** A --external NAME=COMMAND column: the program gets "--ca FILE" after its own arguments. */
std::optional<DriverSpec> external_driver_spec(const std::string& arg) {
  const auto eq = arg.find('=');
  if (eq == 0 || eq == std::string::npos) {
    return std::nullopt;
  }
  std::vector<std::string> words;
  std::stringstream in(arg.substr(eq + 1));
  std::string word;
  while (in >> word) {
    words.push_back(word);
  }
  if (words.empty()) {
    return std::nullopt;
  }
  DriverSpec spec;
  spec.name = arg.substr(0, eq);
  spec.gating = false;
  spec.make = [words](const fs::path& ca) {
    faultline::harness::ExternalDriverOptions o;
    o.program = words.front();
    o.args.assign(words.begin() + 1, words.end());
    o.args.push_back("--ca");
    o.args.push_back(ca.string());
    return std::unique_ptr<faultline::harness::Driver>(
        std::make_unique<faultline::harness::ExternalDriver>(o));
  };
  return spec;
}

bool matches(const std::vector<std::string>& patterns, const std::string& name) {
  if (patterns.empty()) {
    return true;
  }
  for (const auto& p : patterns) {
    if (fnmatch(p.c_str(), name.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

/** The verdicts of one check on one driver over --repeat runs. */
struct Result {
  std::vector<Verdict> runs;

  /** Every run gave the same outcome. */
  [[nodiscard]] bool stable() const {
    return std::all_of(runs.begin(), runs.end(),
                       [&](const Verdict& v) { return v.outcome == runs.front().outcome; });
  }
  [[nodiscard]] int count(Outcome o) const {
    return static_cast<int>(
        std::count_if(runs.begin(), runs.end(), [&](const Verdict& v) { return v.outcome == o; }));
  }
  [[nodiscard]] bool flaky() const { return !stable(); }
  /** A failure or a flaky verdict: what fails a gating driver. */
  [[nodiscard]] bool bad() const { return flaky() || runs.front().failed(); }
  /** The run that speaks for the result: the first failure, else the first run. */
  [[nodiscard]] const Verdict& representative() const {
    for (const auto& v : runs) {
      if (v.failed()) {
        return v;
      }
    }
    return runs.front();
  }
  /** "pass", "FAIL", "skip" or "flaky (k/N)" with k the failed runs. */
  [[nodiscard]] std::string label() const {
    if (flaky()) {
      return "flaky (" +
             std::to_string(runs.size() - static_cast<std::size_t>(count(Outcome::pass))) + "/" +
             std::to_string(runs.size()) + ")";
    }
    return std::string(faultline::conformance::to_string(runs.front().outcome));
  }
  [[nodiscard]] double seconds() const {
    double total = 0;
    for (const auto& v : runs) {
      total += v.seconds;
    }
    return total;
  }
};

struct Row {
  const CheckInfo* check;
  std::map<std::string, Result> results;  // driver name -> its runs
};

/** What a driver said in its hello (from any verdict's evidence), for the legend. */
std::string driver_identity(const std::vector<Row>& rows, const std::string& driver) {
  for (const auto& row : rows) {
    for (const auto& v : row.results.at(driver).runs) {
      auto it = v.evidence.find("driver_hello");
      if (it != v.evidence.end() && it->is_object()) {
        std::string out = it->value("name", "") + " " + it->value("version", "");
        if (!it->value("api", "").empty()) {
          out += ", api " + it->value("api", "");
        }
        return out;
      }
    }
  }
  return "";
}

void write_reports(const fs::path& dir, const std::vector<DriverSpec>& drivers,
                   const std::vector<Row>& rows, int repeat, double total_seconds) {
  fs::create_directories(dir);
  nlohmann::json j;
  j["repeat"] = repeat;
  j["drivers"] = nlohmann::json::array();
  for (const auto& d : drivers) {
    j["drivers"].push_back(
        {{"name", d.name}, {"gating", d.gating}, {"identity", driver_identity(rows, d.name)}});
  }
  j["checks"] = nlohmann::json::array();
  int passed = 0, failed = 0, skipped = 0, flaky = 0, gating_failed = 0;
  for (const auto& row : rows) {
    nlohmann::json c = {{"id", row.check->id},
                        {"group", row.check->group},
                        {"asserts", row.check->asserts},
                        {"results", nlohmann::json::object()}};
    for (const auto& d : drivers) {
      const auto& r = row.results.at(d.name);
      const auto& v = r.representative();
      nlohmann::json outcomes = nlohmann::json::array();
      for (const auto& run : r.runs) {
        outcomes.push_back(std::string(faultline::conformance::to_string(run.outcome)));
      }
      c["results"][d.name] = {
          {"outcome", r.flaky() ? std::string("flaky")
                                : std::string(faultline::conformance::to_string(v.outcome))},
          {"label", r.label()},
          {"runs", r.runs.size()},
          {"passed_runs", r.count(Outcome::pass)},
          {"outcomes", outcomes},
          {"summary", v.summary},
          {"seconds", r.seconds()},
          {"evidence", v.evidence}};
      flaky += r.flaky();
      passed += !r.flaky() && v.outcome == Outcome::pass;
      skipped += !r.flaky() && v.outcome == Outcome::skip;
      failed += !r.flaky() && v.outcome == Outcome::fail;
      gating_failed += r.bad() && d.gating;
    }
    j["checks"].push_back(std::move(c));
  }
  j["summary"] = {{"passed", passed},
                  {"failed", failed},
                  {"flaky", flaky},
                  {"skipped", skipped},
                  {"gating_failed", gating_failed},
                  {"seconds", total_seconds}};
  std::ofstream(dir / "conformance.json") << j.dump(2) << "\n";

  std::ofstream junit(dir / "junit.xml");
  junit << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"conformance\">\n";
  for (const auto& d : drivers) {
    int f = 0, s = 0;
    for (const auto& row : rows) {
      const auto& r = row.results.at(d.name);
      f += r.bad();
      s += !r.flaky() && r.runs.front().outcome == Outcome::skip;
    }
    junit << "  <testsuite name=\"" << xml_escape(d.name) << "\" tests=\"" << rows.size()
          << "\" failures=\"" << f << "\" skipped=\"" << s << "\">\n";
    for (const auto& row : rows) {
      const auto& r = row.results.at(d.name);
      const auto& v = r.representative();
      junit << "    <testcase classname=\"conformance." << xml_escape(d.name) << "\" name=\""
            << xml_escape(row.check->id) << "\" time=\"" << r.seconds() << "\">";
      if (r.bad()) {
        junit << "<failure message=\"" << xml_escape(r.label() + ": " + v.summary) << "\">"
              << xml_escape(v.evidence.dump(1)) << "</failure>";
      } else if (v.outcome == Outcome::skip) {
        junit << "<skipped message=\"" << xml_escape(v.summary) << "\"/>";
      } else {
        junit << "<system-out>" << xml_escape(v.summary) << "</system-out>";
      }
      junit << "</testcase>\n";
    }
    junit << "  </testsuite>\n";
  }
  junit << "</testsuites>\n";

  std::ofstream md(dir / "report.md");
  md << "# Conformance report\n\n"
     << passed << " passed, " << failed << " failed, " << flaky << " flaky (" << gating_failed
     << " failed or flaky on gating drivers), " << skipped << " skipped in " << total_seconds
     << " s; every check " << repeat << " time(s) per driver.\n\n| check |";
  for (const auto& d : drivers) {
    md << " " << d.name << (d.gating ? " (gating)" : "") << " |";
  }
  md << "\n|---|";
  for (std::size_t i = 0; i < drivers.size(); ++i) {
    md << "---|";
  }
  md << "\n";
  for (const auto& row : rows) {
    md << "| " << row.check->id << " |";
    for (const auto& d : drivers) {
      const auto& r = row.results.at(d.name);
      const auto label = r.label();
      md << " " << (label == "skip" ? "skip(" + r.runs.front().summary + ")" : label) << " |";
    }
    md << "\n";
  }
  md << "\nDrivers:";
  for (const auto& d : drivers) {
    md << " `" << d.name << "` = " << driver_identity(rows, d.name) << ";";
  }
  md << "\n\n## Verdicts\n";
  for (const auto& row : rows) {
    for (const auto& d : drivers) {
      const auto& r = row.results.at(d.name);
      const auto& v = r.representative();
      md << "\n### " << row.check->id << " on " << d.name << ": " << r.label() << "\n\n"
         << v.summary << "\n";
      if (r.flaky()) {
        md << "\nRuns:";
        for (const auto& run : r.runs) {
          md << " " << faultline::conformance::to_string(run.outcome);
        }
        md << "\n";
      }
      if (r.bad()) {
        md << "\n```json\n" << v.evidence.dump(1) << "\n```\n";
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> driver_filter, check_filter;
  std::vector<DriverSpec> externals;
  fs::path build, reports;
  bool list = false;
  int repeat = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "faultline-conformance: error: " << name << " needs a value\n" << kUsage;
        std::exit(kExitUsage);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--build") {
      build = value("--build");
    } else if (arg == "--driver") {
      driver_filter = faultline::conformance::split_list(value("--driver"));
    } else if (arg == "--check") {
      check_filter = faultline::conformance::split_list(value("--check"));
    } else if (arg == "--external") {
      const auto spec_arg = value("--external");
      auto spec = external_driver_spec(spec_arg);
      if (!spec) {
        std::cerr << "faultline-conformance: error: --external takes NAME=COMMAND, got '"
                  << spec_arg << "'\n";
        return kExitUsage;
      }
      externals.push_back(std::move(*spec));
    } else if (arg == "--repeat") {
      const auto text = value("--repeat");
      char* end = nullptr;
      const long n = std::strtol(text.c_str(), &end, 10);
      if (end == text.c_str() || *end != '\0' || n < 1 || n > 1000) {
        std::cerr << "faultline-conformance: error: --repeat takes a count in 1..1000, got '"
                  << text << "'\n";
        return kExitUsage;
      }
      repeat = static_cast<int>(n);
    } else if (arg == "--reports") {
      reports = value("--reports");
    } else if (arg == "--list") {
      list = true;
    } else {
      std::cerr << "faultline-conformance: error: unknown argument '" << arg << "'\n" << kUsage;
      return kExitUsage;
    }
  }
  if (!build.empty()) {
    faultline::conformance::use_server_of_build(build);
    if (reports.empty()) {
      reports = build / "reports";
    }
  }
  if (reports.empty()) {
    reports = "reports";
  }

  std::vector<DriverSpec> drivers;
  auto all_drivers = faultline::conformance::bundled_drivers();
  for (auto& e : externals) {
    all_drivers.push_back(std::move(e));
  }
  for (auto& d : all_drivers) {
    if (matches(driver_filter, d.name)) {
      drivers.push_back(std::move(d));
    }
  }
  std::vector<const CheckInfo*> checks;
  for (const auto& c : faultline::conformance::catalogue()) {
    if (matches(check_filter, c.id)) {
      checks.push_back(&c);
    }
  }
  if (list) {
    for (const auto* c : checks) {
      std::cout << c->id << "  " << c->asserts << "\n";
    }
    for (const auto& d : drivers) {
      std::cout << "driver " << d.name << (d.gating ? " (gating)" : "")
                << (d.unavailable ? " unavailable: " + *d.unavailable : "") << "\n";
    }
    return 0;
  }
  if (drivers.empty() || checks.empty()) {
    std::cerr << "faultline-conformance: error: the filters select no "
              << (drivers.empty() ? "driver" : "check") << " (see --list)\n";
    return kExitUsage;
  }

  const auto started = std::chrono::steady_clock::now();
  std::vector<Row> rows;
  bool gating_failed = false;
  for (const auto* c : checks) {
    Row row{c, {}};
    for (const auto& d : drivers) {
      Result result;
      for (int run = 1; run <= repeat; ++run) {
        Verdict v = faultline::conformance::run_check(*c, d);
        std::string label(faultline::conformance::to_string(v.outcome));
        for (auto& ch : label) {
          ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        }
        const std::string round =
            repeat > 1 ? " " + std::to_string(run) + "/" + std::to_string(repeat) : "";
        std::printf("%-5s %-24s %-12s%s %6.2fs  %s\n", label.c_str(), c->id.c_str(), d.name.c_str(),
                    round.c_str(), v.seconds, v.summary.c_str());
        std::fflush(stdout);
        result.runs.push_back(std::move(v));
      }
      gating_failed = gating_failed || (result.bad() && d.gating);
      row.results.emplace(d.name, std::move(result));
    }
    rows.push_back(std::move(row));
  }
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // The matrix shows outcomes only; skip reasons are in the lines above and in report.md.
  std::printf("\n%-26s", "check");
  for (const auto& d : drivers) {
    std::printf(" %-14s", (d.name + (d.gating ? "*" : "")).c_str());
  }
  std::printf("\n");
  for (const auto& row : rows) {
    std::printf("%-26s", row.check->id.c_str());
    for (const auto& d : drivers) {
      std::printf(" %-14s", row.results.at(d.name).label().c_str());
    }
    std::printf("\n");
  }
  std::printf(
      "(* gating; skip reasons above and in report.md; every check %d time(s) per driver)  %.1f "
      "s\n",
      repeat, total);
  for (const auto& d : drivers) {
    const auto who = driver_identity(rows, d.name);
    if (!who.empty()) {
      std::printf("  %s: %s\n", d.name.c_str(), who.c_str());
    }
  }
  try {
    write_reports(reports, drivers, rows, repeat, total);
    std::printf("reports: %s/{conformance.json,junit.xml,report.md}\n", reports.c_str());
  } catch (const std::exception& e) {
    std::cerr << "faultline-conformance: error: writing reports to " << reports << ": " << e.what()
              << "\n";
    return kExitGatingFailure;
  }
  return gating_failed ? kExitGatingFailure : 0;
}
