package faultline.driver;

import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One request of the protocol and its event stream. Thread-safe: the terminal event is
 * written once (end or error, whichever comes first), and nothing after it.
 */
final class Call {
  final long id;
  final String method;
  final String url;
  /** Header fields in order, a name repeated for a field sent several times. */
  final List<String[]> headers;
  /** The body; null = no body. */
  final byte[] body;
  /** body_stream: hand the body to the client as a stream it cannot replay. */
  final boolean bodyStream;
  /** Deadline of the whole exchange in milliseconds; 0 = none. */
  final long timeoutMs;
  /** "follow", "manual" or "error". */
  final String redirect;

  private final DriverLoop loop;
  private final long startNanos = System.nanoTime();
  private final AtomicReference<String> why = new AtomicReference<>();
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile boolean sawHeaders;
  /** pause/resume (guarded by this): whether the body is not to be taken now, and what a
      client that pulls asynchronously held back until resume. */
  private boolean paused;
  private Runnable owed;
  /** The client's own handle for this request (a future, an okhttp3.Call, ...). */
  volatile Object handle;

  Call(DriverLoop loop, long id, String method, String url, List<String[]> headers, byte[] body,
      boolean bodyStream, long timeoutMs, String redirect) {
    this.loop = loop;
    this.id = id;
    this.method = method;
    this.url = url;
    this.headers = headers;
    this.body = body;
    this.bodyStream = bodyStream;
    this.timeoutMs = timeoutMs;
    this.redirect = redirect;
  }

  /** Why the driver cancelled it ("aborted" or "timeout"), null if it did not. */
  String why() {
    return why.get();
  }

  /** Marks the request cancelled for `reason`; false if it already was or has ended. */
  boolean markCancelled(String reason) {
    if (ended.get() || !why.compareAndSet(null, reason)) return false;
    synchronized (this) {
      notifyAll(); // a body loop waiting in awaitResumed() goes on to see the cancellation
    }
    return true;
  }

  /** The pause operation: the client stops taking the body (a no-op once ended). */
  synchronized void pause() {
    if (!ended.get()) paused = true;
  }

  /** The resume operation: the client takes the body again, from what it held back. */
  void resume() {
    Runnable next;
    synchronized (this) {
      paused = false;
      next = owed;
      owed = null;
      notifyAll();
    }
    if (next != null) next.run();
  }

  /** For a client that pulls the body asynchronously: runs `next` (the pull of the next
      chunk) now, or at resume when the request is paused. */
  void whenResumed(Runnable next) {
    synchronized (this) {
      if (paused && !ended.get()) {
        owed = next;
        return;
      }
    }
    next.run();
  }

  /** For a client whose body is read by a blocking loop: waits while the request is
      paused, until resume, its cancellation or end, or its timeout_ms passes (the
      client's own timeout then fails the read that follows). */
  synchronized void awaitResumed() throws InterruptedIOException {
    long deadline = timeoutMs > 0 ? startNanos + TimeUnit.MILLISECONDS.toNanos(timeoutMs) : 0;
    while (paused && why.get() == null && !ended.get()) {
      long left = deadline == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (deadline != 0 && left <= 0) return;
      try {
        wait(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while paused");
      }
    }
  }

  boolean ended() {
    return ended.get();
  }

  double elapsedMs() {
    return Math.round((System.nanoTime() - startNanos) / 1000.0) / 1000.0;
  }

  /** The final response's status line and fields (lower-case names). */
  synchronized void headers(int status, Map<String, List<String>> fields, String protocol) {
    if (ended.get() || sawHeaders) return;
    sawHeaders = true;
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : fields.entrySet()) {
      if (e.getKey() == null || e.getKey().startsWith(":")) continue;
      String name = e.getKey().toLowerCase(java.util.Locale.ROOT);
      List<String> values = new ArrayList<>(e.getValue());
      Object previous = out.get(name);
      if (previous instanceof String) values.add(0, (String) previous);
      else if (previous instanceof List) {
        @SuppressWarnings("unchecked")
        List<String> list = (List<String>) previous;
        values.addAll(0, list);
      }
      out.put(name, values.size() == 1 ? values.get(0) : values);
    }
    Map<String, Object> ev = event("headers");
    ev.put("status", status);
    ev.put("headers", out);
    if (protocol != null) ev.put("protocol", protocol);
    loop.write(ev);
  }

  // headers, data, end and fail are synchronized: the check of `ended` and the write of
  // the event are one step, so no event can follow the terminal one written by another
  // thread (an abort's error racing a body chunk did).

  /** A chunk of the body as the client delivered it. */
  synchronized void data(ByteBuffer chunk) {
    if (ended.get() || !chunk.hasRemaining()) return;
    Map<String, Object> ev = event("data");
    ev.put("b64", Base64.getEncoder().encodeToString(toBytes(chunk)));
    loop.write(ev);
  }

  /** The last body byte arrived. */
  synchronized void end() {
    if (!ended.compareAndSet(false, true)) return;
    loop.settled(this, "requests_completed");
    loop.write(event("end"));
  }

  /** The request failed; a cancellation by the driver decides the kind. */
  synchronized void fail(String kind, String message) {
    if (!ended.compareAndSet(false, true)) return;
    String reason = why.get();
    String finalKind = reason != null ? reason : kind;
    loop.settled(this, "aborted".equals(finalKind) ? "requests_aborted" : "requests_failed");
    Map<String, Object> ev = event("error");
    ev.put("kind", finalKind);
    ev.put("message", message);
    loop.write(ev);
  }

  private Map<String, Object> event(String type) {
    Map<String, Object> ev = new LinkedHashMap<>();
    ev.put("id", id);
    ev.put("event", type);
    ev.put("t_ms", elapsedMs());
    return ev;
  }

  private static byte[] toBytes(ByteBuffer chunk) {
    byte[] bytes = new byte[chunk.remaining()];
    chunk.get(bytes);
    return bytes;
  }

  /** "Class: message (cause: Class: message)", for error events. */
  static String describe(Throwable error) {
    StringBuilder out = new StringBuilder(error.getClass().getName()).append(": ").append(error.getMessage());
    Throwable cause = error.getCause();
    for (int depth = 0; cause != null && depth < 3; depth++, cause = cause.getCause()) {
      out.append(" (cause: ").append(cause.getClass().getName()).append(": ").append(cause.getMessage()).append(')');
    }
    return out.toString();
  }
}
