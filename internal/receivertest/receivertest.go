// Package receivertest is tests' webhook receiver: a real HTTP server on
// 127.0.0.1 that counts the deliveries it gets.
package receivertest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Counting starts a receiver that answers 200 and counts requests by
// delivery id (X-Hookd-Delivery), and returns its URL and a check that it
// got want deliveries, each once.
func Counting(t testing.TB) (url string, receivedOnce func(want int)) {
	t.Helper()
	var mu sync.Mutex
	got := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Header.Get("X-Hookd-Delivery")]++
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func(want int) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if len(got) != want {
			t.Errorf("receiver got %d deliveries, want %d", len(got), want)
		}
		for id, n := range got {
			if n != 1 {
				t.Errorf("delivery %s received %d times", id, n)
			}
		}
	}
}
