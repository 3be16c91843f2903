// Table-driven rejection tests: a document, the JSON path it must be rejected at, and a
// fragment of the message.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "faultline/scenarios/loader.h"

namespace faultline::scenarios::testing {

struct Rejection {
  std::string label;
  std::string json;
  std::string path;
  std::string message_part;  ///< a fragment the message must contain ("" = any)
};

inline void PrintTo(const Rejection& r, std::ostream* os) {
  *os << r.label;
}

/** Runs parse(r.json), which must throw ScenarioError at r.path with a one-line message
    "<path>: ..." containing r.message_part. */
template <typename Parse>
void expect_rejection(const Rejection& r, Parse parse) {
  try {
    (void)parse(r.json);
    FAIL() << "accepted: " << r.json;
  } catch (const ScenarioError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.path(), r.path) << what;
    EXPECT_EQ(what.rfind(r.path + ": ", 0), 0u) << "what() starts with the path: " << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
    EXPECT_NE(what.find(r.message_part), std::string::npos)
        << "want \"" << r.message_part << "\" in: " << what;
  }
}

}  // namespace faultline::scenarios::testing
