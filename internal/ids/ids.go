// Package ids makes prefixed, time-sortable identifiers such as
// "evt_01JD6Z3K8Q9V7R2M4N5P6S7T8W": a ULID-like 26-character Crockford base32
// body of a 48-bit millisecond timestamp and 80 random bits, so ids sort by
// creation time (cursor pagination relies on it) and read well in logs.
package ids

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// Prefixes of the ids hookd makes.
const (
	Tenant   = "ten"
	Endpoint = "ep"
	Event    = "evt"
	Delivery = "dlv"
	Attempt  = "att"
	APIKey   = "key"
	Recover  = "rcv"
)

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// New returns prefix + "_" + a new time-sortable id.
func New(prefix string) string {
	return NewAt(prefix, time.Now())
}

// NewAt is New for a given creation time. Ids of one prefix made in the
// same millisecond by this process sort in the order they were made (the
// random part of the previous one plus one, as monotonic ULIDs do), so
// lists "newest first" hold within a millisecond too. The newest id is
// kept per prefix: a publish makes its event's id at the event's time and
// its deliveries' at the clock's, and one kind must not reset the other's
// order.
func NewAt(prefix string, t time.Time) string {
	raw := stamp(t)
	last.Lock()
	prev, ok := last.raw[prefix]
	if ok && [6]byte(raw[:6]) == [6]byte(prev[:6]) && increment(&prev) {
		raw = prev
	} else {
		_, _ = rand.Read(raw[6:]) // crypto/rand.Read never fails on supported platforms
	}
	last.raw[prefix] = raw
	last.Unlock()
	return format(prefix, raw)
}

// last is the newest id this process made, by prefix.
var last = struct {
	sync.Mutex
	raw map[string][16]byte
}{raw: map[string][16]byte{}}

// increment adds one to raw's 80 random bits; false when they overflow
// (then a fresh random part is drawn and the order within that
// millisecond is lost, once in 2^80 ids).
func increment(raw *[16]byte) bool {
	for i := 15; i >= 6; i-- {
		raw[i]++
		if raw[i] != 0 {
			return true
		}
	}
	return false
}

// stamp puts t's milliseconds in the first 48 bits.
func stamp(t time.Time) [16]byte {
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(t.UnixMilli())<<16)
	return raw
}

func format(prefix string, raw [16]byte) string {
	buf := make([]byte, len(prefix)+1+26)
	n := copy(buf, prefix)
	buf[n] = '_'
	encode(buf[n+1:], raw)
	return string(buf)
}

// encode writes 128 bits as 26 base32 characters, most significant first.
func encode(dst []byte, raw [16]byte) {
	hi := binary.BigEndian.Uint64(raw[:8])
	lo := binary.BigEndian.Uint64(raw[8:])
	// 26 characters carry 130 bits; the first holds the top 3 bits.
	for i := 25; i >= 0; i-- {
		dst[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
}

// Floor returns the smallest id with prefix made at t: every id made at t
// or later sorts at or after it, so it bounds a time range in an id index.
func Floor(prefix string, t time.Time) string {
	return format(prefix, stamp(t))
}
