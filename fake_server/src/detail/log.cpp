#include "detail/log.h"

#include <chrono>
#include <cstdio>
#include <mutex>

namespace faultline::fake_server::detail {

namespace {

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
      return "TRACE";
    case LogLevel::debug:
      return "DEBUG";
    case LogLevel::info:
      return "INFO";
    case LogLevel::warn:
      return "WARN";
    case LogLevel::error:
      return "ERROR";
    case LogLevel::off:
      return "OFF";
  }
  return "?";
}

std::mutex& log_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "trace") {
    return LogLevel::trace;
  }
  if (text == "debug") {
    return LogLevel::debug;
  }
  if (text == "info") {
    return LogLevel::info;
  }
  if (text == "warn" || text == "warning") {
    return LogLevel::warn;
  }
  if (text == "error") {
    return LogLevel::error;
  }
  if (text == "off" || text == "none") {
    return LogLevel::off;
  }
  return std::nullopt;
}

void Logger::write(LogLevel level, const LogTag& tag, std::string_view message) {
  static const auto start = std::chrono::steady_clock::now();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string line;
  line.reserve(message.size() + 64);
  char prefix[64];
  std::snprintf(prefix, sizeof prefix, "%10.3f %-5s [", seconds, level_name(level));
  line += prefix;
  line += tag.component;
  if (tag.conn != 0) {
    line += " conn=" + std::to_string(tag.conn);
  }
  if (tag.stream != 0) {
    line += " stream=" + std::to_string(tag.stream);
  }
  line += "] ";
  line += message;
  line += '\n';
  const std::lock_guard lock(log_mutex());
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

Logger& logger() noexcept {
  static Logger instance;
  return instance;
}

}  // namespace faultline::fake_server::detail
