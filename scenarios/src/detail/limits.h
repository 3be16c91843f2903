// The ranges a scenario's values must fall in. docs/scenarios.md quotes them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace faultline::scenarios::detail {

/** HTTP/2 SETTINGS (RFC 9113 section 6.5.2) and what a test server sensibly allows. */
constexpr std::uint32_t kMaxWindowSize = 0x7fffffff;         ///< 2^31-1
constexpr std::uint32_t kMaxConcurrentStreams = 0x7fffffff;  ///< 2^31-1
constexpr std::uint32_t kMinFrameSize = 16384;               ///< 2^14
constexpr std::uint32_t kMaxFrameSize = 16777215;            ///< 2^24-1
constexpr std::uint32_t kMaxU32 = 0xffffffff;

constexpr int kMinStatus = 100;
constexpr int kMaxStatus = 599;
inline constexpr std::array kRedirectStatuses = {301, 302, 303, 307, 308};
constexpr int kDefaultRedirectStatus = 302;
/** Interim (1xx) heads before one final response. */
constexpr std::size_t kMaxInformationalHeads = 16;

constexpr std::uint32_t kMaxSseEvents = 1'000'000;
/** Delays longer than an hour are mistakes in a test scenario; use a hold gate instead. */
constexpr std::uint32_t kMaxDelayMs = 3'600'000;
/** One body write; matches the largest HTTP/2 frame payload a peer may allow. */
constexpr std::uint32_t kMaxChunkBytes = 16u << 20;
/** respond.content_length: the largest length a head may declare (1 TiB), and how many
    Content-Length fields it may carry. */
constexpr std::uint64_t kMaxDeclaredLength = std::uint64_t{1} << 40;
constexpr std::size_t kMaxDeclaredLengths = 8;
/** respond.header_block: the filler's size (64 B .. 8 MiB: 8192 fields at most, so
    their 4-digit numbers suffice), its frames' payload (at most the SETTINGS_MAX_FRAME_SIZE
    every peer accepts), and how many table size updates start the block. */
constexpr std::uint32_t kMinHeaderBlockBytes = 64;
constexpr std::uint32_t kMaxHeaderBlockBytes = 8u << 20;
constexpr std::uint32_t kMaxHeaderBlockFrameBytes = 16384;
constexpr std::size_t kMaxTableSizeUpdates = 4;
/** A table size update beyond this is a mistake (clients advertise 4096 by default). */
constexpr std::uint32_t kMaxTableSize = 1u << 20;

/** Counts with no natural bound (times, streams, attempts, held streams): 2^31-1. */
constexpr std::uint32_t kMaxCount = 0x7fffffff;
/** Late DATA bursts: enough to provoke any client, few enough to stay cheap. */
constexpr std::uint32_t kMaxLateFrames = 10'000;
/** A late DATA payload fits the smallest SETTINGS_MAX_FRAME_SIZE a peer may set. */
constexpr std::uint32_t kMaxLateFrameBytes = 16384;
/** GOAWAY debug data. */
constexpr std::size_t kMaxDebugBytes = 1024;
/// protocol_violation: the :status of bad_status, the field of forbidden_field.
constexpr std::size_t kMaxViolationStatusBytes = 16;
constexpr std::size_t kMaxViolationNameBytes = 256;
constexpr std::size_t kMaxViolationValueBytes = 1024;
constexpr std::uint32_t kMaxPingCount = 1'000'000;

/** Arrays and objects nested deeper than this are refused while parsing (the deepest
    field of the scenario format is 5 levels down; this leaves room for JSON bodies). */
constexpr std::size_t kMaxJsonDepth = 64;

/** Names of scenarios, listeners and gates appear in URLs and JSON: keep them plain. */
constexpr std::string_view kNameChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

/** Response header fields HTTP/2 forbids (RFC 9113 section 8.2.2). */
inline constexpr std::array<std::string_view, 5> kConnectionHeaders = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"};

}  // namespace faultline::scenarios::detail
