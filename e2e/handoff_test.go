package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHandOffAtPublish: on either store, events published one after
// another to an idle node reach a real receiver once each, handed off at
// publish: the node's metrics count them handed off, and its claims took
// none (but perhaps one: a publish racing the node's one claim after a
// claimed warm-up event leaves its delivery to it).
func TestHandOffAtPublish(t *testing.T) {
	onStores(t, func(t *testing.T, c config) {
		f := newFixture(t, c)
		rcv := newReceiver(t, 200)
		ten := f.tenant()
		f.endpoint(ten, rcv.URL, nil)
		f.publish(ten, typeCreated, `{"warm":"up"}`) // whatever the start-up's claims did
		rcv.waitRequests(t, 1)
		quiet(100 * time.Millisecond)
		handed0, claimed0 := handOffCounts(t, f.h)
		const events = 20
		for i := range events {
			ev := f.publish(ten, typeCreated, fmt.Sprintf(`{"n":%d}`, i))
			// Paced: each is recorded before the next is published. (On
			// PostgreSQL a publish beside a record of the same endpoint,
			// which holds its row, leaves its delivery to the claim.)
			f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "delivered")
		}
		seen := map[string]int{}
		for _, r := range rcv.requests() {
			seen[r.header.Get("webhook-id")]++
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s arrived %d times", id, n)
			}
		}
		if len(seen) != events+1 {
			t.Errorf("%d events arrived, want %d", len(seen), events+1)
		}
		handed, claimed := handOffCounts(t, f.h)
		handed, claimed = handed-handed0, claimed-claimed0
		t.Logf("%d of %d handed off at publish, %d claimed", handed, events, claimed)
		if handed+claimed != events || claimed > 1 {
			t.Errorf("%d handed off and %d claimed of %d events; want all handed off (one claimed at most)", handed, claimed, events)
		}
	})
}

// handOffCounts reads a node's deliveries handed off at publish and leased
// by its claims.
func handOffCounts(t *testing.T, h *hookdProc) (handed, claimed int) {
	t.Helper()
	for _, l := range strings.Split(scrape(t, h), "\n") {
		name, value, _ := strings.Cut(l, " ")
		v, _ := strconv.ParseFloat(value, 64)
		switch name {
		case "hookd_deliveries_handed_off_total":
			handed = int(v)
		case "hookd_claim_batch_size_sum":
			claimed = int(v)
		}
	}
	return handed, claimed
}

func scrape(t *testing.T, h *hookdProc) string {
	t.Helper()
	resp, err := http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return "\n" + string(body)
}
