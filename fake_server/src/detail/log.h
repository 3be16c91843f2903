// The one logger of the fake server: leveled lines on stderr, tagged with the
// component and, where known, [conn=N stream=M]. Thread safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace faultline::fake_server::detail {

/** Severity, most verbose first. */
enum class LogLevel {
  trace,  ///< every frame
  debug,  ///< every request and connection
  info,   ///< start-up and shutdown
  warn,   ///< recoverable problems (a client misbehaved)
  error,  ///< the server could not do what it was asked
  off,    ///< nothing
};

/** Parses "trace|debug|info|warn|error|off"; nullopt otherwise. */
[[nodiscard]] std::optional<LogLevel> parse_log_level(std::string_view text);

/** Where a log line comes from. conn/stream 0 are omitted. */
struct LogTag {
  const char* component = "server";
  std::uint64_t conn = 0;
  std::int32_t stream = 0;
};

/** The process-wide logger. Lines are written whole (one mutex), to stderr. */
class Logger {
 public:
  void set_level(LogLevel level) noexcept { level_.store(level, std::memory_order_relaxed); }
  [[nodiscard]] bool enabled(LogLevel level) const noexcept {
    return level >= level_.load(std::memory_order_relaxed);
  }
  void write(LogLevel level, const LogTag& tag, std::string_view message);

 private:
  std::atomic<LogLevel> level_{LogLevel::info};
};

[[nodiscard]] Logger& logger() noexcept;

}  // namespace faultline::fake_server::detail

/// Formats and writes one line only when the level is enabled (arguments are not
/// evaluated otherwise).
#define FAULTLINE_LOG(level, tag, stream_expr)                                          \
  do {                                                                                  \
    auto& faultline_logger_ = ::faultline::fake_server::detail::logger();               \
    if (faultline_logger_.enabled(::faultline::fake_server::detail::LogLevel::level)) { \
      std::ostringstream faultline_log_os_;                                             \
      faultline_log_os_ << stream_expr;                                                 \
      faultline_logger_.write(::faultline::fake_server::detail::LogLevel::level, (tag), \
                              faultline_log_os_.str());                                 \
    }                                                                                   \
  } while (false)
