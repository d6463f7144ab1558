package keycache

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// fakeStore is a table of keys by hash that counts its reads and writes;
// before, when set, runs inside each read (to interleave an invalidation).
type fakeStore struct {
	mu      sync.Mutex
	keys    map[string]*hookd.APIKey
	reads   atomic.Int64
	touches atomic.Int64
	full    bool // TouchKey records nothing, as on SQLite's full disk
	during  func()
}

func newFakeStore(keys ...*hookd.APIKey) *fakeStore {
	s := &fakeStore{keys: map[string]*hookd.APIKey{}}
	for _, k := range keys {
		s.keys[string(k.Hash)] = k
	}
	return s
}

func (s *fakeStore) KeyByHash(_ context.Context, hash []byte) (*hookd.APIKey, error) {
	s.reads.Add(1)
	s.mu.Lock()
	k, ok := s.keys[string(hash)]
	var out hookd.APIKey
	if ok {
		out = *clone(k)
	}
	during := s.during
	s.mu.Unlock()
	if during != nil {
		during()
	}
	if !ok {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "api key not found")
	}
	return &out, nil
}

func (s *fakeStore) TouchKey(_ context.Context, id string, now time.Time) (time.Time, bool, error) {
	s.touches.Add(1)
	if s.full {
		return time.Time{}, false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.ID == id {
			t := now
			k.LastUsedAt = &t
		}
	}
	return now, true, nil
}

func (s *fakeStore) remove(k *hookd.APIKey) {
	s.mu.Lock()
	delete(s.keys, string(k.Hash))
	s.mu.Unlock()
}

func key(name string) *hookd.APIKey {
	return &hookd.APIKey{ID: "key_" + name, Name: name, Role: hookd.RolePublisher, Hash: []byte(name)}
}

var t0 = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)

// lookup fails the test unless k is found.
func lookup(t *testing.T, c *Cache, s Store, k *hookd.APIKey, now time.Time) *hookd.APIKey {
	t.Helper()
	got, err := c.Lookup(t.Context(), s, k.Hash, now)
	if err != nil || got.ID != k.ID {
		t.Fatalf("Lookup(%s) = %v, %v", k.Name, got, err)
	}
	return got
}

// TestCachedUntilInvalidated: the second lookup reads no database; after
// Invalidate a removed key is refused; a caller's change does not reach the
// cache; use is recorded once per UsageResolution, and an entry is served
// no longer than that.
func TestCachedUntilInvalidated(t *testing.T) {
	k := key("a")
	s, c := newFakeStore(k), New()
	got := lookup(t, c, s, k, t0)
	got.Role = hookd.RoleAdmin
	got.LastUsedAt = nil
	if got := lookup(t, c, s, k, t0.Add(time.Second)); got.Role != hookd.RolePublisher || got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0) {
		t.Errorf("cached key = %+v: changed by a caller", got)
	}
	if r, w := s.reads.Load(), s.touches.Load(); r != 1 || w != 1 {
		t.Errorf("reads, touches = %d, %d; want 1, 1", r, w)
	}

	lookup(t, c, s, k, t0.Add(UsageResolution+time.Second)) // expired: read and touched again
	if r, w := s.reads.Load(), s.touches.Load(); r != 2 || w != 2 {
		t.Errorf("after UsageResolution: reads, touches = %d, %d; want 2, 2", r, w)
	}

	s.remove(k)
	lookup(t, c, s, k, t0.Add(UsageResolution+2*time.Second)) // still cached: nobody said
	c.Invalidate()
	if _, err := c.Lookup(t.Context(), s, k.Hash, t0.Add(UsageResolution+3*time.Second)); hookd.ErrorCode(err) != hookd.ENOTFOUND {
		t.Errorf("removed key after Invalidate: %v, want ENOTFOUND", err)
	}
}

// TestEntryAgeBounded: an entry whose last_used_at looks recent (another
// node's clock ahead of this one's) is still served at most
// UsageResolution after it was read.
func TestEntryAgeBounded(t *testing.T) {
	k := key("a")
	ahead := t0.Add(50 * time.Second)
	k.LastUsedAt = &ahead
	s, c := newFakeStore(k), New()
	lookup(t, c, s, k, t0)
	lookup(t, c, s, k, t0.Add(UsageResolution))
	if n := s.reads.Load(); n != 1 {
		t.Fatalf("reads = %d, want 1", n)
	}
	lookup(t, c, s, k, t0.Add(UsageResolution+time.Millisecond))
	if n := s.reads.Load(); n != 2 {
		t.Errorf("an entry read more than UsageResolution ago was served: reads = %d, want 2", n)
	}
}

// TestUnrecordedUseNotCached: when the use could not be recorded (a full
// disk), the key works but is read again next time, to record it then.
func TestUnrecordedUseNotCached(t *testing.T) {
	k := key("a")
	s, c := newFakeStore(k), New()
	s.full = true
	lookup(t, c, s, k, t0)
	lookup(t, c, s, k, t0)
	if r, w := s.reads.Load(), s.touches.Load(); r != 2 || w != 2 {
		t.Errorf("reads, touches = %d, %d; want 2, 2", r, w)
	}
}

// TestReadBeforeInvalidateVoid: a lookup whose read began before an
// invalidation must not cache what it read: the key may be gone by then.
func TestReadBeforeInvalidateVoid(t *testing.T) {
	k := key("a")
	s, c := newFakeStore(k), New()
	s.during = func() { // the key is removed and the cache told while the read is in flight
		s.remove(k)
		c.Invalidate()
	}
	lookup(t, c, s, k, t0) // it was found by the read that began first
	s.during = nil
	if _, err := c.Lookup(t.Context(), s, k.Hash, t0); hookd.ErrorCode(err) != hookd.ENOTFOUND {
		t.Errorf("a key read before its removal's invalidation was cached: %v", err)
	}
}

// TestNotifiedServesOnlyWhileListening: a Notified cache reads the database
// on every lookup until a listener is up, caches while one is, and stops
// (voided) when the last one goes; coming back it starts empty.
func TestNotifiedServesOnlyWhileListening(t *testing.T) {
	k := key("a")
	s, c := newFakeStore(k), Notified()
	reads := func(want int64, when string) {
		t.Helper()
		if n := s.reads.Load(); n != want {
			t.Fatalf("%s: reads = %d, want %d", when, n, want)
		}
	}
	lookup(t, c, s, k, t0)
	lookup(t, c, s, k, t0)
	reads(2, "no listener")

	stop1 := c.Listening()
	lookup(t, c, s, k, t0)
	lookup(t, c, s, k, t0)
	reads(3, "listening")
	stop2 := c.Listening() // a second listener voids (it may have missed something before)...
	lookup(t, c, s, k, t0)
	stop1() // ...and the first going leaves one that hears everything
	stop1() // stop is idempotent
	lookup(t, c, s, k, t0)
	reads(5, "one of two listeners gone")
	lookup(t, c, s, k, t0)
	reads(5, "one of two listeners gone, cached again")

	stop2()
	lookup(t, c, s, k, t0)
	lookup(t, c, s, k, t0)
	reads(7, "no listener left")
	s.remove(k)
	defer c.Listening()()
	if _, err := c.Lookup(t.Context(), s, k.Hash, t0); hookd.ErrorCode(err) != hookd.ENOTFOUND {
		t.Errorf("listening again: a key removed while none listened was served: %v", err)
	}
}

// TestConcurrent is for -race: lookups, invalidations and listeners coming
// and going at once; a removed key is never served after the invalidation
// that follows its removal.
func TestConcurrent(t *testing.T) {
	keys := []*hookd.APIKey{key("a"), key("b"), key("c")}
	s, c := newFakeStore(keys...), Notified()
	stop := c.Listening()
	var wg sync.WaitGroup
	done := make(chan struct{})
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-done:
					return
				default:
				}
				k := keys[(i+n)%2] // a and b; c is removed below
				if _, err := c.Lookup(context.Background(), s, k.Hash, t0); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 200 {
			c.Listening()()
			c.Invalidate()
		}
	}()
	lookup(t, c, s, keys[2], t0)
	s.remove(keys[2])
	c.Invalidate()
	for range 1000 {
		if _, err := c.Lookup(t.Context(), s, keys[2].Hash, t0); hookd.ErrorCode(err) != hookd.ENOTFOUND {
			t.Fatalf("removed key: %v", err)
		}
	}
	close(done)
	wg.Wait()
	stop()
}
