// faultline-conformance: runs the check catalogue against every bundled driver, prints a
// live line per check and the check x driver matrix, writes conformance.json, junit.xml
// and report.md, and on request compares the run with an expectations file (the CI gate),
// writes one, or writes the matrix page. The verdicts come from the same check functions
// the ctest suites run.
#include <fnmatch.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cell_runner.h"
#include "command_line.h"
#include "expectations.h"
#include "faultline/conformance/checks.h"
#include "faultline/harness/external_driver.h"
#include "matrix_page.h"
#include "reports.h"
#include "run_results.h"

namespace fs = std::filesystem;
using faultline::conformance::CheckInfo;
using faultline::conformance::DriverSpec;
using faultline::conformance::Verdict;

namespace {

namespace runner = faultline::conformance::runner;

constexpr int kExitUsage = 2;
/** A gating driver failed, an expectation regressed, or a report could not be written. */
constexpr int kExitFailure = 1;
constexpr long kMaxRepeat = 1000;
constexpr long kMaxJobs = 64;

const char* const kUsage =
    R"USAGE(Usage: faultline-conformance [--build DIR] [--driver LIST] [--check LIST] [--repeat N]
                             [--jobs N] [--external NAME=COMMAND]... [--reports DIR]
                             [--expect FILE [--strict]] [--write-expectations FILE]
                             [--matrix FILE [--commit ID]] [--list] [--help]

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
  --jobs N       run up to N cells (check x driver) at the same time (default: twice
                 the hardware threads, here %JOBS%); every check has its own server and
                 driver, the N runs of a cell follow one another, and the lines and
                 reports keep the matrix's order whatever N is. Cells start longest
                 first by the durations in the conformance.json a previous run left
                 in the reports directory (without one: in matrix order)
  --external NAME=COMMAND
                 add a column for any program speaking the driver protocol
                 (docs/driver-protocol.md); COMMAND is split at spaces and gets
                 "--ca FILE" appended. Not gating. A driver that is missing, exits,
                 or speaks the protocol wrongly fails its checks with its stderr.
                 Its hello's "capabilities" decide its capability skips.
  --reports DIR  where conformance.json, junit.xml and report.md go
  --expect FILE  compare every cell with the expectations in FILE (docs/ci.md,
                 docs/expectations.schema.json): an expected pass that fails, goes
                 flaky or skips is a regression and exits 1, for any driver; an
                 expected failure that passes is an improvement (exit 0); a cell
                 without an entry is expected to pass; a driver whose version is not
                 the one FILE records is reported. The end says what to update.
  --strict       with --expect: improvements, other changes, version mismatches and
                 entries for unknown checks exit 1 too
  --write-expectations FILE
                 write this run's results as an expectations file (with --expect,
                 entries that still hold keep their reasons, and cells not run stay)
  --matrix FILE  write the matrix page FILE (markdown: check x client, each cell
                 linked to its verdict), its SVG heat map <stem>.svg and the report
                 it links to, <stem>-report.md, beside it
  --commit ID    the Faultline commit the matrix page names (./faultline matrix
                 passes git's)
  --list         print the checks and drivers and exit
  --help         this text

Exit status: 0 when no gating driver (h2, h1: our transport) fails a check or is flaky
on one and --expect finds no regression, 1 when one does (or a report cannot be
written), 2 on a usage error or an unreadable expectations file. The other drivers
(libcurl, Node's undici request() and fetch(), node:http2 and built-in fetch, Go's
net/http, httpx, the JDK's HttpClient, OkHttp) gate only through --expect.
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

/** A positive count option (--repeat, --jobs) in 1..max, or a usage error. */
int count_option(const char* name, const std::string& text, long max) {
  char* end = nullptr;
  const long n = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || n < 1 || n > max) {
    std::cerr << "faultline-conformance: error: " << name << " takes a count in 1.." << max
              << ", got '" << text << "'\n";
    std::exit(kExitUsage);
  }
  return static_cast<int>(n);
}

/** The command line. */
struct Options {
  std::vector<std::string> driver_filter, check_filter;
  std::vector<DriverSpec> externals;
  fs::path build, reports, expect, write_expectations, matrix;
  std::string commit;
  bool list = false;
  bool strict = false;
  int repeat = 1;
  int jobs = runner::default_jobs();
};

std::string usage_text() {
  std::string text = kUsage;
  const std::string marker = "%JOBS%";
  text.replace(text.find(marker), marker.size(), std::to_string(runner::default_jobs()));
  return text;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "faultline-conformance: error: " << name << " needs a value\n" << usage_text();
        std::exit(kExitUsage);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << usage_text();
      std::exit(0);
    } else if (arg == "--build") {
      o.build = value("--build");
    } else if (arg == "--driver") {
      o.driver_filter = faultline::conformance::split_list(value("--driver"));
    } else if (arg == "--check") {
      o.check_filter = faultline::conformance::split_list(value("--check"));
    } else if (arg == "--external") {
      const auto spec_arg = value("--external");
      auto spec = external_driver_spec(spec_arg);
      if (!spec) {
        std::cerr << "faultline-conformance: error: --external takes NAME=COMMAND, got '"
                  << spec_arg << "'\n";
        std::exit(kExitUsage);
      }
      o.externals.push_back(std::move(*spec));
    } else if (arg == "--repeat") {
      o.repeat = count_option("--repeat", value("--repeat"), kMaxRepeat);
    } else if (arg == "--jobs") {
      o.jobs = count_option("--jobs", value("--jobs"), kMaxJobs);
    } else if (arg == "--reports") {
      o.reports = value("--reports");
    } else if (arg == "--expect") {
      o.expect = value("--expect");
    } else if (arg == "--strict") {
      o.strict = true;
    } else if (arg == "--write-expectations") {
      o.write_expectations = value("--write-expectations");
    } else if (arg == "--matrix") {
      o.matrix = value("--matrix");
    } else if (arg == "--commit") {
      o.commit = value("--commit");
    } else if (arg == "--list") {
      o.list = true;
    } else {
      std::cerr << "faultline-conformance: error: unknown argument '" << arg << "'\n"
                << usage_text();
      std::exit(kExitUsage);
    }
  }
  if (o.strict && o.expect.empty()) {
    std::cerr << "faultline-conformance: error: --strict needs --expect FILE\n";
    std::exit(kExitUsage);
  }
  return o;
}

/** The live line of one run. */
void print_run(const CheckInfo& check, const DriverSpec& driver, int run, int repeat,
               const Verdict& v) {
  std::string label(faultline::conformance::to_string(v.outcome));
  for (auto& ch : label) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  const std::string round =
      repeat > 1 ? " " + std::to_string(run) + "/" + std::to_string(repeat) : "";
  std::printf("%-5s %-24s %-12s%s %6.2fs  %s\n", label.c_str(), check.id.c_str(),
              driver.name.c_str(), round.c_str(), v.seconds, v.summary.c_str());
  std::fflush(stdout);
}

/** The matrix on stdout; outcomes only (skip reasons are in the lines and report.md). */
void print_matrix(const runner::RunResults& run) {
  std::printf("\n%-26s", "check");
  for (const auto& c : run.columns) {
    std::printf(" %-14s", (c.name + (c.gating ? "*" : "")).c_str());
  }
  std::printf("\n");
  for (const auto& row : run.rows) {
    std::printf("%-26s", row.check->id.c_str());
    for (const auto& c : run.columns) {
      std::printf(" %-14s", row.results.at(c.name).label().c_str());
    }
    std::printf("\n");
  }
  std::printf(
      "(* gating; skip reasons above and in report.md; every check %d time(s) per driver, %d "
      "at a time)  %.1f s\n",
      run.repeat, run.jobs, run.seconds);
  for (const auto& c : run.columns) {
    if (const auto who = c.identity(); !who.empty()) {
      std::printf("  %s: %s\n", c.name.c_str(), who.c_str());
    }
  }
}

/** "2026-12-02 17:40 UTC". */
std::string utc_now() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

/** "2 cores, Debian GNU/Linux 12 (bookworm)". */
std::string host_description() {
  std::string os;
  std::ifstream release("/etc/os-release");
  for (std::string line; std::getline(release, line);) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      os = line.substr(std::string("PRETTY_NAME=").size());
      os.erase(std::remove(os.begin(), os.end(), '"'), os.end());
    }
  }
  auto out = std::to_string(std::thread::hardware_concurrency()) + " cores";
  return os.empty() ? out : out + ", " + os;
}

}  // namespace

int main(int argc, char** argv) {
  auto o = parse_options(argc, argv);
  if (!o.build.empty()) {
    faultline::conformance::use_server_of_build(o.build);
    if (o.reports.empty()) {
      o.reports = o.build / "reports";
    }
  }
  if (o.reports.empty()) {
    o.reports = "reports";
  }
  // Read before anything runs: a broken file is a usage error, not a red matrix later.
  std::optional<runner::Expectations> expected;
  if (!o.expect.empty()) {
    try {
      expected = runner::load_expectations(o.expect);
    } catch (const runner::ExpectationsError& e) {
      std::cerr << "faultline-conformance: error: " << e.what() << "\n";
      return kExitUsage;
    }
  }

  std::vector<DriverSpec> drivers;
  auto all_drivers = faultline::conformance::bundled_drivers();
  for (auto& e : o.externals) {
    all_drivers.push_back(std::move(e));
  }
  for (auto& d : all_drivers) {
    if (matches(o.driver_filter, d.name)) {
      drivers.push_back(std::move(d));
    }
  }
  std::vector<const CheckInfo*> checks;
  for (const auto& c : faultline::conformance::catalogue()) {
    if (matches(o.check_filter, c.id)) {
      checks.push_back(&c);
    }
  }
  if (o.list) {
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
  runner::RunResults run;
  run.repeat = o.repeat;
  run.jobs = o.jobs;
  // The last run's durations, if it left a report where this one writes its own: its
  // slowest cells start first.
  run.rows = runner::run_cells(checks, drivers, o.repeat, o.jobs, print_run,
                               runner::previous_costs(o.reports / "conformance.json"));
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  bool gating_failed = false;
  for (const auto& d : drivers) {
    run.columns.push_back(runner::column_of(run.rows, d.name, d.gating));
    for (const auto& row : run.rows) {
      gating_failed = gating_failed || (d.gating && row.results.at(d.name).bad());
    }
  }
  print_matrix(run);

  int status = gating_failed ? kExitFailure : 0;
  try {
    runner::write_reports(o.reports, run);
    std::printf("reports: %s/{conformance.json,junit.xml,report.md}\n", o.reports.c_str());
    if (!o.matrix.empty()) {
      runner::write_matrix_page(run, {o.matrix, o.commit, utc_now(), host_description()});
      std::printf("matrix: %s (+ %s.svg, %s-report.md)\n", o.matrix.c_str(),
                  o.matrix.stem().c_str(), o.matrix.stem().c_str());
    }
    if (!o.write_expectations.empty()) {
      const auto doc = runner::expectations_document(run, expected ? &*expected : nullptr);
      std::ofstream out(o.write_expectations);
      out << doc.dump(2) << "\n";
      if (!out) {
        throw std::runtime_error("cannot write " + o.write_expectations.string());
      }
      std::printf("expectations written: %s\n", o.write_expectations.c_str());
    }
  } catch (const std::exception& e) {
    std::cerr << "faultline-conformance: error: writing reports: " << e.what() << "\n";
    return kExitFailure;
  }
  if (expected) {
    const auto comparison = runner::compare(*expected, run);
    std::ostringstream text;
    runner::print_comparison(text, comparison, o.expect, o.strict);
    std::fputs(text.str().c_str(), stdout);
    if (comparison.regressed() || (o.strict && comparison.strict_failure())) {
      status = kExitFailure;
    }
  }
  if (gating_failed) {
    std::printf("a gating driver (our transport) failed or was flaky: exit 1\n");
  }
  return status;
}
