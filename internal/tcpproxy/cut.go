package tcpproxy

import (
	"strings"
	"testing"
	"time"
)

// CutMidLoad sends 60 messages through publish(i), which returns the
// message's id, with the proxy cut for the 20 in the middle: those must fail
// with an error starting with errPrefix, every other one succeed (once the
// proxy is back each is retried until the client has reconnected, at most a
// minute). It returns the ids the broker acknowledged.
func (p *Proxy) CutMidLoad(t testing.TB, errPrefix string, publish func(i int) (string, error)) map[string]bool {
	t.Helper()
	acked := map[string]bool{}
	failed := 0
	back := time.Now().Add(time.Minute)
	for i := range 60 {
		switch i {
		case 20:
			p.Stop()
		case 40:
			p.Start()
		}
		id, err := publish(i)
		for i >= 40 && err != nil && !time.Now().After(back) {
			time.Sleep(100 * time.Millisecond)
			id, err = publish(i)
		}
		if err != nil {
			failed++
			if i < 20 || i >= 40 || !strings.HasPrefix(err.Error(), errPrefix) {
				t.Fatalf("publish %d: %v", i, err)
			}
			continue
		}
		acked[id] = true
	}
	if failed != 20 {
		t.Errorf("%d publishes failed, want the 20 while cut", failed)
	}
	return acked
}
