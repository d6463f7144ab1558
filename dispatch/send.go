package dispatch

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/signature"
)

// drainLimit is how much of a long response we read past the excerpt so the
// connection can be reused; beyond it the connection is closed instead.
const drainLimit = 64 << 10

// masked replaces custom header values in the attempt log: they often hold
// the receiver's credentials.
const masked = "********"

// attempt sends one delivery and queues its result for recording.
func (d *Dispatcher) attempt(ctx context.Context, job *hookd.Job, claim trace.SpanContext) {
	ctx, span := startAttempt(ctx, job, claim)
	res, ok := d.send(ctx, job)
	endAttempt(span, &res)
	if !ok {
		// Cancelled by shutdown: hand it back unattempted, to go again at once.
		releaseCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.store.ReleaseDeliveries(releaseCtx, []*hookd.Job{job}); err != nil {
			d.cfg.Logger.Warn("release delivery; it will be retried after its lease", "delivery", job.DeliveryID, "err", err)
		}
		d.returnSlots(1)
		return
	}
	if !res.Outcome.Success {
		d.cfg.Logger.Info("delivery attempt failed", "endpoint", job.EndpointID, "delivery", job.DeliveryID,
			"attempt", job.Attempt, "status", res.Attempt.StatusCode, "error", res.Attempt.Error,
			"duration_ms", time.Duration(res.Attempt.Duration).Milliseconds())
	}
	d.results <- res
}

// send makes the HTTP request. ok is false when shutdown cancelled it.
// Whatever the attempt log keeps of the receiver's answer (body excerpt,
// error text) is made storable and bounded by hookd.StorableText.
func (d *Dispatcher) send(ctx context.Context, job *hookd.Job) (hookd.AttemptResult, bool) {
	res, ok := d.exchange(ctx, job)
	res.Attempt.Error = hookd.StorableText(res.Attempt.Error, hookd.MaxAttemptErrorBytes)
	return res, ok
}

// exchange sends the request and judges the answer.
func (d *Dispatcher) exchange(ctx context.Context, job *hookd.Job) (hookd.AttemptResult, bool) {
	timeout := job.Timeout
	if timeout <= 0 {
		timeout = d.cfg.Timeout
	}
	reqCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	start := time.Now()
	res := hookd.AttemptResult{Job: job, Attempt: hookd.Attempt{
		DeliveryID: job.DeliveryID, Number: job.Attempt, At: start, URL: job.URL,
	}}
	if job.Transformation != "" {
		sent, r, done := d.transform(reqCtx, job, res)
		if done {
			return r, ctx.Err() == nil
		}
		job, res = sent, r
	}
	if job.Destination != nil {
		return d.publish(ctx, reqCtx, res, timeout)
	}
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, job.URL, bytes.NewReader(job.Payload))
	if err != nil {
		res.Attempt.Error = "invalid endpoint URL: " + err.Error()
		return d.judge(res, nil), true
	}
	if err := d.setHeaders(req.Header, job, start); err != nil {
		res.Attempt.Error = "signing failed: " + err.Error()
		res.Attempt.RequestHeaders = recordedHeaders(req.Header, job.Headers)
		return d.judge(res, nil), true
	}
	if d.cfg.PropagateTrace {
		propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	res.Attempt.RequestHeaders = recordedHeaders(req.Header, job.Headers)
	if _, custom := d.cfg.Protocols[req.URL.Scheme]; req.URL.Scheme != "https" && !custom && !d.cfg.AllowPrivate {
		res.Attempt.Error = "refused: endpoint URL must use https"
		return d.judge(res, nil), true
	}

	resp, err := d.do(req, job, timeout)
	if err != nil {
		res.Attempt.Duration = hookd.Millis(time.Since(start))
		if ctx.Err() != nil {
			return res, false
		}
		res.Attempt.Error = describe(err, timeout)
		return d.judge(res, nil), true
	}
	excerpt, readErr := readExcerpt(resp.Body, d.cfg.ExcerptBytes)
	resp.Body.Close()
	res.Attempt.Duration = hookd.Millis(time.Since(start))
	res.Attempt.StatusCode = resp.StatusCode
	res.Attempt.ResponseBody = excerpt
	res.Attempt.ResponseHeaders = hookd.StorableHeaders(resp.Header)
	if readErr != nil && resp.StatusCode/100 != 2 {
		res.Attempt.Error = "reading the response: " + describe(readErr, timeout)
	}
	if resp.StatusCode/100 == 3 {
		res.Attempt.Error = "redirect to " + shownLocation(resp.Header.Get("Location")) + " not followed"
	}
	return d.judge(res, resp), true
}

// maxLocationBytes bounds the Location quoted in a redirect's error, so that
// the error still says the redirect was not followed.
const maxLocationBytes = 512

func shownLocation(loc string) string {
	if len(loc) <= maxLocationBytes {
		return loc
	}
	return hookd.StorableText(loc, maxLocationBytes) + "…"
}

func (d *Dispatcher) setHeaders(h http.Header, job *hookd.Job, at time.Time) error {
	for k, v := range job.Headers {
		h.Set(k, v)
	}
	h["Content-Type"] = []string{"application/json"}
	h["User-Agent"] = []string{d.userAgent}
	h.Set(d.cfg.Headers.Event, job.EventType)
	h.Set(d.cfg.Headers.Delivery, job.DeliveryID)
	h.Set(d.cfg.Headers.Attempt, strconv.Itoa(job.Attempt))
	// Receivers de-duplicate on webhook-id whatever the signature scheme.
	h["Webhook-Id"] = []string{job.EventID}
	signer := d.cfg.Signer
	if job.SignatureScheme != "" {
		signer.Scheme = signature.Scheme(job.SignatureScheme)
	}
	return signer.Sign(h, job.EventID, at, job.Payload, job.Secrets)
}

// recordedHeaders flattens the request headers for the attempt log, with
// custom header values masked.
func recordedHeaders(h http.Header, custom map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
	}
	for k := range custom {
		out[http.CanonicalHeaderKey(k)] = masked
	}
	return out
}

// judge classifies the attempt and schedules the next one.
func (d *Dispatcher) judge(res hookd.AttemptResult, resp *http.Response) hookd.AttemptResult {
	if resp != nil {
		switch code := resp.StatusCode; {
		case code/100 == 2:
			res.Outcome.Success = true
		case code == http.StatusGone:
			res.Outcome.Gone = true
		case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
			res.Outcome.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), res.Attempt.At)
		}
	}
	schedule := res.Job.RetrySchedule
	if schedule == nil {
		schedule = d.cfg.Schedule
	}
	if wait, ok := schedule.NextAttemptAfter(res.Job.RunAttempt, res.Outcome, d.jitter()); ok {
		res.NextAttemptAt = res.Attempt.At.Add(res.Attempt.Duration.Duration() + wait)
	}
	return res
}

// jitter draws a factor in [-Jitter, +Jitter].
func (d *Dispatcher) jitter() float64 {
	if d.cfg.Jitter == 0 {
		return 0
	}
	return (rand.Float64()*2 - 1) * d.cfg.Jitter
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && secs > 0 {
		// Compared in seconds: a receiver's huge value would overflow a Duration.
		return time.Duration(min(secs, int64(hookd.MaxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), hookd.MaxRetryAfter)
	}
	return 0
}

// excerptBufs holds the buffers excerpts are read into (*[]byte): one per
// attempt was the engine's largest allocation, for bodies mostly empty.
var excerptBufs sync.Pool

// readExcerpt keeps the first n bytes of a body, made storable (see
// hookd.StorableText), and drains a bounded remainder so the connection can be reused.
func readExcerpt(body io.Reader, n int) (string, error) {
	bp, _ := excerptBufs.Get().(*[]byte)
	if bp == nil || cap(*bp) < n {
		b := make([]byte, n)
		bp = &b
	}
	defer excerptBufs.Put(bp)
	buf := (*bp)[:n]
	got, err := io.ReadFull(body, buf)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = nil
	} else if err == nil {
		_, err = io.CopyN(io.Discard, body, drainLimit)
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	return hookd.StorableText(string(buf[:got]), n), err
}

// describe turns a transport error into the short text users see in the log.
func describe(err error, timeout time.Duration) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	var tokErr *tokenError
	switch {
	case errors.As(err, &tokErr):
		return tokErr.Error()
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("timeout: no response within %s", timeout)
	case errors.Is(err, ssrf.ErrProhibitedIP):
		return "refused: the endpoint resolves to a private or local address (see --allow-private-targets)"
	case errors.As(err, &dnsErr):
		return "DNS: could not resolve " + dnsErr.Name + ": " + dnsErr.Err
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the receiver"
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return "TLS: certificate not valid: " + innermost(err)
	case strings.Contains(err.Error(), "remote error: tls: "):
		// The receiver's alert, e.g. "certificate required" without a client certificate.
		_, alert, _ := strings.Cut(err.Error(), "remote error: tls: ")
		return "TLS: the receiver refused the handshake: " + alert
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "TLS: the receiver did not answer with TLS (is it plain http?)"
	case tooLongHeaders(err):
		return fmt.Sprintf("the receiver's status line and headers exceed %d KiB; response refused", maxResponseHeaderBytes>>10)
	case strings.HasSuffix(err.Error(), "connection error: PROTOCOL_ERROR"):
		// Go's HTTP/2 client closes the connection this way on headers far
		// over the bound, as on other malformed frames.
		return fmt.Sprintf("HTTP/2 protocol error: a malformed answer, or headers over %d KiB", maxResponseHeaderBytes>>10)
	case strings.Contains(err.Error(), "transport connection broken: malformed "):
		// Go's text for an answer it cannot parse; the quote of the answer
		// after it is cut by the error bound.
		_, what, _ := strings.Cut(err.Error(), "transport connection broken: ")
		return "the receiver's answer is not valid HTTP: " + what
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the receiver before a complete response"
	}
	return innermost(err)
}

// tooLongHeaders recognises the transports' refusals of a response beyond
// MaxResponseHeaderBytes; neither has a type of its own.
func tooLongHeaders(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "net/http: server response headers exceeded") || // HTTP/1
		strings.Contains(msg, "http2: response header list larger than advertised limit")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// innermost drops the "Post \"https://...\": " wrapping of url.Error.
func innermost(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
