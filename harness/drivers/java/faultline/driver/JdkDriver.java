package faultline.driver;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;

/**
 * Faultline driver over the JDK's java.net.http.HttpClient with HTTP_2: the driver
 * protocol on stdin/stdout (docs/driver-protocol.md), logs on stderr.
 *
 * One HttpClient serves every request in redirect mode "follow" (Redirect.NORMAL); a
 * second one with Redirect.NEVER, made on first use, serves modes "manual" and "error"
 * (the redirect policy is per client in this API). Aborts cancel the sendAsync future,
 * or the body subscription once the response has arrived; timeout_ms is the request's
 * own timeout (it covers the exchange until the response headers) plus a timer that
 * cancels the same way for the body.
 */
public final class JdkDriver implements Client {
  private static final String TAG = "faultline-driver-java";
  private static final String USAGE =
      "Usage: faultline-driver-java [options]\n"
          + "Speaks the Faultline driver protocol (JSON lines) on stdin/stdout over the JDK's\n"
          + "java.net.http.HttpClient (HTTP_2, falling back to HTTP/1.1 as the JDK does).\n\n"
          + "Options:\n"
          + "  --max-redirects N   jdk.httpclient.redirects.retrylimit (default 20, the protocol's)\n"
          + "  --no-h2             HttpClient.Version.HTTP_1_1\n"
          + "  --ca FILE           PEM file of the CA to trust (the fake server's \"ca\")\n"
          + "  --help              this text\n\n"
          + "Not configurable in JDK 17: the number of HTTP/2 connections per origin (one is\n"
          + "pooled; when its streams are all taken the JDK opens another), the stream cap\n"
          + "(the server's SETTINGS_MAX_CONCURRENT_STREAMS), an HTTP/2 idle timeout and\n"
          + "dead-connection detection (no PING).\n";
  /** The JDK pools one HTTP/2 connection per origin and uses the server's stream limit. */
  private static final int SESSIONS = 1;
  private static final int STREAMS = 100;
  /** The HTTP/2 stream window the JDK grants a response (jdk.httpclient.windowsize's
      default; the connection's is twice that): what a paused stream may hold. */
  private static final int STREAM_WINDOW = 16 * 1024 * 1024;

  private final DriverLoop loop;
  private final boolean h2;
  private final CountingSslContext ssl;
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "faultline-timeouts");
            t.setDaemon(true);
            return t;
          });
  private final HttpClient following;
  private volatile HttpClient notFollowing;

  /** Per request: the future of sendAsync, the body subscription, the timer. */
  private static final class State {
    volatile CompletableFuture<HttpResponse<Flow.Publisher<List<ByteBuffer>>>> future;
    volatile Flow.Subscription subscription;
    volatile ScheduledFuture<?> timer;
  }

  private JdkDriver(DriverLoop loop, boolean h2, CountingSslContext ssl) {
    this.loop = loop;
    this.h2 = h2;
    this.ssl = ssl;
    this.following = newClient(HttpClient.Redirect.NORMAL);
  }

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv, TAG, USAGE, Set.of("--ca", "--max-redirects"), Set.of("--no-h2"));
    int maxRedirects = args.integer(TAG, "--max-redirects", 20, 0);
    // Read once by the JDK when its redirect filter is first used.
    System.setProperty("jdk.httpclient.redirects.retrylimit", Integer.toString(maxRedirects));
    Tls tls = Tls.trustingOrExit(TAG, args.string("--ca"));
    CountingSslContext ssl = CountingSslContext.wrap(tls.context);
    new DriverLoop(TAG).run(loop -> new JdkDriver(loop, !args.has("--no-h2"), ssl));
  }

  private HttpClient newClient(HttpClient.Redirect redirect) {
    return HttpClient.newBuilder()
        .version(h2 ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
        .followRedirects(redirect)
        .sslContext(ssl)
        .proxy(HttpClient.Builder.NO_PROXY)
        .build();
  }

  private HttpClient clientFor(Call call) {
    if ("follow".equals(call.redirect)) return following;
    synchronized (this) {
      if (notFollowing == null) notFollowing = newClient(HttpClient.Redirect.NEVER);
      return notFollowing;
    }
  }

  @Override
  public Map<String, Object> hello() {
    Map<String, Object> hello = new LinkedHashMap<>();
    hello.put("name", "java.net.http");
    hello.put("version", System.getProperty("java.runtime.version"));
    hello.put("max_sessions", SESSIONS);
    hello.put("max_streams", h2 ? STREAMS : 1);
    hello.put("h2", h2);
    hello.put("api", "HttpClient.sendAsync");
    Map<String, Object> capabilities = new LinkedHashMap<>();
    capabilities.put("idle_timeout_ms", 0);
    capabilities.put("liveness_timeout_ms", 0);
    capabilities.put("retries_421", false);
    // pause/resume withhold and restore the body subscription's demand: the JDK credits a
    // stream's window as its subscriber takes the data.
    capabilities.put("receive_backpressure", true);
    capabilities.put("stream_window", STREAM_WINDOW);
    hello.put("capabilities", capabilities);
    return hello;
  }

  @Override
  public void start(Call call) {
    HttpRequest.Builder builder;
    try {
      builder = HttpRequest.newBuilder(URI.create(call.url));
      for (String[] field : call.headers) {
        if (field[0].equalsIgnoreCase("content-length")) continue; // the body publisher sets it
        builder.header(field[0], field[1]);
      }
      builder.method(call.method, publisher(call));
      if (call.timeoutMs > 0) builder.timeout(Duration.ofMillis(call.timeoutMs));
    } catch (IllegalArgumentException e) {
      call.fail("other", "invalid request: " + Call.describe(e));
      return;
    }
    State state = new State();
    call.handle = state;
    if (call.timeoutMs > 0) {
      state.timer = timers.schedule(() -> {
        if (call.markCancelled("timeout")) cancel(call);
      }, call.timeoutMs, TimeUnit.MILLISECONDS);
    }
    state.future = clientFor(call).sendAsync(builder.build(), HttpResponse.BodyHandlers.ofPublisher());
    state.future.whenComplete((response, error) -> {
      if (error != null) {
        finish(call, state, error);
      } else {
        onResponse(call, state, response);
      }
    });
  }

  /** The request body: bytes, or with body_stream one InputStream that a second
      subscription (a replay) would find already read. */
  private static HttpRequest.BodyPublisher publisher(Call call) {
    if (call.body == null) return HttpRequest.BodyPublishers.noBody();
    if (!call.bodyStream) return HttpRequest.BodyPublishers.ofByteArray(call.body);
    InputStream once = new ByteArrayInputStream(call.body);
    return HttpRequest.BodyPublishers.ofInputStream(() -> once);
  }

  private void onResponse(Call call, State state, HttpResponse<Flow.Publisher<List<ByteBuffer>>> response) {
    int status = response.statusCode();
    if ("error".equals(call.redirect) && isRedirect(status) && response.headers().firstValue("location").isPresent()) {
      response.body().subscribe(new Discard());
      finish(call, state, new ProtocolRefusal("redirect " + status + " to '"
          + response.headers().firstValue("location").get() + "' refused (redirect mode error)"));
      return;
    }
    call.headers(status, response.headers().map(), response.version() == HttpClient.Version.HTTP_2 ? "h2" : "http/1.1");
    response.body().subscribe(new Flow.Subscriber<List<ByteBuffer>>() {
      @Override
      public void onSubscribe(Flow.Subscription subscription) {
        state.subscription = subscription;
        if (call.why() != null) {
          cancel(call); // cancelled between the headers and the body
          return;
        }
        subscription.request(1);
      }

      @Override
      public void onNext(List<ByteBuffer> chunks) {
        for (ByteBuffer chunk : chunks) call.data(chunk);
        call.whenResumed(() -> state.subscription.request(1)); // paused: no demand until resume
      }

      @Override
      public void onError(Throwable error) {
        finish(call, state, error);
      }

      @Override
      public void onComplete() {
        stopTimer(state);
        call.end();
      }
    });
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private void finish(Call call, State state, Throwable error) {
    stopTimer(state);
    Throwable cause = unwrap(error);
    call.fail(classify(cause), Call.describe(cause));
  }

  private static void stopTimer(State state) {
    ScheduledFuture<?> timer = state.timer;
    if (timer != null) timer.cancel(false);
  }

  private static Throwable unwrap(Throwable error) {
    while ((error instanceof CompletionException || error instanceof ExecutionException) && error.getCause() != null) {
      error = error.getCause();
    }
    return error;
  }

  /** The JDK's exceptions onto the protocol's kinds (the driver's own cancellations win in Call.fail). */
  static String classify(Throwable error) {
    if (error instanceof ProtocolRefusal) return "network";
    if (error instanceof CancellationException) return "aborted";
    if (error instanceof HttpConnectTimeoutException || error instanceof HttpTimeoutException) return "timeout";
    if (error instanceof ProtocolException) return "protocol";
    String message = String.valueOf(error.getMessage());
    // The JDK refuses a stream beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS on a
    // connection it cannot replace: its own limit, neither the peer's fault nor the network's.
    if (message.contains("too many concurrent streams")) return "other";
    if (message.contains("RST_STREAM") || message.contains("PROTOCOL_ERROR") || message.contains("protocol error")
        || message.contains("malformed") || message.contains("FRAME_SIZE")) {
      return "protocol";
    }
    if (error instanceof ConnectException || error instanceof SSLException || error instanceof EOFException
        || error instanceof ClosedChannelException || error instanceof IOException) {
      return "network";
    }
    return "other"; // IllegalArgumentException (a header the JDK refuses, ...) and the rest
  }

  @Override
  public void cancel(Call call) {
    State state = (State) call.handle;
    if (state == null) return;
    Flow.Subscription subscription = state.subscription;
    if (subscription != null) {
      // The body is streaming: cancelling the subscription resets the stream, and no
      // further callback comes, so the request ends here.
      subscription.cancel();
      stopTimer(state);
      call.fail("aborted", "body subscription cancelled");
      return;
    }
    CompletableFuture<?> future = state.future;
    if (future != null) future.cancel(true);
  }

  @Override
  public Map<String, Object> stats() {
    Map<String, Object> stats = new LinkedHashMap<>();
    // Every TLS connection the client opens asks its SSLContext for one SSLEngine.
    stats.put("connections_opened", ssl.engines.get());
    stats.put("tls_engines_created", ssl.engines.get());
    return stats;
  }

  @Override
  public void close() {
    timers.shutdownNow();
  }

  /** A refused redirect (mode "error"), a network error in Fetch's terms. */
  private static final class ProtocolRefusal extends IOException {
    private static final long serialVersionUID = 1L;

    ProtocolRefusal(String message) {
      super(message);
    }
  }

  /** Reads and drops a body nobody wants (the refused redirect's). */
  private static final class Discard implements Flow.Subscriber<List<ByteBuffer>> {
    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.cancel();
    }

    @Override
    public void onNext(List<ByteBuffer> item) {}

    @Override
    public void onError(Throwable throwable) {}

    @Override
    public void onComplete() {}
  }

  /** The client's SSLContext, counting the engines it creates (one per TLS connection). */
  static final class CountingSslContext extends SSLContext {
    final AtomicLong engines;

    private CountingSslContext(SSLContextSpi spi, SSLContext inner, AtomicLong engines) {
      super(spi, inner.getProvider(), inner.getProtocol());
      this.engines = engines;
    }

    static CountingSslContext wrap(SSLContext inner) throws KeyManagementException {
      AtomicLong engines = new AtomicLong();
      SSLContextSpi spi = new SSLContextSpi() {
        @Override
        protected void engineInit(javax.net.ssl.KeyManager[] km, javax.net.ssl.TrustManager[] tm, SecureRandom sr) {
          throw new UnsupportedOperationException("already initialised");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
          return inner.getSocketFactory();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
          return inner.getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
          engines.incrementAndGet();
          return inner.createSSLEngine();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
          engines.incrementAndGet();
          return inner.createSSLEngine(host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
          return inner.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
          return inner.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
          return inner.getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
          return inner.getSupportedSSLParameters();
        }
      };
      return new CountingSslContext(spi, inner, engines);
    }
  }
}
