package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	// A wildcard listen address, as in the image (HOOKD_ADDR=:8080), is asked on loopback.
	for _, addr := range []string{":" + port, "0.0.0.0:" + port, "127.0.0.1:" + port} {
		if code, out := run(t, "", "healthcheck", "--addr", addr); code != 0 {
			t.Errorf("healthcheck --addr %s on a healthy server: exit %d: %s", addr, code, out)
		}
	}
	status = http.StatusServiceUnavailable
	if code, out := run(t, "", "healthcheck", "--addr", ":"+port); code != 1 || !strings.Contains(out, "503") {
		t.Errorf("healthcheck on a 503: exit %d, want 1 naming the status: %s", code, out)
	}

	srv.Close()
	if code, out := run(t, "", "healthcheck", "--addr", ":"+port); code != 1 || !strings.Contains(out, "refused") {
		t.Errorf("healthcheck with nothing listening: exit %d, want 1: %s", code, out)
	}
	if code, out := run(t, "", "healthcheck", "--addr", "8080"); code != exitBadInput || !strings.Contains(out, "--addr") {
		t.Errorf("healthcheck --addr 8080: exit %d, want %d naming the flag: %s", code, exitBadInput, out)
	}
}
