// RESP-HEADER-BLOCK: large response heads, in HEADERS + CONTINUATION frames of any size
// and after HPACK table size updates, reach the caller whole when they are within the
// transport's declared limit; a larger one fails only its own request, typed.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "checks_groups.h"

namespace faultline::conformance::detail {

using namespace std::chrono_literals;

namespace {

/** The blocks of the issue: filler sizes (KiB) and frame payloads (bytes). */
constexpr std::array<int, 3> kBlockKiB = {16, 64, 128};
constexpr std::array<int, 3> kFrameBytes = {16384, 4096, 1024};
/** A filler field's size and the server's names for them (docs/scenarios.md, "Large
    header blocks"): x-fill-0001.., value = 4-digit number then 'X's. */
constexpr int kFillFieldBytes = 1024;
constexpr std::size_t kFieldOverhead = 32;
/** What the route's own fields (:status, content-type, content-length, the request id)
    add to a head, at most: a head within the limit by less is not judged. */
constexpr std::int64_t kOwnFieldsBytes = 1024;
/** Heads beyond a limit: the check sends the smallest one above the driver's declared
    limit (none above 8 MiB, the server's largest: that part is then not judged), and
    1 MiB to a driver that declares no limit. */
constexpr std::array<std::int64_t, 4> kBeyondBytes = {512 << 10, 1 << 20, 2 << 20, 8 << 20};
constexpr std::int64_t kUndeclaredBeyond = 1 << 20;

std::string fill_name(int i) {
  std::array<char, 16> name{};
  std::snprintf(name.data(), name.size(), "x-fill-%04d", i);
  return name.data();
}

/** What the server sends as field `i` of `fields` in a filler of `bytes`. */
std::string fill_value(int i, int fields, std::int64_t bytes) {
  const std::int64_t size =
      i < fields ? kFillFieldBytes : bytes - std::int64_t{kFillFieldBytes} * (fields - 1);
  std::array<char, 8> number{};
  std::snprintf(number.data(), number.size(), "%04d", i);
  std::string value(number.data());
  value.resize(static_cast<std::size_t>(size) - kFieldOverhead - fill_name(i).size(), 'X');
  return value;
}

int fill_fields(std::int64_t bytes) {
  return bytes < kFillFieldBytes ? 1 : static_cast<int>(bytes / kFillFieldBytes);
}

std::string block_path(int kib, int frame) {
  return "/hb/" + std::to_string(kib) + "k/" + std::to_string(frame);
}

std::string beyond_path(std::int64_t bytes) {
  return "/hb/beyond/" + std::to_string(bytes);
}

/** The request id of a block's request ("hb-16k-1024"). */
std::string tag_of(const std::string& path) {
  std::string tag = "hb" + path.substr(3);
  std::replace(tag.begin(), tag.end(), '/', '-');
  return tag;
}

/** A route answering with a filler of `bytes` in frames of `frame` bytes; the 4 KiB and
    1 KiB framings start with table size updates to 0 and back to 4096. */
nlohmann::json block_route(const std::string& path, std::int64_t bytes, int frame) {
  nlohmann::json block = {{"bytes", bytes}, {"frame_bytes", frame}};
  if (frame < 16384) {
    block["table_size_update"] = {0, 4096};
  }
  return {{"match", {{"method", "GET"}, {"path", path}}},
          {"respond", {{"body", "block " + path}, {"header_block", block}}}};
}

nlohmann::json header_block_scenario() {
  nlohmann::json routes = nlohmann::json::array();
  for (const int kib : kBlockKiB) {
    for (const int frame : kFrameBytes) {
      routes.push_back(block_route(block_path(kib, frame), std::int64_t{kib} * 1024, frame));
    }
  }
  for (const auto bytes : kBeyondBytes) {
    routes.push_back(block_route(beyond_path(bytes), bytes, 16384));
  }
  routes.push_back(
      {{"match", {{"path", "/hold"}}}, {"respond", {{"hold", "hold"}, {"body", "sibling"}}}});
  routes.push_back({{"match", {{"path", "/health"}}}, {"respond", {{"body", "ok"}}}});
  return {{"name", "conformance-resp-header-block"},
          {"listeners", {{{"name", "main"}, {"tls", true}, {"alpn", "h2+h1"}}}},
          {"routes", routes}};
}

/** Empty when the head carries the filler of `bytes` whole (count, first, middle, last
    value); else what is wrong. */
std::string filler_problem(const harness::Headers& headers, std::int64_t bytes) {
  const int fields = fill_fields(bytes);
  const auto count = std::count_if(headers.begin(), headers.end(), [](const auto& field) {
    return field.first.rfind("x-fill-", 0) == 0;
  });
  if (count != fields) {
    return std::to_string(count) + " filler fields arrived of " + std::to_string(fields);
  }
  for (const int i : {1, (fields + 1) / 2, fields}) {
    const auto got = harness::find_header(headers, fill_name(i));
    if (got != fill_value(i, fields, bytes)) {
      return fill_name(i) + (got ? " has a value of " + std::to_string(got->size()) + " bytes \"" +
                                       got->substr(0, 12) + "...\""
                                 : std::string(" is missing"));
    }
  }
  return {};
}

/** The error names the head's size as its cause (a typed failure of a driver that has
    no kind of its own for it). */
bool names_header_size(const std::string& message) {
  std::string lower = message;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.find("header") == std::string::npos) {
    return false;
  }
  static constexpr std::array<const char*, 6> kWords = {"large", "size",   "limit",
                                                        "long",  "exceed", "big"};
  return std::any_of(kWords.begin(), kWords.end(),
                     [&](const char* word) { return lower.find(word) != std::string::npos; });
}

/** A typed failure for a head the client refuses: a protocol error, or an error whose
    message names the head's size; promptly (not at its deadline). Empty when it is one. */
std::string untyped(const harness::WaitResult& r) {
  if (!r.response.done()) {
    return "no terminal event: " + r.description;
  }
  const auto& error = *r.response.error;
  if (error.kind == harness::ErrorKind::protocol || names_header_size(error.message)) {
    return {};
  }
  return "failed as " + std::string(to_string(error.kind)) + " (\"" + error.message +
         "\"), not as a protocol error naming the header size";
}

struct BlockCase {
  std::string path;
  std::int64_t bytes;
  std::shared_ptr<harness::Exchange> exchange;
};

/** How a driver with `limit` must treat a head of `bytes`: delivered (1), failed typed
    (-1), either (0). */
int expected(std::optional<std::int64_t> limit, std::int64_t bytes) {
  if (!limit) {
    return 0;  // RFC 9113 10.5.1: a client may refuse a head of any size it cannot handle
  }
  if (bytes + kOwnFieldsBytes <= *limit) {
    return 1;
  }
  return bytes > *limit ? -1 : 0;
}

/** Judges one block's result; returns its line of evidence. */
nlohmann::json judge_block(CheckRun& run, const BlockCase& c, std::optional<std::int64_t> limit) {
  const auto r = c.exchange->wait_done(30s);
  const std::string what = "GET " + c.path + " (" + std::to_string(c.bytes) + " bytes of filler)";
  require(r.response.done(), what + ": no terminal event by the deadline: " + r.description);
  if (run.served(tag_of(c.path)) < 1) {
    fault_did_not_fire("the server never sent " + what);
  }
  const int want = expected(limit, c.bytes);
  if (r.ok) {
    require(want >= 0, what + ": delivered although beyond the declared limit of " +
                           std::to_string(limit.value_or(0)) + " bytes");
    const auto problem = filler_problem(r.response.headers, c.bytes);
    require(problem.empty(), what + ": delivered, but " + problem);
    require(r.response.body == "block " + c.path,
            what + ": body \"" + r.response.body.substr(0, 60) + "\"");
    return {{"path", c.path}, {"delivered", true}, {"protocol", r.response.protocol}};
  }
  require(want <= 0, what + ": within the declared limit of " + std::to_string(limit.value_or(0)) +
                         " bytes, but failed: " + r.description);
  const auto why = untyped(r);
  require(why.empty(), what + ": refused untyped: " + why);
  return {{"path", c.path}, {"delivered", false}, {"error", r.response.error->message}};
}

/** Over h2 the held sibling must have shared a connection with the refused head (else
    its survival beside it was not tested: the fault did not fire). Returns the
    evidence's words. */
std::string same_connection(CheckRun& run, const std::string& refused_tag) {
  const auto sibling = run.served_on("sibling");
  const auto refused = run.served_on(refused_tag);
  require(!sibling.empty() && !refused.empty(),
          "the server counted the sibling and the refused head but names no connection for them");
  const auto conn = run.admin().connection(sibling.front());
  const std::string protocol = conn.ok() ? conn.body.value("protocol", "") : "";
  if (protocol != "h2" && protocol != "h2c") {
    run.note("sibling_connection", {{"protocol", protocol}, {"shared", false}});
    return " (over " + (protocol.empty() ? std::string("an unknown protocol") : protocol) +
           " the sibling had its own connection)";
  }
  if (std::find(refused.begin(), refused.end(), sibling.front()) == refused.end()) {
    std::string ids;
    for (const auto id : refused) {
      ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    }
    fault_did_not_fire("the held sibling was served on connection " +
                       std::to_string(sibling.front()) + ", the head beyond the limit on " + ids +
                       ": no sibling shared a connection with the refused head");
  }
  run.note("sibling_connection",
           {{"protocol", protocol}, {"shared", true}, {"connection", sibling.front()}});
  return " on the refused head's connection " + std::to_string(sibling.front());
}

// RFC 9113 4.3 and 6.10 (a header block is HEADERS or PUSH_PROMISE + any number of
// CONTINUATION frames; only the last carries END_HEADERS), RFC 7541 4.2 and 6.3 (table
// size updates at the start of a block), RFC 9113 6.5.2 and 10.5.1 (SETTINGS_MAX_HEADER_
// LIST_SIZE is advisory: a client may refuse a larger head, as a stream error for that
// request). Over HTTP/1.1 the same fields come in the head (RFC 9112 5).
std::string resp_header_block_steps(CheckRun& run) {
  const auto limit = run.info().capabilities.max_response_header_bytes;
  std::optional<std::int64_t> beyond = kUndeclaredBeyond;
  if (limit) {
    const auto above = std::find_if(kBeyondBytes.begin(), kBeyondBytes.end(),
                                    [&](std::int64_t bytes) { return bytes > *limit; });
    beyond = above == kBeyondBytes.end() ? std::nullopt : std::optional(*above);
  }
  // A sibling held open on the connection while the blocks arrive.
  auto sibling = run.send(run.request("/hold", "sibling"));
  run.wait_held("hold", 1);
  std::vector<BlockCase> cases;
  for (const int kib : kBlockKiB) {
    for (const int frame : kFrameBytes) {
      cases.push_back({block_path(kib, frame), std::int64_t{kib} * 1024, nullptr});
    }
  }
  if (beyond) {
    cases.push_back({beyond_path(*beyond), *beyond, nullptr});
  }
  for (auto& c : cases) {
    c.exchange = run.send(run.request(c.path, tag_of(c.path)));
  }
  nlohmann::json seen = nlohmann::json::array();
  for (const auto& c : cases) {
    seen.push_back(judge_block(run, c, limit));
  }
  run.note("blocks", seen);
  // The pool serves the next request, and the sibling completes, served once.
  require_next_served(run, "the header blocks", "next");
  require(run.admin().release("hold").ok(), "the admin API did not release gate hold");
  const auto held = sibling->wait_done(kWait);
  require(held.ok && held.response.body == "sibling",
          "the request held open while the blocks arrived did not complete: " + held.description);
  require(run.served("sibling") == 1,
          "the held sibling was served " + std::to_string(run.served("sibling")) + " times");
  const bool refused = beyond && !seen.back().value("delivered", true);
  const std::string sibling_on = refused ? same_connection(run, tag_of(beyond_path(*beyond))) : "";
  return "heads of 16, 64 and 128 KiB in frames of 16 KiB, 4 KiB and 1 KiB (table size "
         "updates 0 and 4096) delivered whole; " +
         std::string(!limit ? "no limit declared: each head delivered or failed typed"
                     : beyond
                         ? "one of " + std::to_string(*beyond) + " bytes beyond the limit of " +
                               std::to_string(*limit) + " failed typed"
                         : "the declared limit is beyond the server's 8 MiB: not judged") +
         "; the next request and a held sibling were served" + sibling_on;
}

}  // namespace

Verdict resp_header_block(const DriverSpec& d) {
  return judge_on(d, header_block_scenario(), resp_header_block_steps);
}

}  // namespace faultline::conformance::detail
