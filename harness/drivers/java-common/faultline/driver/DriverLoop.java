package faultline.driver;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The driver protocol (docs/driver-protocol.md) around a Client: reads operations from
 * stdin on the calling thread, writes events to stdout one whole line at a time, keeps
 * the request counters. Logs go to stderr.
 */
final class DriverLoop {
  static final int PROTOCOL = 1;
  private static final long SHUTDOWN_GRACE_MS = 1000;

  private final String tag;
  private final OutputStream out =
      new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 256 * 1024);
  private final Map<Long, Call> inFlight = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> counters = new LinkedHashMap<>();
  private volatile boolean shuttingDown;

  DriverLoop(String tag) {
    this.tag = tag;
    for (String name : new String[] {"requests_started", "requests_completed", "requests_failed", "requests_aborted"}) {
      counters.put(name, new AtomicLong());
    }
  }

  void log(String message) {
    System.err.println(tag + ": " + message);
  }

  /** Writes one event as one line; lines of concurrent requests never interleave. */
  synchronized void write(Map<String, Object> event) {
    try {
      out.write((Json.write(event) + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException e) {
      log("cannot write to stdout: " + e.getMessage());
    }
  }

  /** Bookkeeping before a terminal event, so that a later stats answer includes it. */
  void settled(Call call, String counter) {
    inFlight.remove(call.id);
    counters.get(counter).incrementAndGet();
  }

  /** Runs the session until shutdown or EOF, then exits the JVM with status 0. */
  void run(Function<DriverLoop, Client> factory) throws IOException {
    Client client = factory.apply(this);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      line = line.trim();
      if (line.isEmpty()) continue;
      if (!onLine(client, line)) break;
    }
    shutdown(client);
  }

  private boolean onLine(Client client, String line) {
    Object parsed;
    try {
      parsed = Json.parse(line);
    } catch (IllegalArgumentException e) {
      log("ignoring a line that is not JSON (" + e.getMessage() + "): " + cut(line));
      return true;
    }
    if (!(parsed instanceof Map)) {
      log("ignoring a line that is not an object: " + cut(line));
      return true;
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> msg = (Map<String, Object>) parsed;
    Object op = msg.get("op");
    if ("hello".equals(op)) {
      Map<String, Object> ev = new LinkedHashMap<>();
      ev.put("event", "hello");
      ev.put("protocol", PROTOCOL);
      ev.putAll(client.hello());
      write(ev);
    } else if ("request".equals(op)) {
      request(client, msg, line);
    } else if ("abort".equals(op)) {
      Call call = msg.get("id") instanceof Long ? inFlight.get(msg.get("id")) : null;
      if (call != null && call.markCancelled("aborted")) client.cancel(call);
    } else if ("pause".equals(op) || "resume".equals(op)) {
      Call call = msg.get("id") instanceof Long ? inFlight.get(msg.get("id")) : null;
      if (call != null && "pause".equals(op)) call.pause();
      else if (call != null) call.resume();
    } else if ("stats".equals(op)) {
      Map<String, Object> ev = new LinkedHashMap<>();
      ev.put("event", "stats");
      for (Map.Entry<String, AtomicLong> e : counters.entrySet()) ev.put(e.getKey(), e.getValue().get());
      ev.put("in_flight", inFlight.size());
      ev.putAll(client.stats());
      write(ev);
    } else if ("shutdown".equals(op)) {
      return false;
    } else {
      log("ignoring unknown op '" + op + "'");
    }
    return true;
  }

  private void request(Client client, Map<String, Object> msg, String line) {
    Object id = msg.get("id");
    if (!(id instanceof Long) || (Long) id < 1 || !(msg.get("url") instanceof String)) {
      log("ignoring a malformed request: " + cut(line));
      return;
    }
    Call call;
    try {
      call = parseCall((Long) id, msg);
    } catch (IllegalArgumentException e) {
      Call broken = new Call(this, (Long) id, "GET", "", List.of(), null, false, 0, "follow");
      broken.fail("other", "invalid request: " + e.getMessage());
      return;
    }
    if (shuttingDown) {
      call.fail("other", "driver is shutting down");
      return;
    }
    counters.get("requests_started").incrementAndGet();
    inFlight.put(call.id, call);
    try {
      client.start(call);
    } catch (RuntimeException e) {
      call.fail("other", Call.describe(e));
    }
  }

  private Call parseCall(long id, Map<String, Object> msg) {
    List<String[]> headers = new ArrayList<>();
    if (msg.get("headers") instanceof Map) {
      @SuppressWarnings("unchecked")
      Map<String, Object> fields = (Map<String, Object>) msg.get("headers");
      for (Map.Entry<String, Object> e : fields.entrySet()) {
        if (e.getValue() instanceof List) {
          for (Object v : (List<?>) e.getValue()) headers.add(new String[] {e.getKey(), String.valueOf(v)});
        } else {
          headers.add(new String[] {e.getKey(), String.valueOf(e.getValue())});
        }
      }
    }
    byte[] body = msg.get("body_b64") instanceof String ? Base64.getDecoder().decode((String) msg.get("body_b64")) : null;
    long timeout = msg.get("timeout_ms") instanceof Number ? (long) Math.ceil(((Number) msg.get("timeout_ms")).doubleValue()) : 0;
    String method = msg.get("method") instanceof String ? (String) msg.get("method") : "GET";
    String redirect = msg.get("redirect") instanceof String ? (String) msg.get("redirect") : "follow";
    boolean stream = Boolean.TRUE.equals(msg.get("body_stream"));
    return new Call(this, id, method, (String) msg.get("url"), headers, body, stream, Math.max(0, timeout), redirect);
  }

  private void shutdown(Client client) {
    shuttingDown = true;
    for (Call call : new ArrayList<>(inFlight.values())) {
      if (call.markCancelled("aborted")) client.cancel(call);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SHUTDOWN_GRACE_MS);
    while (!inFlight.isEmpty() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10); // a bounded wait at exit for the cancelled requests' last events
      } catch (InterruptedException e) {
        break;
      }
    }
    client.close();
    synchronized (this) {
      try {
        out.flush();
      } catch (IOException ignored) {
        // the harness stopped reading: nothing left to tell it
      }
    }
    System.exit(0);
  }

  private static String cut(String line) {
    return line.length() > 200 ? line.substring(0, 200) : line;
  }
}
