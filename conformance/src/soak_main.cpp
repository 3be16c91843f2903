// faultline-soak: the chaos soak (soak.h) against one or more drivers; prints the
// figures of each run and, when a run fails, its seed and the command that replays it.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "command_line.h"
#include "soak.h"

namespace fs = std::filesystem;
using faultline::conformance::DriverSpec;
using faultline::conformance::SoakOptions;
using faultline::conformance::SoakResult;

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitViolation = 1;

const char* const kUsage =
    R"USAGE(Usage: faultline-soak [--requests N] [--seed S] [--driver LIST] [--concurrency C]
                      [--max-seconds T] [--build DIR] [--report FILE] [--help]

Sends N requests through each driver while a fresh faultline-server injects a seeded
random mix of faults at random moments (GOAWAY, TCP resets, FIN and close_notify,
REFUSED_STREAM, RST_STREAM mid-body, lowered and zero stream limits, GOAWAY storms,
PINGs, late DATA, DATA on unknown streams, slow and delayed bodies, black holes), then
checks: every request settled by its deadline, no POST served twice, no descriptor,
server connection or held stream left, RSS flat after warm-up, the server alive.

  --requests N     requests per driver (default 100000)
  --seed S         the plan's seed (default: drawn at random and printed); the same
                   seed and N replay the same plan
  --driver LIST    comma-separated: h2, h1 (our transport), curl, undici, ...
                   (faultline-conformance --list names them; default h2,h1)
  --concurrency C  requests in flight at once (default 64)
  --max-seconds T  stop starting requests after T seconds per driver (default 1800)
  --build DIR      the build directory: the server is DIR/fake_server/faultline-server
                   (unless FAULTLINE_SERVER is set)
  --report FILE    write every run's figures as JSON
  --defect LIST    TEST ONLY: give our transport (h2, h1) these defects
                   (transport/testing/defects.h, e.g. no_rst_on_abort), to show
                   that the soak fails against them
  --help           this text

Exit status: 0 when every run passed, 1 when one found a violation (its seed and the
replay command are printed), 2 on a usage error.
)USAGE";

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "faultline-soak: error: " << what << "\n" << kUsage;
  std::exit(kExitUsage);
}

std::uint64_t parse_count(const std::string& name, const std::string& text, std::uint64_t min,
                          std::uint64_t max) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || end == text.c_str() || *end != '\0' || errno != 0 ||
      n < min || n > max) {
    usage_error(name + " takes a whole number in " + std::to_string(min) + ".." +
                std::to_string(max) + ", got '" + text + "'");
  }
  return n;
}

void print(const SoakResult& r) {
  std::cout << "soak[" << r.driver << "]: " << (r.passed() ? "PASS" : "FAIL") << " seed " << r.seed
            << ": " << r.started << "/" << r.planned << " requests in " << r.seconds << " s ("
            << (r.seconds > 0 ? static_cast<double>(r.started) / r.seconds : 0) << " req/s), "
            << r.succeeded << " ok, " << r.failed << " failed, " << r.hung << " hung, " << r.aborted
            << " aborted by plan, " << r.faults_fired << " admin faults"
            << (r.time_bound_hit ? ", time bound reached" : "") << "\n";
  for (const auto& [kind, outcomes] : r.by_kind) {
    std::cout << "  " << kind << ":";
    for (const auto& [outcome, n] : outcomes) {
      std::cout << " " << outcome << "=" << n;
    }
    std::cout << "\n";
  }
  std::cout << "  admin faults:";
  for (const auto& [action, n] : r.faults_by_action) {
    std::cout << " " << action << "=" << n;
  }
  std::cout << "\n  books: " << r.books.dump() << "\n";
}

faultline::transport::testing::Defects::Flag parse_defect(const std::string& name) {
  std::string known;
  for (const auto flag : faultline::transport::testing::kAllDefects) {
    const std::string flag_name = faultline::transport::testing::to_string(flag);
    if (flag_name == name) {
      return flag;
    }
    known += (known.empty() ? "" : ", ") + flag_name;
  }
  usage_error("unknown defect '" + name + "' (known: " + known + ")");
}

}  // namespace

int main(int argc, char** argv) {
  SoakOptions options;
  bool seed_given = false;
  std::vector<std::string> names{"h2", "h1"};
  fs::path build, report;
  faultline::transport::testing::Defects defects;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage_error(arg + " needs a value");
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--requests") {
      options.requests = parse_count(arg, value(), 1, 100'000'000);
    } else if (arg == "--seed") {
      options.seed = parse_count(arg, value(), 0, UINT64_MAX);
      seed_given = true;
    } else if (arg == "--driver") {
      names = faultline::conformance::split_list(value());
      if (names.empty()) {
        usage_error("--driver needs at least one name");
      }
    } else if (arg == "--concurrency") {
      options.concurrency = static_cast<std::uint32_t>(parse_count(arg, value(), 1, 10'000));
    } else if (arg == "--max-seconds") {
      options.max_duration = std::chrono::seconds(parse_count(arg, value(), 1, 86'400));
    } else if (arg == "--build") {
      build = value();
    } else if (arg == "--report") {
      report = value();
    } else if (arg == "--defect") {
      for (const auto& name : faultline::conformance::split_list(value())) {
        defects.set(parse_defect(name));
      }
    } else {
      usage_error("unknown argument '" + arg + "'");
    }
  }
  if (!seed_given) {
    options.seed = std::random_device{}();
  }
  if (!build.empty()) {
    faultline::conformance::use_server_of_build(build);
  }
  auto all = faultline::conformance::bundled_drivers();
  if (defects.flags != 0) {
    for (auto& d : all) {
      if (d.name == "h2" || d.name == "h1") {
        d = faultline::conformance::transport_driver_spec(d.name == "h1", defects);
      }
    }
  }
  std::vector<const DriverSpec*> drivers;
  for (const auto& name : names) {
    const DriverSpec* found = nullptr;
    for (const auto& d : all) {
      if (d.name == name) {
        found = &d;
      }
    }
    if (found == nullptr) {
      std::string known;
      for (const auto& d : all) {
        known += (known.empty() ? "" : ", ") + d.name;
      }
      usage_error("unknown driver '" + name + "' (known: " + known + ")");
    }
    if (found->unavailable) {
      std::cerr << "faultline-soak: error: driver " << name
                << " is unavailable here: " << *found->unavailable << "\n";
      return kExitUsage;
    }
    drivers.push_back(found);
  }

  std::cout << "faultline-soak: seed " << options.seed << ", " << options.requests
            << " requests per driver\n"
            << std::flush;
  nlohmann::json runs = nlohmann::json::array();
  bool ok = true;
  for (const auto* driver : drivers) {
    const auto result = faultline::conformance::run_soak(options, *driver, std::cerr);
    print(result);
    runs.push_back(result.to_json());
    if (!result.passed()) {
      ok = false;
      std::cout << "  " << result.violations.size()
                << " violation(s); first: " << result.violations.front() << "\n"
                << "  replay: ./faultline soak --requests " << options.requests << " --seed "
                << options.seed << " --driver " << driver->name << " --concurrency "
                << options.concurrency << "\n";
    }
    std::cout << std::flush;
  }
  if (!report.empty()) {
    std::ofstream out(report);
    out << nlohmann::json{{"seed", options.seed}, {"requests", options.requests}, {"runs", runs}}
               .dump(1)
        << "\n";
    if (!out) {
      std::cerr << "faultline-soak: error: cannot write " << report << "\n";
      return kExitUsage;
    }
  }
  return ok ? 0 : kExitViolation;
}
