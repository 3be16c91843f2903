// faultline-fetch: send one or many requests through the transport and summarise.
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "faultline/transport/transport.h"

namespace {

namespace ft = faultline::transport;

constexpr const char* kUsage = R"(Usage: faultline-fetch URL [options]

Sends requests through Faultline's pooled HTTP/2 transport (HTTP/1.1 fallback) and
prints a summary line on stderr:
  faultline-fetch: ok=N failed=N connections=N protocol=h2 status=200 wall_ms=N.N

Options:
  -X METHOD         request method (default GET, or POST with -d)
  -H 'NAME: VALUE'  add a request header (repeatable)
  -d DATA|@FILE     request body, inline or read from FILE
  --http1           force HTTP/1.1 (never offer h2)
  --cacert FILE     trust the CAs in FILE instead of the system store
  -k, --insecure    do not verify the server certificate (tests only)
  -n N              send N requests in total (default 1)
  -c C              keep at most C requests in flight (default 1)
  --sessions S      sessions per origin (default 4)
  --streams K       streams per session (default 100)
  --timeout MS      deadline of each request in milliseconds (default 30000)
  --ping-interval MS  h2 keep-alive PING every MS milliseconds (default 0: none)
  --ping-timeout MS   a PING unanswered this long closes the session (default 5000)
  --max-retries R   re-sends of a request the server provably did not process (default 3)
  -o FILE           write the first response's body to FILE as it arrives (default:
                    stdout when -n is 1, discarded otherwise); the body is never held
                    in memory whole
  -v                print the response head and the transport's log on stderr
  -h, --help        this text

Exit status: 0 when every request completed (any HTTP status), 1 when any failed,
2 on a usage error.
)";

struct Args {
  std::string url;
  std::string method;
  ft::Headers headers;
  std::optional<std::string> body;
  bool http1 = false;
  bool insecure = false;
  std::string cacert;
  long n = 1;
  long c = 1;
  long sessions = 4;
  long streams = 100;
  long timeout_ms = 30'000;
  long ping_interval_ms = 0;
  long ping_timeout_ms = 5'000;
  long max_retries = 3;
  std::string output;
  bool verbose = false;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "faultline-fetch: error: " << message << "\n(try --help)\n";
  std::exit(2);
}

long parse_count(const std::string& flag, const std::string& text, long min) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < min) {
    usage_error(flag + " needs an integer >= " + std::to_string(min) + ", got \"" + text + "\"");
  }
  return value;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    usage_error("cannot read " + path);
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Args parse(int argc, char** argv) {
  Args args;
  std::vector<std::string> list(argv + 1, argv + argc);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string& a = list[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= list.size()) {
        usage_error(a + " needs a value");
      }
      return list[++i];
    };
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      std::exit(0);
    } else if (a == "-X") {
      args.method = value();
    } else if (a == "-H") {
      const std::string& h = value();
      const auto colon = h.find(':');
      if (colon == std::string::npos || colon == 0) {
        usage_error("-H needs 'NAME: VALUE', got \"" + h + "\"");
      }
      auto v = h.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      args.headers.emplace_back(h.substr(0, colon), v);
    } else if (a == "-d") {
      const std::string& d = value();
      args.body = (!d.empty() && d[0] == '@') ? read_file(d.substr(1)) : d;
    } else if (a == "--http1") {
      args.http1 = true;
    } else if (a == "-k" || a == "--insecure") {
      args.insecure = true;
    } else if (a == "--cacert") {
      args.cacert = value();
    } else if (a == "-n") {
      args.n = parse_count(a, value(), 1);
    } else if (a == "-c") {
      args.c = parse_count(a, value(), 1);
    } else if (a == "--sessions") {
      args.sessions = parse_count(a, value(), 1);
    } else if (a == "--streams") {
      args.streams = parse_count(a, value(), 1);
    } else if (a == "--timeout") {
      args.timeout_ms = parse_count(a, value(), 1);
    } else if (a == "--ping-interval") {
      args.ping_interval_ms = parse_count(a, value(), 0);
    } else if (a == "--ping-timeout") {
      args.ping_timeout_ms = parse_count(a, value(), 1);
    } else if (a == "--max-retries") {
      args.max_retries = parse_count(a, value(), 0);
    } else if (a == "-o") {
      args.output = value();
    } else if (a == "-v") {
      args.verbose = true;
    } else if (!a.empty() && a[0] == '-') {
      usage_error("unknown option " + a);
    } else if (args.url.empty()) {
      args.url = a;
    } else {
      usage_error("more than one URL (" + args.url + ", " + a + ")");
    }
  }
  if (args.url.empty()) {
    usage_error("no URL");
  }
  if (args.method.empty()) {
    args.method = args.body ? "POST" : "GET";
  }
  return args;
}

/** Completion bookkeeping shared with the transport's thread. */
struct Tally {
  std::mutex mutex;
  std::condition_variable changed;
  long in_flight = 0;
  long ok = 0;
  long failed = 0;
  int first_status = 0;
  ft::Protocol protocol = ft::Protocol::none;
  std::string first_error;
};

/** Where the first response's body goes, chunk by chunk, on the transport's thread.
    A write error is remembered and reported after the transfer. */
struct BodySink {
  std::FILE* file = nullptr;
  bool close_file = false;
  bool failed = false;

  void write(std::string_view chunk) {
    if (!failed && std::fwrite(chunk.data(), 1, chunk.size(), file) != chunk.size())
      failed = true;
  }
  /** Flushes (and closes a file it opened); false when any write failed. */
  bool finish() {
    if (std::fflush(file) != 0)
      failed = true;
    if (close_file && std::fclose(file) != 0)
      failed = true;
    file = nullptr;
    return !failed;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  ft::Options options;
  options.force_http1 = args.http1;
  options.tls.ca_file = args.cacert;
  options.tls.verify_peer = !args.insecure;
  options.max_sessions_per_origin = static_cast<std::size_t>(args.sessions);
  options.max_streams_per_session = static_cast<std::uint32_t>(args.streams);
  options.ping_interval = std::chrono::milliseconds(args.ping_interval_ms);
  options.ping_timeout = std::chrono::milliseconds(args.ping_timeout_ms);
  options.max_retries = static_cast<std::uint32_t>(args.max_retries);
  if (args.verbose) {
    options.log_level = ft::LogLevel::debug;
    options.log = [](ft::LogLevel, std::string_view line) {
      std::fprintf(stderr, "* %.*s\n", static_cast<int>(line.size()), line.data());
    };
  }
  std::optional<ft::Client> client;
  try {
    client.emplace(options);
  } catch (const std::exception& e) {
    usage_error(e.what());
  }

  // The output opens before anything is sent: a bad -o path costs no request.
  std::optional<BodySink> sink;
  if (!args.output.empty()) {
    std::FILE* file = std::fopen(args.output.c_str(), "wb");
    if (file == nullptr)
      usage_error("cannot write " + args.output + ": " + std::strerror(errno));
    sink = BodySink{file, true};
  } else if (args.n == 1) {
    sink = BodySink{stdout, false};
  }

  Tally tally;
  const auto started = std::chrono::steady_clock::now();
  long sent = 0;
  std::unique_lock lock(tally.mutex);
  while (sent < args.n || tally.in_flight > 0) {
    while (sent < args.n && tally.in_flight < args.c) {
      ft::Request request;
      request.method = args.method;
      request.url = args.url;
      request.headers = args.headers;
      if (args.body) {
        request.body = ft::Body::bytes(*args.body);
      }
      request.timeout = std::chrono::milliseconds(args.timeout_ms);
      ft::Handlers handlers;
      const bool first = sent == 0;
      if (first && sink) {
        handlers.on_data = [&sink](std::string_view chunk) { sink->write(chunk); };
      }
      if (first && args.verbose) {
        handlers.on_headers = [](const ft::ResponseHead& head) {
          std::ostringstream out;
          out << "< " << ft::to_string(head.protocol) << " " << head.status << " " << head.url
              << "\n";
          for (const auto& [k, v] : head.headers) {
            out << "< " << k << ": " << v << "\n";
          }
          std::cerr << out.str();
        };
      }
      handlers.on_complete = [&tally, first](ft::Result&& result) {
        std::lock_guard guard(tally.mutex);
        --tally.in_flight;
        if (result.ok()) {
          ++tally.ok;
        } else {
          ++tally.failed;
          if (tally.first_error.empty()) {
            tally.first_error =
                result.error.message() + (result.detail.empty() ? "" : " (" + result.detail + ")");
          }
        }
        if (first) {
          tally.first_status = result.response.status;
          tally.protocol = result.response.protocol;
        } else if (tally.protocol == ft::Protocol::none) {
          tally.protocol = result.response.protocol;
        }
        tally.changed.notify_all();
      };
      ++tally.in_flight;
      ++sent;
      lock.unlock();
      client->send(std::move(request), std::move(handlers));
      lock.lock();
    }
    // Wake for a free slot while there is more to send, else for the last completion.
    tally.changed.wait(
        lock, [&] { return sent < args.n ? tally.in_flight < args.c : tally.in_flight == 0; });
  }
  const auto wall =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  lock.unlock();
  const auto stats = client->stats();

  if (sink && !sink->finish()) {
    std::cerr << "faultline-fetch: error: cannot write "
              << (args.output.empty() ? std::string("stdout") : args.output) << "\n";
    return 1;
  }
  if (!tally.first_error.empty()) {
    std::cerr << "faultline-fetch: first failure: " << tally.first_error << "\n";
  }
  char wall_text[32];
  std::snprintf(wall_text, sizeof(wall_text), "%.1f", wall);
  std::cerr << "faultline-fetch: ok=" << tally.ok << " failed=" << tally.failed
            << " connections=" << stats.sessions_opened
            << " protocol=" << ft::to_string(tally.protocol) << " status=" << tally.first_status
            << " wall_ms=" << wall_text << "\n";
  return tally.failed == 0 ? 0 : 1;
}
