// Named limits and defaults of the harness, in one place.
#pragma once

#include <chrono>
#include <cstddef>

namespace faultline::harness {

/** The driver protocol version this harness speaks (docs/driver-protocol.md). */
inline constexpr int kProtocolVersion = 1;

/** How long a server may take to print its ready line. Generous: a loaded 2-core CI
    machine running sanitizer builds starts the server slowly. */
inline constexpr std::chrono::milliseconds kDefaultReadyTimeout = std::chrono::seconds{20};
/** How long a stopping child may take to exit after SIGTERM before SIGKILL. */
inline constexpr std::chrono::milliseconds kDefaultStopTimeout = std::chrono::seconds{5};
/** How long an external driver may take to answer hello (Node start-up included). */
inline constexpr std::chrono::milliseconds kDefaultHelloTimeout = std::chrono::seconds{20};
/** How long an external driver may take to exit after the shutdown op. */
inline constexpr std::chrono::milliseconds kDefaultShutdownTimeout = std::chrono::seconds{3};
/** Default timeout of one admin API call. */
inline constexpr std::chrono::milliseconds kDefaultAdminTimeout = std::chrono::seconds{5};
/** How often eventually() (gtest.h) polls the state it waits for. */
inline constexpr std::chrono::milliseconds kEventuallyPoll{10};
/** How long stderr may still drain after a child exited, so evidence is complete. */
inline constexpr std::chrono::milliseconds kExitDrainGrace = std::chrono::seconds{1};

/** Bytes of a child's stderr kept for evidence (the most recent ones). */
inline constexpr std::size_t kDefaultStderrLimit = 64 * 1024;
/** Bytes of a Command's stderr kept (command.h): whole logs of the tools tests run. */
inline constexpr std::size_t kCommandStderrLimit = 16 * 1024 * 1024;
/** Longest line accepted from a child's stdout (a data event of a 16 MiB body in
    one chunk, base64-encoded, fits). */
inline constexpr std::size_t kMaxLineBytes = 32 * 1024 * 1024;
/** Bytes of an offending line quoted in an error message. */
inline constexpr std::size_t kQuotedLineBytes = 200;

/** How many levels above the running executable's directory installation_prefix()
    looks for share/faultline/ (bin/ in a prefix: 1; a test binary in <build>/a/b/: 2). */
inline constexpr int kLayoutSearchDepth = 3;

/** Redirects a driver follows at most in redirect mode "follow" (Fetch's limit). */
inline constexpr int kMaxRedirects = 20;
/** libcurl driver: connections per host (the pool limit). */
inline constexpr long kCurlMaxHostConnections = 4;
/** libcurl driver: streams per connection it asks for at most. */
inline constexpr long kCurlMaxConcurrentStreams = 100;

}  // namespace faultline::harness
