// A slow consumer of the transport's push API for the driver protocol's read_delay_ms.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "faultline/harness/exchange.h"

namespace faultline::conformance {

/** Reads the bodies of slow requests off the transport's I/O thread, as a caller that
    reads kReadBytes (16 KiB) at a time would: the transport's handlers hand each event to
    a SlowReader::Stream, and one reader thread takes them in order - heads at once, then
    one read of the body every `delay` (a full 16 KiB unless the body has ended, so the
    number of reads depends on the body's size only, not on how its bytes arrived), then
    the terminal event `delay` after the last read. Reads and the terminal event are
    stamped when taken, as the caller saw them. The slow reads of many requests overlap
    while the I/O thread keeps serving every stream. Thread-safe; the destructor hands
    what is still queued to its exchanges at once and joins the thread. */
class SlowReader {
 public:
  using Clock = std::chrono::steady_clock;

  /** The queue of one slow request. */
  class Stream;

  SlowReader();
  ~SlowReader();
  SlowReader(const SlowReader&) = delete;
  SlowReader& operator=(const SlowReader&) = delete;

  /** The most body bytes one read takes. */
  static constexpr std::size_t kReadBytes = 16 * 1024;

  /** A stream for `exchange`, sent at `sent`, read one read per `delay`. */
  [[nodiscard]] std::shared_ptr<Stream> open(std::shared_ptr<harness::Exchange> exchange,
                                             Clock::time_point sent,
                                             std::chrono::milliseconds delay);
  /** Queues `event` of `stream` behind the events queued before it. */
  void push(const std::shared_ptr<Stream>& stream, harness::Event event);

 private:
  /** An event taken from a stream, pushed to its exchange outside the lock. */
  struct Taken {
    std::shared_ptr<harness::Exchange> exchange;
    harness::Event event;
  };

  void run();
  /** Takes what is due now; returns when the next event of any stream is due. */
  std::optional<Clock::time_point> take_due(Clock::time_point now, std::vector<Taken>& taken);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::shared_ptr<Stream>> streams_;  ///< streams with events not yet taken
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest exists
};

}  // namespace faultline::conformance
