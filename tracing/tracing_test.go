package tracing

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestErrorsLoggedOnceThenRateLimited: a collector that keeps failing
// writes one line at once, then one per interval counting the rest.
func TestErrorsLoggedOnceThenRateLimited(t *testing.T) {
	var buf bytes.Buffer
	l := &limitedLog{logger: slog.New(slog.NewTextHandler(&buf, nil)), every: time.Hour}
	for range 5 {
		l.Handle(errors.New("connection refused"))
	}
	if n := strings.Count(buf.String(), "exporting spans failed"); n != 1 {
		t.Fatalf("5 errors in an interval logged %d lines, want 1:\n%s", n, buf.String())
	}
	l.last = l.last.Add(-time.Hour) // the interval has passed
	l.Handle(errors.New("connection refused"))
	if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "errors_since_last_report=4") {
		t.Errorf("after the interval: %q, want a second line counting the 4 suppressed errors", lines)
	}
}
