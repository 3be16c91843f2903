// faultline-conformance: runs the check catalogue against every bundled driver, prints a
// live line per check and the check x driver matrix, writes conformance.json, junit.xml
// and report.md. The verdicts come from the same check functions the ctest suites run.
#include <fnmatch.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

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
    R"(Usage: faultline-conformance [--build DIR] [--driver LIST] [--check LIST]
                             [--external NAME=COMMAND]... [--reports DIR] [--list] [--help]

Runs every conformance check (docs/checks.md) against every bundled driver, each check
on a fresh faultline-server, prints one line per check and driver, then the matrix.

  --build DIR    the build directory: the server is DIR/fake_server/faultline-server
                 (unless FAULTLINE_SERVER is set), reports go to DIR/reports/
  --driver LIST  comma-separated driver names or globs (h2,h1,curl,undici,node-http2,
                 go,python-httpx,java,okhttp,node-fetch; see --list)
  --check LIST   comma-separated check IDs or globs (POOL-*,ABORT-QUEUED)
  --external NAME=COMMAND
                 add a column for any program speaking the driver protocol
                 (docs/driver-protocol.md); COMMAND is split at spaces and gets
                 "--ca FILE" appended. Not gating. A driver that is missing, exits,
                 or speaks the protocol wrongly fails its checks with its stderr.
  --reports DIR  where conformance.json, junit.xml and report.md go
  --list         print the checks and drivers and exit
  --help         this text

Exit status: 0 when no gating driver (h2, h1: our transport) fails a check, 1 when one
does, 2 on a usage error. The other drivers (libcurl, Node's undici, http2 and fetch,
Go's net/http, httpx, the JDK's HttpClient, OkHttp) are reported, not gating.
)";

std::vector<std::string> split(const std::string& list) {
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

std::string cell(const Verdict& v) {
  switch (v.outcome) {
    case Outcome::pass:
      return "pass";
    case Outcome::fail:
      return "FAIL";
    case Outcome::skip:
      return "skip(" + v.summary + ")";
  }
  return "?";
}

struct Row {
  const CheckInfo* check;
  std::map<std::string, Verdict> verdicts;  // driver name -> verdict
};

void write_reports(const fs::path& dir, const std::vector<DriverSpec>& drivers,
                   const std::vector<Row>& rows, double total_seconds) {
  fs::create_directories(dir);
  nlohmann::json j;
  j["drivers"] = nlohmann::json::array();
  for (const auto& d : drivers) {
    j["drivers"].push_back({{"name", d.name}, {"gating", d.gating}});
  }
  j["checks"] = nlohmann::json::array();
  int passed = 0, failed = 0, skipped = 0, gating_failed = 0;
  for (const auto& row : rows) {
    nlohmann::json c = {{"id", row.check->id},
                        {"group", row.check->group},
                        {"asserts", row.check->asserts},
                        {"results", nlohmann::json::object()}};
    for (const auto& d : drivers) {
      const auto& v = row.verdicts.at(d.name);
      c["results"][d.name] = {
          {"outcome", std::string(faultline::conformance::to_string(v.outcome))},
          {"summary", v.summary},
          {"seconds", v.seconds},
          {"evidence", v.evidence}};
      passed += v.outcome == Outcome::pass;
      skipped += v.outcome == Outcome::skip;
      failed += v.outcome == Outcome::fail;
      gating_failed += v.outcome == Outcome::fail && d.gating;
    }
    j["checks"].push_back(std::move(c));
  }
  j["summary"] = {{"passed", passed},
                  {"failed", failed},
                  {"skipped", skipped},
                  {"gating_failed", gating_failed},
                  {"seconds", total_seconds}};
  std::ofstream(dir / "conformance.json") << j.dump(2) << "\n";

  std::ofstream junit(dir / "junit.xml");
  junit << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"conformance\">\n";
  for (const auto& d : drivers) {
    int f = 0, s = 0;
    for (const auto& row : rows) {
      f += row.verdicts.at(d.name).failed();
      s += row.verdicts.at(d.name).outcome == Outcome::skip;
    }
    junit << "  <testsuite name=\"" << xml_escape(d.name) << "\" tests=\"" << rows.size()
          << "\" failures=\"" << f << "\" skipped=\"" << s << "\">\n";
    for (const auto& row : rows) {
      const auto& v = row.verdicts.at(d.name);
      junit << "    <testcase classname=\"conformance." << xml_escape(d.name) << "\" name=\""
            << xml_escape(row.check->id) << "\" time=\"" << v.seconds << "\">";
      if (v.failed()) {
        junit << "<failure message=\"" << xml_escape(v.summary) << "\">"
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
     << passed << " passed, " << failed << " failed (" << gating_failed << " on gating drivers), "
     << skipped << " skipped in " << total_seconds << " s.\n\n| check |";
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
      md << " " << cell(row.verdicts.at(d.name)) << " |";
    }
    md << "\n";
  }
  md << "\n## Verdicts\n";
  for (const auto& row : rows) {
    for (const auto& d : drivers) {
      const auto& v = row.verdicts.at(d.name);
      md << "\n### " << row.check->id << " on " << d.name << ": "
         << faultline::conformance::to_string(v.outcome) << "\n\n"
         << v.summary << "\n";
      if (v.failed()) {
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
      driver_filter = split(value("--driver"));
    } else if (arg == "--check") {
      check_filter = split(value("--check"));
    } else if (arg == "--external") {
      const auto spec_arg = value("--external");
      auto spec = external_driver_spec(spec_arg);
      if (!spec) {
        std::cerr << "faultline-conformance: error: --external takes NAME=COMMAND, got '"
                  << spec_arg << "'\n";
        return kExitUsage;
      }
      externals.push_back(std::move(*spec));
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
    auto server = build / "fake_server" / "faultline-server";
    if (getenv("FAULTLINE_SERVER") == nullptr && fs::exists(server)) {
      setenv("FAULTLINE_SERVER", server.c_str(), 1);
    }
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
      Verdict v = faultline::conformance::run_check(*c, d);
      std::string label(faultline::conformance::to_string(v.outcome));
      for (auto& ch : label) {
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      }
      std::printf("%-5s %-22s %-7s %6.2fs  %s\n", label.c_str(), c->id.c_str(), d.name.c_str(),
                  v.seconds, v.summary.c_str());
      std::fflush(stdout);
      gating_failed = gating_failed || (v.failed() && d.gating);
      row.verdicts.emplace(d.name, std::move(v));
    }
    rows.push_back(std::move(row));
  }
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // The matrix shows outcomes only; skip reasons are in the lines above and in report.md.
  std::printf("\n%-24s", "check");
  for (const auto& d : drivers) {
    std::printf(" %-12s", (d.name + (d.gating ? "*" : "")).c_str());
  }
  std::printf("\n");
  for (const auto& row : rows) {
    std::printf("%-24s", row.check->id.c_str());
    for (const auto& d : drivers) {
      const auto& v = row.verdicts.at(d.name);
      std::printf(" %-12s", v.outcome == Outcome::skip ? "skip" : cell(v).c_str());
    }
    std::printf("\n");
  }
  std::printf("(* gating; skip reasons above and in report.md)  %.1f s\n", total);
  try {
    write_reports(reports, drivers, rows, total);
    std::printf("reports: %s/{conformance.json,junit.xml,report.md}\n", reports.c_str());
  } catch (const std::exception& e) {
    std::cerr << "faultline-conformance: error: writing reports to " << reports << ": " << e.what()
              << "\n";
    return kExitGatingFailure;
  }
  return gating_failed ? kExitGatingFailure : 0;
}
