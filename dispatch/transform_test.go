package dispatch

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/signature"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// seen is a receiver on 127.0.0.1 that keeps the requests it got.
type seen struct {
	mu     sync.Mutex
	bodies []string
	reqs   []*http.Request
}

func newSeen(t *testing.T) (*seen, string) {
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies, s.reqs = append(s.bodies, string(body)), append(s.reqs, r)
		s.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func transformedJob(url, script string) *hookd.Job {
	return &hookd.Job{DeliveryID: "dlv_1", TenantID: "t", EventID: "evt_1", EventType: "x", Attempt: 1, RunAttempt: 1, URL: url + "/in",
		Payload: []byte(`{"type":"x","data":{"user":"ada"}}`), Headers: map[string]string{"X-Key": "k"}, Secrets: []string{testSecret},
		Timeout: 5 * time.Second, Transformation: script}
}

// TestSendTransformed: the request carries what the transformation made,
// signed over the body sent; a cancel sends nothing; a throw fails the
// attempt with its text and a retry, as any failure.
func TestSendTransformed(t *testing.T) {
	rcv, url := newSeen(t)
	d := New(nil, Config{AllowPrivate: true, Schedule: hookd.Schedule{time.Minute}})
	res, ok := d.send(t.Context(), transformedJob(url, `function handler(w) {
		w.payload.data.customer = w.payload.data.user; delete w.payload.data.user;
		w.headers["X-Added"] = w.headers["X-Key"] + "!"; w.url += "?v=2"; return w }`))
	if !ok || !res.Outcome.Success {
		t.Fatalf("send: %+v, ok %v", res, ok)
	}
	if len(rcv.reqs) != 1 {
		t.Fatalf("%d requests", len(rcv.reqs))
	}
	r, body := rcv.reqs[0], rcv.bodies[0]
	if body != `{"type":"x","data":{"customer":"ada"}}` || r.Header.Get("X-Added") != "k!" || r.URL.RequestURI() != "/in?v=2" {
		t.Errorf("request %s %s, X-Added %q", r.URL.RequestURI(), body, r.Header.Get("X-Added"))
	}
	if err := (signature.Verifier{Scheme: signature.Standard}).Verify(r.Header, []byte(body), testSecret); err != nil {
		t.Errorf("the signature is not over the body sent: %v", err)
	}
	if res.Attempt.URL != url+"/in?v=2" || res.Attempt.RequestHeaders["X-Added"] != masked {
		t.Errorf("attempt log: url %s, headers %v", res.Attempt.URL, res.Attempt.RequestHeaders)
	}

	res, ok = d.send(t.Context(), transformedJob(url, `function handler(w) { w.cancel = true; return w }`))
	if !ok || !res.Outcome.Cancelled || res.Outcome.Success || !res.NextAttemptAt.IsZero() || res.Attempt.Error != cancelledText {
		t.Errorf("cancel: %+v", res)
	}
	res, ok = d.send(t.Context(), transformedJob(url, `function handler(w) { throw new Error("no user") }`))
	if !ok || res.Outcome.Success || res.Outcome.Cancelled || res.NextAttemptAt.IsZero() || !strings.Contains(res.Attempt.Error, "transformation threw: Error: no user") {
		t.Errorf("throw: %+v", res)
	}
	if len(rcv.reqs) != 1 {
		t.Errorf("%d requests after a cancel and a throw, want the first only", len(rcv.reqs))
	}
}

// BenchmarkSendTransformed is one attempt to a real receiver on 127.0.0.1,
// with no transformation and with a small one (rename a field, add a
// header): their ratio is what a transformation adds to a delivery.
func BenchmarkSendTransformed(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer srv.Close()
	url := srv.URL
	d := New(nil, Config{AllowPrivate: true})
	for _, c := range []struct{ name, script string }{
		{"none", ""},
		{"transformation", `function handler(w) { w.payload.data.customer = w.payload.data.user; delete w.payload.data.user; w.headers["X-Added"] = "1"; return w }`},
	} {
		b.Run(c.name, func(b *testing.B) {
			job := transformedJob(url, c.script)
			b.ReportAllocs()
			for b.Loop() {
				if res, _ := d.send(b.Context(), job); !res.Outcome.Success {
					b.Fatal(res.Attempt.Error)
				}
			}
		})
	}
}
