package faultline.driver;

import java.util.Map;

/**
 * A Java HTTP client wrapped for the driver protocol. DriverLoop calls it from its
 * reader thread; the client reports each request's events through its Call, from any
 * thread.
 */
interface Client {
  /** The hello event's fields after "event" and "protocol": name, version, pool limits. */
  Map<String, Object> hello();

  /** Starts a request without waiting for it; its Call gets exactly one terminal event. */
  void start(Call call);

  /** Cancels a request through the client's own mechanism (call.why() is already set). */
  void cancel(Call call);

  /** The client's own counters and pool view, merged into the stats event. */
  Map<String, Object> stats();

  /** Releases the client's threads and connections at shutdown. */
  void close();
}
