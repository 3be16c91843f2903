// REDIRECT-PARITY: the same Fetch redirect results whichever protocol serves them.
#include "checks_groups.h"

namespace faultline::conformance::detail {
namespace {

harness::WaitResult fetch(CheckRun& run, harness::Request r) {
  return run.send(std::move(r))->wait_done(kWait);
}

// RFC 9110 section 15.4 (3xx; 301/302 may and 303 must turn a POST into a GET, 307/308
// keep method and body) as the Fetch standard's HTTP-redirect fetch applies it (at most
// 20, manual mode); handled above the protocol, so h2 and h1 give the same results.
std::string redirect_parity_steps(CheckRun& run) {
  // Chains of every status end at the final route.
  for (const std::string path :
       {"/redirect/3", "/redirect301/2", "/redirect303/2", "/redirect307/2", "/redirect308/2"}) {
    auto r = fetch(run, run.request(path));
    require(r.ok && r.response.status == 200 && r.response.body == "done",
            "GET " + path + " (follow): " + r.description);
  }
  // 307 keeps the method and the body, across origins (to an h1-only listener).
  auto post = run.request("/cross/h1");
  post.method = "POST";
  post.body = "payload-307";
  post.headers.emplace_back("content-type", "text/plain");
  auto rc = fetch(run, post);
  require(rc.ok && rc.response.status == 200, "POST /cross/h1 (307 to h1-only): " + rc.description);
  auto echo = nlohmann::json::parse(rc.response.body, nullptr, false);
  require(!echo.is_discarded() && echo.value("method", "") == "POST" &&
              echo.value("body_bytes", -1) == 11,
          "307 must replay POST with its body; echo: " + rc.response.body.substr(0, 200));
  // A loop fails instead of spinning.
  auto loop = fetch(run, run.request("/loop/a"));
  require(
      !loop.ok && loop.response.error && loop.response.error->kind == harness::ErrorKind::network,
      "redirect loop: " + loop.description);
  // Manual mode hands the 3xx over.
  auto manual = run.request("/redirect/1");
  manual.redirect = harness::RedirectMode::manual;
  auto rm = fetch(run, manual);
  require(
      rm.ok && rm.response.status == 302 && harness::find_header(rm.response.headers, "location"),
      "manual mode: " + rm.description);
  return "chains 301/302/303/307/308, cross-origin 307 POST, loop, manual: as Fetch says";
}

}  // namespace

Verdict redirect_parity(const DriverSpec& d) {
  return judge_on(d, "default", redirect_parity_steps);
}
}  // namespace faultline::conformance::detail
