package faultline.driver;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Proxy;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import okhttp3.Callback;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.EventListener;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.internal.Version;
import okhttp3.internal.http.HttpMethod;
import okhttp3.internal.http.UnrepeatableRequestBody;
import okhttp3.internal.http2.ConnectionShutdownException;
import okhttp3.internal.http2.StreamResetException;
import okio.BufferedSink;
import okio.BufferedSource;
import okio.Okio;

/**
 * Faultline driver over OkHttp 3 (Debian's libokhttp-java, with okio 1): the driver
 * protocol on stdin/stdout (docs/driver-protocol.md), logs on stderr.
 *
 * One OkHttpClient; requests in redirect modes "manual" and "error" go through a
 * newBuilder() copy with followRedirects(false), which shares its Dispatcher and
 * ConnectionPool. Calls are enqueued (the Dispatcher queues them beyond its limits),
 * aborts are Call.cancel(), and timeout_ms is the call's own timeout (Call.timeout(),
 * which spans the whole call).
 */
public final class OkHttpDriver implements Client {
  private static final String TAG = "faultline-driver-okhttp";
  private static final String USAGE =
      "Usage: faultline-driver-okhttp [options]\n"
          + "Speaks the Faultline driver protocol (JSON lines) on stdin/stdout over OkHttp "
          + Version.userAgent() + ".\n\n"
          + "Options:\n"
          + "  --max-requests-per-host N  Dispatcher.setMaxRequestsPerHost (default 100;\n"
          + "                             OkHttp's own default is 5)\n"
          + "  --max-requests N           Dispatcher.setMaxRequests (default: the larger of 64\n"
          + "                             and --max-requests-per-host)\n"
          + "  --max-idle N               ConnectionPool maxIdleConnections (default 5)\n"
          + "  --idle-timeout MS          ConnectionPool keepAliveDuration (default 300000)\n"
          + "  --ping-interval MS         OkHttpClient.Builder.pingInterval (default 0 = off)\n"
          + "  --no-h2                    protocols(HTTP_1_1) only\n"
          + "  --ca FILE                  PEM file of the CA to trust (the fake server's \"ca\")\n"
          + "  --help                     this text\n\n"
          + "Not configurable: the number of connections per origin (OkHttp multiplexes on\n"
          + "one HTTP/2 connection while the server's SETTINGS_MAX_CONCURRENT_STREAMS leaves\n"
          + "room, and opens another when it does not), and the stream cap (the server's).\n";
  private static final int READ_CHUNK = 64 * 1024;
  /** OkHttp's HTTP/2 receive window (OKHTTP_CLIENT_WINDOW_SIZE), per stream and for the
      connection: it credits both as the response source is read. */
  private static final int STREAM_WINDOW = 16 * 1024 * 1024;

  private final DriverLoop loop;
  private final boolean h2;
  private final int perHost;
  private final long idleMs;
  private final long pingMs;
  private final OkHttpClient following;
  private final OkHttpClient notFollowing;
  private final AtomicLong connectsStarted = new AtomicLong();
  private final AtomicLong connectionsOpened = new AtomicLong();
  private final AtomicLong connectsFailed = new AtomicLong();

  private OkHttpDriver(DriverLoop loop, Args args, Tls tls) {
    this.loop = loop;
    this.h2 = !args.has("--no-h2");
    this.perHost = args.integer(TAG, "--max-requests-per-host", 100, 1);
    this.idleMs = args.integer(TAG, "--idle-timeout", 300000, 1);
    this.pingMs = args.integer(TAG, "--ping-interval", 0, 0);
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(args.integer(TAG, "--max-requests", Math.max(64, perHost), 1));
    dispatcher.setMaxRequestsPerHost(perHost);
    following = new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(new ConnectionPool(args.integer(TAG, "--max-idle", 5, 0), idleMs, TimeUnit.MILLISECONDS))
        .protocols(h2 ? Arrays.asList(Protocol.HTTP_2, Protocol.HTTP_1_1) : Collections.singletonList(Protocol.HTTP_1_1))
        .sslSocketFactory(tls.context.getSocketFactory(), tls.trustManager)
        .pingInterval(pingMs, TimeUnit.MILLISECONDS)
        .proxy(Proxy.NO_PROXY)
        .eventListener(new Counting())
        .build();
    notFollowing = following.newBuilder().followRedirects(false).followSslRedirects(false).build();
  }

  public static void main(String[] argv) throws Exception {
    Set<String> valued = Set.of("--ca", "--max-requests-per-host", "--max-requests", "--max-idle",
        "--idle-timeout", "--ping-interval");
    Args args = new Args(argv, TAG, USAGE, valued, Set.of("--no-h2"));
    Tls tls = Tls.trustingOrExit(TAG, args.string("--ca"));
    new DriverLoop(TAG).run(loop -> new OkHttpDriver(loop, args, tls));
  }

  /** OkHttp's own event API: connections as the client opens them. */
  private final class Counting extends EventListener {
    @Override
    public void connectStart(okhttp3.Call call, InetSocketAddress address, Proxy proxy) {
      connectsStarted.incrementAndGet();
    }

    @Override
    public void connectEnd(okhttp3.Call call, InetSocketAddress address, Proxy proxy, Protocol protocol) {
      connectionsOpened.incrementAndGet();
    }

    @Override
    public void connectFailed(okhttp3.Call call, InetSocketAddress address, Proxy proxy, Protocol protocol, IOException e) {
      connectsFailed.incrementAndGet();
    }
  }

  @Override
  public Map<String, Object> hello() {
    Map<String, Object> hello = new LinkedHashMap<>();
    hello.put("name", "okhttp");
    hello.put("version", Version.userAgent().replaceFirst("^okhttp/", ""));
    hello.put("max_sessions", 1);
    hello.put("max_streams", h2 ? perHost : 1);
    hello.put("h2", h2);
    hello.put("api", "Call.enqueue");
    Map<String, Object> capabilities = new LinkedHashMap<>();
    capabilities.put("idle_timeout_ms", idleMs);
    // A ping unanswered by the next one fails the connection: detection within two intervals.
    capabilities.put("liveness_timeout_ms", 2 * pingMs);
    capabilities.put("retries_421", false);
    // pause/resume stop and restart reading the response source.
    capabilities.put("receive_backpressure", true);
    capabilities.put("stream_window", STREAM_WINDOW);
    hello.put("capabilities", capabilities);
    return hello;
  }

  @Override
  public void start(Call call) {
    Request request;
    try {
      Request.Builder builder = new Request.Builder().url(call.url);
      String contentType = null;
      for (String[] field : call.headers) {
        if (field[0].equalsIgnoreCase("content-type")) contentType = field[1];
        builder.addHeader(field[0], field[1]);
      }
      RequestBody body = null;
      MediaType type = contentType == null ? null : MediaType.parse(contentType);
      if (call.body != null && call.bodyStream) {
        body = new OneShotBody(type, call.body);
      } else if (call.body != null) {
        body = RequestBody.create(type, call.body);
      } else if (HttpMethod.requiresRequestBody(call.method)) {
        body = RequestBody.create(null, new byte[0]); // OkHttp refuses a POST without one
      }
      request = builder.method(call.method, body).build();
    } catch (IllegalArgumentException e) {
      call.fail("other", "invalid request: " + Call.describe(e));
      return;
    }
    okhttp3.Call ok = ("follow".equals(call.redirect) ? following : notFollowing).newCall(request);
    if (call.timeoutMs > 0) ok.timeout().timeout(call.timeoutMs, TimeUnit.MILLISECONDS);
    call.handle = ok;
    ok.enqueue(new Callback() {
      @Override
      public void onFailure(okhttp3.Call c, IOException e) {
        call.fail(kindOf(call, e), Call.describe(e));
      }

      @Override
      public void onResponse(okhttp3.Call c, Response response) {
        try {
          deliver(call, response);
        } catch (IOException e) {
          call.fail(kindOf(call, e), Call.describe(e));
        } finally {
          response.close();
        }
      }
    });
  }

  private static void deliver(Call call, Response response) throws IOException {
    int status = response.code();
    String location = response.header("Location");
    if ("error".equals(call.redirect) && response.isRedirect() && location != null) {
      call.fail("network", "redirect " + status + " to '" + location + "' refused (redirect mode error)");
      return;
    }
    Headers headers = response.headers();
    call.headers(status, headers.toMultimap(), response.protocol() == Protocol.HTTP_2 ? "h2" : "http/1.1");
    BufferedSource source = response.body().source();
    byte[] chunk = new byte[READ_CHUNK];
    int n;
    while (true) {
      call.awaitResumed(); // paused: the source is not read, so the stream is not credited
      if ((n = source.read(chunk)) == -1) break;
      if (n > 0) call.data(ByteBuffer.wrap(chunk, 0, n));
    }
    call.end();
  }

  /** The kind of a failure of `call`. A cancellation the driver did not ask for comes from
      the call's own timeout: OkHttp 3.13 reports a call timeout as IOException("Canceled")
      or as the StreamResetException(CANCEL) of its own reset, not always as
      InterruptedIOException("timeout"). */
  private static String kindOf(Call call, IOException error) {
    Object handle = call.handle;
    boolean canceled = handle instanceof okhttp3.Call && ((okhttp3.Call) handle).isCanceled();
    if (call.why() == null && (canceled || "Canceled".equals(error.getMessage()))) {
      // Cancelled, but not by the driver: the call timeout did it (the read then fails
      // with "Canceled", or with the stream's own reset, CANCEL).
      return call.timeoutMs > 0 ? "timeout" : "other";
    }
    return classify(error);
  }

  /** OkHttp's exceptions onto the protocol's kinds (the driver's own cancellations win in Call.fail). */
  static String classify(IOException error) {
    String message = String.valueOf(error.getMessage());
    if (error instanceof StreamResetException) return "protocol";
    if (error instanceof SocketTimeoutException || (error instanceof InterruptedIOException && message.equals("timeout"))) {
      return "timeout";
    }
    if (message.equals("Canceled")) return "aborted";
    if (error instanceof ProtocolException) {
      return message.startsWith("Too many follow-up requests") ? "network" : "protocol";
    }
    if (message.contains("PROTOCOL_ERROR") || message.contains("Expected ':status'") || message.contains("unexpected status")) {
      return "protocol";
    }
    if (error instanceof ConnectionShutdownException || error instanceof ConnectException || error instanceof SSLException
        || error instanceof UnknownHostException || error instanceof SocketException || error instanceof EOFException) {
      return "network";
    }
    return "network"; // any other IOException: the connection failed under the call
  }

  /** body_stream: a body of unknown length written from one InputStream, marked
      unrepeatable (OkHttp 3's own marker, which its retry and follow-up logic honours):
      a second writeTo finds the stream already read. */
  private static final class OneShotBody extends RequestBody implements UnrepeatableRequestBody {
    private final MediaType type;
    private final InputStream once;

    OneShotBody(MediaType type, byte[] bytes) {
      this.type = type;
      this.once = new ByteArrayInputStream(bytes);
    }

    @Override
    public MediaType contentType() {
      return type;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      sink.writeAll(Okio.source(once));
    }
  }

  @Override
  public void cancel(Call call) {
    Object handle = call.handle;
    if (handle instanceof okhttp3.Call) ((okhttp3.Call) handle).cancel();
  }

  @Override
  public Map<String, Object> stats() {
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("connections_opened", connectionsOpened.get());
    stats.put("connects_started", connectsStarted.get());
    stats.put("connects_failed", connectsFailed.get());
    ConnectionPool pool = following.connectionPool();
    stats.put("pool_connections", pool.connectionCount());
    stats.put("pool_idle_connections", pool.idleConnectionCount());
    Dispatcher dispatcher = following.dispatcher();
    stats.put("dispatcher_running", dispatcher.runningCallsCount());
    stats.put("dispatcher_queued", dispatcher.queuedCallsCount());
    // The names the ABORT-* checks wait on: the Dispatcher's queue is OkHttp's queue.
    stats.put("queue_depth", dispatcher.queuedCallsCount());
    stats.put("requests_pending", dispatcher.runningCallsCount() + dispatcher.queuedCallsCount());
    return stats;
  }

  @Override
  public void close() {
    following.dispatcher().executorService().shutdown();
    following.connectionPool().evictAll();
  }
}
