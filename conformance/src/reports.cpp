#include "reports.h"

#include <fstream>
#include <stdexcept>

namespace faultline::conformance::runner {
namespace {

namespace fs = std::filesystem;

/** Counts over every cell of a run. */
struct Tally {
  int passed = 0, failed = 0, skipped = 0, flaky = 0, gating_failed = 0;
};

Tally tally(const RunResults& run) {
  Tally t;
  for (const auto& row : run.rows) {
    for (const auto& c : run.columns) {
      const auto& r = row.results.at(c.name);
      switch (r.outcome()) {
        case CellOutcome::pass:
          ++t.passed;
          break;
        case CellOutcome::fail:
          ++t.failed;
          break;
        case CellOutcome::skip:
          ++t.skipped;
          break;
        case CellOutcome::flaky:
          ++t.flaky;
          break;
      }
      t.gating_failed += r.bad() && c.gating;
    }
  }
  return t;
}

std::ofstream open_for_writing(const fs::path& path) {
  std::ofstream out(path);
  if (!out) {
    throw std::runtime_error("cannot write " + path.string());
  }
  return out;
}

void write_json(const fs::path& path, const RunResults& run) {
  nlohmann::json j;
  j["repeat"] = run.repeat;
  j["jobs"] = run.jobs;
  j["drivers"] = nlohmann::json::array();
  for (const auto& c : run.columns) {
    j["drivers"].push_back({{"name", c.name},
                            {"gating", c.gating},
                            {"identity", c.identity()},
                            {"client", c.client},
                            {"version", c.version}});
  }
  j["checks"] = nlohmann::json::array();
  for (const auto& row : run.rows) {
    nlohmann::json entry = {{"id", row.check->id},
                            {"group", row.check->group},
                            {"asserts", row.check->asserts},
                            {"results", nlohmann::json::object()}};
    for (const auto& c : run.columns) {
      const auto& r = row.results.at(c.name);
      const auto& v = r.representative();
      nlohmann::json outcomes = nlohmann::json::array();
      for (const auto& one : r.runs) {
        outcomes.push_back(std::string(faultline::conformance::to_string(one.outcome)));
      }
      entry["results"][c.name] = {
          {"outcome", r.flaky() ? std::string("flaky")
                                : std::string(faultline::conformance::to_string(v.outcome))},
          {"label", r.label()},
          {"runs", r.runs.size()},
          {"passed_runs", r.count(Outcome::pass)},
          {"outcomes", outcomes},
          {"summary", v.summary},
          {"seconds", r.seconds()},
          {"evidence", v.evidence}};
    }
    j["checks"].push_back(std::move(entry));
  }
  const auto t = tally(run);
  j["summary"] = {{"passed", t.passed},
                  {"failed", t.failed},
                  {"flaky", t.flaky},
                  {"skipped", t.skipped},
                  {"gating_failed", t.gating_failed},
                  {"seconds", run.seconds}};
  open_for_writing(path) << j.dump(2) << "\n";
}

void write_junit(const fs::path& path, const RunResults& run) {
  auto junit = open_for_writing(path);
  junit << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"conformance\">\n";
  for (const auto& c : run.columns) {
    int f = 0, s = 0;
    for (const auto& row : run.rows) {
      const auto& r = row.results.at(c.name);
      f += r.bad();
      s += r.outcome() == CellOutcome::skip;
    }
    junit << "  <testsuite name=\"" << xml_escape(c.name) << "\" tests=\"" << run.rows.size()
          << "\" failures=\"" << f << "\" skipped=\"" << s << "\">\n";
    for (const auto& row : run.rows) {
      const auto& r = row.results.at(c.name);
      const auto& v = r.representative();
      junit << "    <testcase classname=\"conformance." << xml_escape(c.name) << "\" name=\""
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
}

}  // namespace

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

void write_report_md(std::ostream& md, const RunResults& run) {
  const auto t = tally(run);
  md << "# Conformance report\n\n"
     << t.passed << " passed, " << t.failed << " failed, " << t.flaky << " flaky ("
     << t.gating_failed << " failed or flaky on gating drivers), " << t.skipped << " skipped in "
     << run.seconds << " s; every check " << run.repeat << " time(s) per driver.\n\n";
  write_markdown_matrix(md, run, {.mark_gating = true, .skip_reasons = true, .link_page = ""});
  md << "\nDrivers:";
  for (const auto& c : run.columns) {
    md << " `" << c.name << "` = " << c.identity() << ";";
  }
  md << "\n\n## Verdicts\n";
  for (const auto& row : run.rows) {
    for (const auto& c : run.columns) {
      const auto& r = row.results.at(c.name);
      const auto& v = r.representative();
      md << "\n<a id=\"" << cell_anchor(row.check->id, c.name) << "\"></a>\n\n### " << row.check->id
         << " on " << c.name << ": " << r.label() << "\n\n"
         << v.summary << "\n";
      if (r.flaky()) {
        md << "\nRuns:";
        for (const auto& one : r.runs) {
          md << " " << faultline::conformance::to_string(one.outcome);
        }
        md << "\n";
      }
      if (r.bad()) {
        md << "\n```json\n" << v.evidence.dump(1) << "\n```\n";
      }
    }
  }
}

void write_markdown_matrix(std::ostream& md, const RunResults& run, const MatrixTableStyle& style) {
  md << "| check |";
  for (const auto& c : run.columns) {
    md << " " << c.name << (style.mark_gating && c.gating ? " (gating)" : "") << " |";
  }
  md << "\n|---|";
  for (std::size_t i = 0; i < run.columns.size(); ++i) {
    md << "---|";
  }
  md << "\n";
  for (const auto& row : run.rows) {
    md << "| " << row.check->id << " |";
    for (const auto& c : run.columns) {
      const auto& r = row.results.at(c.name);
      const auto label = r.label();
      const bool with_reason = style.skip_reasons && label == "skip";
      md << " [" << (with_reason ? "skip(" + r.runs.front().summary + ")" : label) << "]("
         << style.link_page << "#" << cell_anchor(row.check->id, c.name) << ") |";
    }
    md << "\n";
  }
}

void write_reports(const fs::path& dir, const RunResults& run) {
  fs::create_directories(dir);
  write_json(dir / "conformance.json", run);
  write_junit(dir / "junit.xml", run);
  auto md = open_for_writing(dir / "report.md");
  write_report_md(md, run);
}

}  // namespace faultline::conformance::runner
