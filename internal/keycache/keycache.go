// Package keycache keeps the API keys that requests authenticate with, so
// that a request reads no database, for both stores. The rule that makes it
// safe is the caller's: every write that could change or remove a key calls
// Invalidate once committed (on SQLite this process is the only writer; on
// PostgreSQL every node hears the others' writes through NOTIFY, and a cache
// made with Notified serves nothing while it cannot hear them).
package keycache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
)

// UsageResolution bounds how often authentication writes last_used_at, so
// that reading a key stays a read on the hot path. It is also how long an
// entry is served at most: a backstop should an invalidation be missed.
const UsageResolution = time.Minute

// Cache holds the keys found by hash. An entry is void once the generation
// moves on: Invalidate moves it, and a lookup that read the database before
// an invalidation puts its key with the older generation it started with, so
// a key removed meanwhile is not kept.
type Cache struct {
	gen atomic.Uint64
	// notified caches serve only while listeners > 0 (see Listening).
	notified  bool
	listeners atomic.Int64

	mu   sync.RWMutex
	keys map[string]entry // by hash; only found keys, so bounded by the table
	// mapGen is the newest generation put; keys holds no older entries.
	mapGen uint64
}

type entry struct {
	key    hookd.APIKey
	gen    uint64
	readAt time.Time
}

// New is a cache whose owner sees every write to the keys (SQLite's single
// writer): always served.
func New() *Cache { return &Cache{} }

// Notified is a cache that learns of writes through a listener (PostgreSQL's
// LISTEN): it serves entries only while Listening has a listener up, since
// an invalidation sent while none was could be lost.
func Notified() *Cache { return &Cache{notified: true} }

// Invalidate voids every entry; call it after a write that could change or
// remove a key has committed (or, on a notified cache, been heard of).
func (c *Cache) Invalidate() { c.gen.Add(1) }

// Listening marks a listener as up, one through which every invalidation
// from now on arrives: the cache is voided (what was sent before it listened
// may have been missed) and served until the returned stop is called, when
// the listener is down. Several listeners may be up at once; any one hears
// everything.
func (c *Cache) Listening() (stop func()) {
	c.listeners.Add(1)
	c.Invalidate()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.listeners.Add(-1)
			c.Invalidate()
		})
	}
}

// serving reports whether entries may be served now.
func (c *Cache) serving() bool { return !c.notified || c.listeners.Load() > 0 }

// Store is what a store does for Lookup.
type Store interface {
	// KeyByHash reads a key from the database (ENOTFOUND when there is none).
	KeyByHash(ctx context.Context, hash []byte) (*hookd.APIKey, error)
	// TouchKey records the key's use at now and returns the time as stored;
	// ok false when it could not be recorded but the key should still work
	// (SQLite's full disk).
	TouchKey(ctx context.Context, id string, now time.Time) (stored time.Time, ok bool, err error)
}

// Lookup finds a key by the hash of its secret: from the cache while its
// entry is current and its last_used_at is within UsageResolution of now,
// otherwise from s, recording its use at most once per UsageResolution.
// The caller gets its own copy.
func (c *Cache) Lookup(ctx context.Context, s Store, hash []byte, now time.Time) (*hookd.APIKey, error) {
	if k, ok := c.get(hash, now); ok {
		return k, nil
	}
	gen := c.gen.Load() // before the read: see Cache
	k, err := s.KeyByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > UsageResolution {
		t, ok, err := s.TouchKey(ctx, k.ID, now)
		if err != nil {
			return nil, err
		}
		if ok {
			k.LastUsedAt = &t
		}
	}
	c.put(hash, k, gen, now)
	return clone(k), nil
}

// get returns a copy of a current entry.
func (c *Cache) get(hash []byte, now time.Time) (*hookd.APIKey, bool) {
	if !c.serving() {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.keys[string(hash)]
	c.mu.RUnlock()
	if !ok || e.gen != c.gen.Load() || !fresh(e.readAt, now) ||
		e.key.LastUsedAt == nil || !fresh(*e.key.LastUsedAt, now) {
		return nil, false
	}
	return clone(&e.key), true
}

// fresh: t is within UsageResolution of now (either way: another node's
// clock may run ahead of this one's).
func fresh(t, now time.Time) bool {
	d := now.Sub(t)
	return d <= UsageResolution && d >= -UsageResolution
}

// put keeps k as read at generation gen.
func (c *Cache) put(hash []byte, k *hookd.APIKey, gen uint64, now time.Time) {
	if !c.serving() {
		return // voided when a listener comes up anyway
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Entries of older generations are void: drop them rather than let
	// deleted keys pile up.
	if c.keys == nil || gen > c.mapGen {
		c.keys, c.mapGen = map[string]entry{}, gen
	}
	if gen < c.mapGen {
		return // void already
	}
	c.keys[string(hash)] = entry{key: *clone(k), gen: gen, readAt: now}
}

// clone copies k deeply enough that neither the caller nor the cache sees
// the other's changes.
func clone(k *hookd.APIKey) *hookd.APIKey {
	out := *k
	if k.LastUsedAt != nil {
		t := *k.LastUsedAt
		out.LastUsedAt = &t
	}
	if k.ExpiresAt != nil {
		t := *k.ExpiresAt
		out.ExpiresAt = &t
	}
	out.Hash = append([]byte(nil), k.Hash...)
	return &out
}
