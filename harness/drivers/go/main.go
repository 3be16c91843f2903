// Command faultline-driver-go speaks the Faultline driver protocol
// (docs/driver-protocol.md) on stdin/stdout over Go's net/http client and the HTTP/2
// implementation bundled in the standard library. Logs go to stderr.
//
// One http.Transport is configured from the arguments (see -help); every request goes
// through one http.Client over it. Aborts and timeouts cancel the request's context,
// which is net/http's own cancellation mechanism; the driver never retries or works
// around anything itself.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	protocolVersion = 1
	// maxRedirects is the driver protocol's limit (net/http's default policy stops at 10).
	maxRedirects = 20
	// maxStreams is the most streams the bundled HTTP/2 client opens on a connection:
	// the server's SETTINGS_MAX_CONCURRENT_STREAMS, or 1000 when the server announces
	// none (100 until the server's first SETTINGS arrive).
	maxStreams    = 1000
	readChunk     = 64 * 1024
	shutdownGrace = time.Second
	// streamWindow is the bundled HTTP/2 client's stream receive window
	// (transportDefaultStreamFlow): it credits a stream as its body is read, so a
	// paused response holds at most this much.
	streamWindow = 4 << 20
)

const usage = `Usage: faultline-driver-go [options]
Speaks the Faultline driver protocol (JSON lines) on stdin/stdout over Go's net/http
client with the standard library's bundled HTTP/2, one http.Transport for all requests.

Options:
  --connections N     http.Transport.MaxConnsPerHost (default 4; 0 = unlimited)
  --idle-timeout MS   http.Transport.IdleConnTimeout in milliseconds (default 90000;
                      0 = idle connections are never closed by a timer)
  --no-h2             do not offer h2 (ForceAttemptHTTP2 off, TLSNextProto emptied)
  --ca FILE           PEM file of the CA to trust (the fake server's "ca")
  --help              this text

Not configurable with the standard library of this Go version: the HTTP/2 client's
stream cap (the server's SETTINGS_MAX_CONCURRENT_STREAMS, 1000 when the server sets
none, 100 until its SETTINGS arrive), and its ReadIdleTimeout/PingTimeout health checks
(only golang.org/x/net/http2 exposes them), so the driver declares no dead-connection
detection.
`

type options struct {
	connections int
	idleTimeout time.Duration
	h2          bool
	ca          string
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "faultline-driver-go: error: "+format+"\n", args...)
	os.Exit(2)
}

func parseArgs(args []string) options {
	o := options{connections: 4, idleTimeout: 90 * time.Second, h2: true}
	fs := flag.NewFlagSet("faultline-driver-go", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&o.connections, "connections", o.connections, "")
	idleMs := fs.Int("idle-timeout", int(o.idleTimeout/time.Millisecond), "")
	noH2 := fs.Bool("no-h2", false, "")
	fs.StringVar(&o.ca, "ca", "", "")
	help := fs.Bool("help", false, "")
	if err := fs.Parse(args); err != nil {
		fail("%v (try --help)", err)
	}
	if *help {
		fmt.Print(usage)
		os.Exit(0)
	}
	if fs.NArg() > 0 {
		fail("unknown argument '%s' (try --help)", fs.Arg(0))
	}
	if o.connections < 0 || *idleMs < 0 {
		fail("--connections and --idle-timeout need a non-negative integer")
	}
	o.idleTimeout = time.Duration(*idleMs) * time.Millisecond
	o.h2 = !*noH2
	return o
}

// writer serialises protocol lines: one line per Write, never interleaved.
type writer struct {
	mu  sync.Mutex
	out *bufio.Writer
}

func (w *writer) event(v map[string]interface{}) {
	line, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "faultline-driver-go: cannot encode an event: %v\n", err)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.out.Write(line)
	w.out.WriteByte('\n')
	w.out.Flush()
}

// counters are the stats event's numbers, read from the driver's own hooks into the
// transport (its dialer counts the connections it opens and closes).
type counters struct {
	started, completed, failed, aborted  int64
	connectionsOpened, connectionsClosed int64
}

// countedConn reports its Close to the counters once.
type countedConn struct {
	net.Conn
	once sync.Once
	c    *counters
}

func (c *countedConn) Close() error {
	c.once.Do(func() { atomic.AddInt64(&c.c.connectionsClosed, 1) })
	return c.Conn.Close()
}

// request is one request in flight.
type request struct {
	id     int64
	ctx    context.Context
	cancel context.CancelFunc
	start  time.Time
	mu     sync.Mutex
	why    string // "", "aborted" or "timeout": why the driver cancelled the context
	ended  bool
	// resumed is non-nil while the request is paused: closed by resume.
	resumed chan struct{}
}

// pause stops the body loop before its next read of resp.Body (a no-op when paused).
func (r *request) pause() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.resumed == nil && !r.ended {
		r.resumed = make(chan struct{})
	}
}

// resume lets the body loop read again.
func (r *request) resume() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.resumed != nil {
		close(r.resumed)
		r.resumed = nil
	}
}

// whilePaused blocks while the request is paused, until resume or its cancellation
// (abort, timeout_ms, shutdown): the read that follows then reports the cancellation.
func (r *request) whilePaused() {
	r.mu.Lock()
	resumed := r.resumed
	r.mu.Unlock()
	if resumed != nil {
		select {
		case <-resumed:
		case <-r.ctx.Done():
		}
	}
}

func (r *request) elapsed() float64 {
	return float64(time.Since(r.start).Microseconds()) / 1000
}

func (r *request) setWhy(why string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.why != "" || r.ended {
		return false
	}
	r.why = why
	return true
}

func (r *request) reason() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.why
}

type driver struct {
	opts      options
	out       *writer
	transport *http.Transport
	client    *http.Client
	stats     counters
	mu        sync.Mutex
	inFlight  map[int64]*request
	wg        sync.WaitGroup
	closing   bool
}

type redirectMode struct{}

// redirectPolicy follows at most maxRedirects, or stops per the request's mode.
func redirectPolicy(req *http.Request, via []*http.Request) error {
	switch req.Context().Value(redirectMode{}) {
	case "manual":
		return http.ErrUseLastResponse
	case "error":
		return &refusedRedirect{status: req.Response.StatusCode, location: req.Response.Header.Get("Location")}
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	return nil
}

type refusedRedirect struct {
	status   int
	location string
}

func (e *refusedRedirect) Error() string {
	return fmt.Sprintf("redirect %d to '%s' refused (redirect mode error)", e.status, e.location)
}

func newDriver(o options, out *writer) *driver {
	d := &driver{opts: o, out: out, inFlight: map[int64]*request{}}
	tlsConfig := &tls.Config{}
	if o.ca != "" {
		pem, err := os.ReadFile(o.ca)
		if err != nil {
			fail("cannot read --ca %s: %v", o.ca, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			fail("--ca %s holds no PEM certificate", o.ca)
		}
		tlsConfig.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	d.transport = &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			atomic.AddInt64(&d.stats.connectionsOpened, 1)
			return &countedConn{Conn: conn, c: &d.stats}, nil
		},
		TLSClientConfig:     tlsConfig,
		ForceAttemptHTTP2:   o.h2,
		MaxConnsPerHost:     o.connections,
		MaxIdleConnsPerHost: maxInt(o.connections, 2),
		IdleConnTimeout:     o.idleTimeout,
		TLSHandshakeTimeout: 30 * time.Second,
	}
	if !o.h2 {
		// A non-nil empty map is net/http's documented way to disable HTTP/2.
		d.transport.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	d.client = &http.Client{Transport: d.transport, CheckRedirect: redirectPolicy}
	return d
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func (d *driver) hello() {
	maxSessions := d.opts.connections
	if maxSessions == 0 {
		maxSessions = 1 << 20 // unlimited: no bound to hold the transport to
	}
	streams := maxStreams
	if !d.opts.h2 {
		streams = 1
	}
	d.out.event(map[string]interface{}{
		"event": "hello", "protocol": protocolVersion, "name": "go-net/http",
		"version": strings.TrimPrefix(runtime.Version(), "go"), "max_sessions": maxSessions,
		"max_streams": streams, "h2": d.opts.h2, "api": "http.Client",
		"capabilities": map[string]interface{}{
			"idle_timeout_ms":     d.opts.idleTimeout.Milliseconds(),
			"liveness_timeout_ms": 0,
			"retries_421":         false,
			// pause/resume stop and restart reading resp.Body: the HTTP/2 client credits
			// a stream's window only as its body is read.
			"receive_backpressure": true,
			"stream_window":        streamWindow,
		},
	})
}

type requestOp struct {
	ID         int64                  `json:"id"`
	Method     string                 `json:"method"`
	URL        string                 `json:"url"`
	Headers    map[string]interface{} `json:"headers"`
	BodyB64    *string                `json:"body_b64"`
	BodyStream bool                   `json:"body_stream"`
	TimeoutMs  float64                `json:"timeout_ms"`
	Redirect   string                 `json:"redirect"`
}

func (d *driver) errorEvent(r *request, id int64, kind, message string) {
	ev := map[string]interface{}{"id": id, "event": "error", "kind": kind, "message": message}
	if r != nil {
		ev["t_ms"] = r.elapsed()
	}
	d.out.event(ev)
}

func (d *driver) startRequest(op requestOp) {
	var body []byte
	if op.BodyB64 != nil {
		var err error
		if body, err = base64.StdEncoding.DecodeString(*op.BodyB64); err != nil {
			d.errorEvent(nil, op.ID, "other", "body_b64 is not base64: "+err.Error())
			return
		}
	}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), redirectMode{}, op.Redirect))
	req, err := newHTTPRequest(ctx, op, body)
	if err != nil {
		cancel()
		d.errorEvent(nil, op.ID, "other", "invalid request: "+err.Error())
		return
	}
	r := &request{id: op.ID, ctx: ctx, cancel: cancel, start: time.Now()}
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		cancel()
		d.errorEvent(nil, op.ID, "other", "driver is shutting down")
		return
	}
	d.inFlight[op.ID] = r
	d.wg.Add(1)
	d.mu.Unlock()
	atomic.AddInt64(&d.stats.started, 1)
	var timer *time.Timer
	if op.TimeoutMs > 0 {
		timer = time.AfterFunc(time.Duration(op.TimeoutMs*float64(time.Millisecond)), func() {
			if r.setWhy("timeout") {
				cancel()
			}
		})
	}
	go d.perform(r, req, timer)
}

func newHTTPRequest(ctx context.Context, op requestOp, body []byte) (*http.Request, error) {
	u, err := url.Parse(op.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid url '%s'", op.URL)
	}
	var reader io.Reader
	if op.BodyB64 != nil {
		reader = bytes.NewReader(body) // NewRequest sets ContentLength and GetBody from it
		if op.BodyStream {
			// A reader of no type NewRequest knows: no GetBody and no length, so net/http
			// streams it (chunked over HTTP/1.1) and cannot replay it once read.
			reader = oneShotReader{reader}
		}
	}
	method := op.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, op.URL, reader)
	if err != nil {
		return nil, err
	}
	for name, value := range op.Headers {
		switch v := value.(type) {
		case string:
			req.Header.Add(name, v)
		case []interface{}:
			for _, item := range v {
				if s, ok := item.(string); ok {
					req.Header.Add(name, s)
				}
			}
		}
	}
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host
		req.Header.Del("Host")
	}
	return req, nil
}

// oneShotReader hides the bytes.Reader's type from net/http: a body it cannot rewind.
type oneShotReader struct{ io.Reader }

func (d *driver) perform(r *request, req *http.Request, timer *time.Timer) {
	defer d.wg.Done()
	err := d.exchange(r, req)
	if timer != nil {
		timer.Stop()
	}
	r.mu.Lock()
	r.ended = true
	why := r.why
	r.mu.Unlock()
	r.cancel()
	d.mu.Lock()
	delete(d.inFlight, r.id)
	d.mu.Unlock()
	if err == nil {
		atomic.AddInt64(&d.stats.completed, 1)
		d.out.event(map[string]interface{}{"id": r.id, "event": "end", "t_ms": r.elapsed()})
		return
	}
	kind := classify(err, why)
	if kind == "aborted" {
		atomic.AddInt64(&d.stats.aborted, 1)
	} else {
		atomic.AddInt64(&d.stats.failed, 1)
	}
	d.errorEvent(r, r.id, kind, err.Error())
}

// exchange runs one request to its last body byte, writing headers and data events.
func (d *driver) exchange(r *request, req *http.Request) error {
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	headers := map[string]interface{}{}
	for name, values := range resp.Header {
		key := strings.ToLower(name)
		if len(values) == 1 {
			headers[key] = values[0]
		} else {
			headers[key] = values
		}
	}
	ev := map[string]interface{}{"id": r.id, "event": "headers", "status": resp.StatusCode,
		"headers": headers, "t_ms": r.elapsed()}
	switch resp.ProtoMajor {
	case 2:
		ev["protocol"] = "h2"
	case 1:
		ev["protocol"] = "http/1.1"
	}
	d.out.event(ev)
	buf := make([]byte, readChunk)
	for {
		r.whilePaused()
		n, err := resp.Body.Read(buf)
		if n > 0 {
			d.out.event(map[string]interface{}{"id": r.id, "event": "data",
				"b64": base64.StdEncoding.EncodeToString(buf[:n]), "t_ms": r.elapsed()})
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// classify maps net/http's errors onto the protocol's kinds. The bundled HTTP/2 client
// reports most of its failures as values of unexported types, so their messages are
// matched ("stream error:", "http2: server sent GOAWAY", ...).
func classify(err error, why string) string {
	if why != "" {
		// The driver cancelled the context (abort or timeout_ms): whatever the transport
		// reports then is the consequence of that cancellation.
		return why
	}
	var refused *refusedRedirect
	if errors.As(err, &refused) {
		return "network"
	}
	msg := err.Error()
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return "timeout"
	}
	switch {
	case strings.Contains(msg, "stopped after"):
		return "network"
	case strings.Contains(msg, "stream error:"), strings.Contains(msg, "connection error:"),
		strings.Contains(msg, "malformed"), strings.Contains(msg, "protocol error"),
		strings.Contains(msg, "invalid header"), strings.Contains(msg, "unexpected EOF reading trailer"),
		strings.Contains(msg, "http2: response body closed"),
		strings.Contains(msg, "server sent GOAWAY") && !strings.Contains(msg, "ErrCode=NO_ERROR"):
		return "protocol"
	}
	var opErr *net.OpError
	var certErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	if errors.As(err, &opErr) || errors.As(err, &certErr) || errors.As(err, &hostErr) ||
		errors.As(err, &recordErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(msg, "tls:") || strings.Contains(msg, "x509:") ||
		strings.Contains(msg, "connection reset") || strings.Contains(msg, "broken pipe") ||
		strings.Contains(msg, "server sent GOAWAY") || strings.Contains(msg, "graceful shutdown GOAWAY") ||
		strings.Contains(msg, "use of closed") ||
		strings.Contains(msg, "connection lost") || strings.Contains(msg, "client connection lost") {
		return "network"
	}
	return "other"
}

func (d *driver) find(id int64) *request {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.inFlight[id]
}

func (d *driver) abort(id int64) {
	if r := d.find(id); r != nil && r.setWhy("aborted") {
		r.cancel()
	}
}

func (d *driver) statsEvent() {
	d.mu.Lock()
	inFlight := len(d.inFlight)
	d.mu.Unlock()
	opened := atomic.LoadInt64(&d.stats.connectionsOpened)
	closed := atomic.LoadInt64(&d.stats.connectionsClosed)
	d.out.event(map[string]interface{}{
		"event": "stats", "requests_started": atomic.LoadInt64(&d.stats.started),
		"requests_completed": atomic.LoadInt64(&d.stats.completed),
		"requests_failed":    atomic.LoadInt64(&d.stats.failed),
		"requests_aborted":   atomic.LoadInt64(&d.stats.aborted),
		"connections_opened": opened, "connections_closed": closed,
		"connections_open": opened - closed, "in_flight": inFlight,
	})
}

// shutdown cancels what is in flight, waits a moment for the terminal events, and exits.
func (d *driver) shutdown() {
	d.mu.Lock()
	d.closing = true
	ids := make([]int64, 0, len(d.inFlight))
	for id := range d.inFlight {
		ids = append(ids, id)
	}
	d.mu.Unlock()
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		d.abort(id)
	}
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
	}
	d.transport.CloseIdleConnections()
	os.Exit(0)
}

func main() {
	o := parseArgs(os.Args[1:])
	out := &writer{out: bufio.NewWriterSize(os.Stdout, 256*1024)}
	d := newDriver(o, out)
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	for in.Scan() {
		line := bytes.TrimSpace(in.Bytes())
		if len(line) == 0 {
			continue
		}
		var op struct {
			Op string `json:"op"`
			ID int64  `json:"id"`
		}
		if err := json.Unmarshal(line, &op); err != nil {
			fmt.Fprintf(os.Stderr, "faultline-driver-go: ignoring a line that is not JSON: %.200s\n", line)
			continue
		}
		switch op.Op {
		case "hello":
			d.hello()
		case "request":
			var req requestOp
			if err := json.Unmarshal(line, &req); err != nil || req.ID < 1 {
				fmt.Fprintf(os.Stderr, "faultline-driver-go: ignoring a malformed request: %.200s\n", line)
				continue
			}
			d.startRequest(req)
		case "abort":
			d.abort(op.ID)
		case "pause":
			if r := d.find(op.ID); r != nil {
				r.pause()
			}
		case "resume":
			if r := d.find(op.ID); r != nil {
				r.resume()
			}
		case "stats":
			d.statsEvent()
		case "shutdown":
			d.shutdown()
		default:
			fmt.Fprintf(os.Stderr, "faultline-driver-go: ignoring unknown op '%s'\n", op.Op)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "faultline-driver-go: reading stdin: %v\n", err)
	}
	d.shutdown()
}
