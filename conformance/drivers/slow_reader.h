// A slow consumer of the transport's push API for the driver protocol's read_delay_ms.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
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
    while the I/O thread keeps serving every stream. A stream with a Hold pushes back on
    the transport as a slow caller does: once kHoldBytes are queued unread it is paused,
    and resumed when the reads brought the queue under half of that. Thread-safe; the
    destructor hands what is still queued to its exchanges at once and joins the thread. */
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
  /** Unread body bytes at which a stream with a Hold is paused. */
  static constexpr std::size_t kHoldBytes = 4 * kReadBytes;

  /** Pauses (true) or resumes (false) the transport's delivery of a stream's body. Called
      with the reader's lock held, in the order of the decisions: it must only hand the
      request on (Client::pause and resume post to the transport's loop), never call
      back into the reader. */
  using Hold = std::function<void(bool pause)>;

  /** A stream for `exchange`, sent at `sent`, read one read per `delay`. */
  [[nodiscard]] std::shared_ptr<Stream> open(std::shared_ptr<harness::Exchange> exchange,
                                             Clock::time_point sent,
                                             std::chrono::milliseconds delay);
  /** Queues `event` of `stream` behind the events queued before it. */
  void push(const std::shared_ptr<Stream>& stream, harness::Event event);
  /** From now on `stream` pushes back through `hold` (paused at once when kHoldBytes are
      already queued). */
  void hold_with(const std::shared_ptr<Stream>& stream, Hold hold);
  /** Calls no Hold any more (the transport they reach is about to go); reads go on. */
  void drop_holds();

 private:
  /** An event taken from a stream, pushed to its exchange outside the lock. */
  struct Taken {
    std::shared_ptr<harness::Exchange> exchange;
    harness::Event event;
  };

  void run();
  /** Pauses or resumes `s` through its Hold as its unread bytes cross the bounds. */
  void update_hold(Stream& s);
  /** Takes what is due now; returns when the next event of any stream is due. */
  std::optional<Clock::time_point> take_due(Clock::time_point now, std::vector<Taken>& taken);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::shared_ptr<Stream>> streams_;  ///< streams with events not yet taken
  bool stopping_ = false;
  bool holds_dropped_ = false;
  std::thread thread_;  // last: starts once the rest exists
};

}  // namespace faultline::conformance
