package ids

import (
	"sort"
	"strings"
	"testing"
	"time"
)

func TestNewSortsByTime(t *testing.T) {
	base := time.UnixMilli(1_700_000_000_000)
	var got []string
	for i := 0; i < 100; i++ {
		got = append(got, NewAt(Event, base.Add(time.Duration(i)*time.Millisecond)))
	}
	if !sort.StringsAreSorted(got) {
		t.Fatalf("ids are not sorted by creation time: %v", got[:5])
	}
	if !strings.HasPrefix(got[0], "evt_") || len(got[0]) != 30 {
		t.Fatalf("unexpected id shape %q", got[0])
	}
}

func TestNewIsUnique(t *testing.T) {
	seen := map[string]bool{}
	now := time.Now()
	for i := 0; i < 10000; i++ {
		id := NewAt(Delivery, now)
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
}

func TestFloorBoundsTimeRanges(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	floor := Floor(Delivery, at)
	if before := NewAt(Delivery, at.Add(-time.Millisecond)); before >= floor {
		t.Errorf("an id made before t sorts at or after Floor: %s >= %s", before, floor)
	}
	for range 100 {
		if id := NewAt(Delivery, at); id < floor {
			t.Fatalf("an id made at t sorts before Floor: %s < %s", id, floor)
		}
	}
}

// TestSameMillisecondInOrder: ids made in one millisecond sort in the order
// they were made.
func TestSameMillisecondInOrder(t *testing.T) {
	at := time.Now()
	prev := NewAt("x", at)
	for range 1000 {
		id := NewAt("x", at)
		if id <= prev {
			t.Fatalf("%s made after %s sorts before it", id, prev)
		}
		prev = id
	}
}

// TestOrderSurvivesOtherPrefixes: ids of another prefix made at another
// time in between (a publish's event ids) leave one prefix's order intact.
func TestOrderSurvivesOtherPrefixes(t *testing.T) {
	at := time.Now()
	prev := NewAt("x", at)
	for i := range 1000 {
		NewAt("y", at.Add(time.Duration(i%3-1)*time.Hour))
		id := NewAt("x", at)
		if id <= prev {
			t.Fatalf("%s made after %s sorts before it", id, prev)
		}
		prev = id
	}
}
