package metrics

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// unwrapOnly is a middleware's writer that offers Unwrap but not Flush, as
// api.RequestLog's does.
type unwrapOnly struct{ http.ResponseWriter }

func (u *unwrapOnly) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// TestInstrumentFlushesThroughOtherWrappers: a stream (hookd listen's
// events) flushed through Instrument reaches the client while the handler
// still runs, whatever wraps the writer outside Instrument.
func TestInstrumentFlushesThroughOtherWrappers(t *testing.T) {
	m := New(nil)
	release := make(chan struct{})
	stream := m.Instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "event: ready\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
		<-release
	}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stream.ServeHTTP(&unwrapOnly{w}, r)
	}))
	defer srv.Close()
	defer close(release)
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "event: ready\n" {
		t.Fatalf("first line %q, %v; want the flushed event while the handler runs", line, err)
	}
}
