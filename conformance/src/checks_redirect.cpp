// REDIRECT-PARITY: the same Fetch redirect results whichever protocol serves them.
#include "checks_groups.h"

namespace faultline::conformance::detail {
namespace {

harness::WaitResult fetch(Session& s, harness::Request r) {
  return s.send(std::move(r))->wait_done(kWait);
}

}  // namespace

Verdict redirect_parity(const DriverSpec& d) {
  Session s(d, std::string("default"));
  return s.judge([&] {
    // Chains of every status end at the final route.
    for (const std::string path :
         {"/redirect/3", "/redirect301/2", "/redirect303/2", "/redirect307/2", "/redirect308/2"}) {
      auto r = fetch(s, s.request(path));
      require(r.ok && r.response.status == 200 && r.response.body == "done",
              "GET " + path + " (follow): " + r.description);
    }
    // 307 keeps the method and the body, across origins (to an h1-only listener).
    auto post = s.request("/cross/h1");
    post.method = "POST";
    post.body = "payload-307";
    post.headers.emplace_back("content-type", "text/plain");
    auto rc = fetch(s, post);
    require(rc.ok && rc.response.status == 200,
            "POST /cross/h1 (307 to h1-only): " + rc.description);
    auto echo = nlohmann::json::parse(rc.response.body, nullptr, false);
    require(!echo.is_discarded() && echo.value("method", "") == "POST" &&
                echo.value("body_bytes", -1) == 11,
            "307 must replay POST with its body; echo: " + rc.response.body.substr(0, 200));
    // A loop fails instead of spinning.
    auto loop = fetch(s, s.request("/loop/a"));
    require(
        !loop.ok && loop.response.error && loop.response.error->kind == harness::ErrorKind::network,
        "redirect loop: " + loop.description);
    // Manual mode hands the 3xx over.
    auto manual = s.request("/redirect/1");
    manual.redirect = harness::RedirectMode::manual;
    auto rm = fetch(s, manual);
    require(
        rm.ok && rm.response.status == 302 && harness::find_header(rm.response.headers, "location"),
        "manual mode: " + rm.description);
    return "chains 301/302/303/307/308, cross-origin 307 POST, loop, manual: as Fetch says";
  });
}

}  // namespace faultline::conformance::detail
