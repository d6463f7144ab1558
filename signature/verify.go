package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Verifier checks a received delivery. The zero value of every field but
// Scheme is usable, so receivers only state what differs from hookd's
// defaults.
type Verifier struct {
	Scheme Scheme
	// Header is where Timestamped and Body carry the signature;
	// DefaultHeader when empty.
	Header string
	// Label is the Timestamped entry label; DefaultLabel when empty.
	Label string
	// Tolerance bounds clock skew and replay age, both ways;
	// DefaultTolerance when zero or negative.
	Tolerance time.Duration
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// Verify returns nil if any signature in h matches body under any of
// secrets (all current secrets, so verification survives a rotation), and
// otherwise an error wrapping ErrMissingHeader, ErrBadFormat, ErrExpired or
// ErrNoMatch. body must be the raw request bytes: re-encoded JSON will not
// match. Comparisons are constant-time.
func (v Verifier) Verify(h http.Header, body []byte, secrets ...string) error {
	if len(secrets) == 0 {
		return ErrNoSecret
	}
	switch v.Scheme {
	case Standard:
		return v.verifyStandard(h, body, secrets)
	case Timestamped:
		return v.verifyTimestamped(h, body, secrets)
	case Body:
		return v.verifyBody(h, body, secrets)
	}
	return unknownScheme(v.Scheme)
}

func (v Verifier) verifyStandard(h http.Header, body []byte, secrets []string) error {
	sc := getScratch()
	defer putScratch(sc)
	// Check the receiver's own configuration before blaming the request.
	for i, s := range secrets {
		if _, err := sc.standardKey(s); err != nil {
			return fmt.Errorf("%w (secret #%d)", err, i+1)
		}
	}
	id, tsText, sigs := h.Get(headerID), h.Get(headerTimestamp), h.Get(headerSignature)
	if id == "" || tsText == "" || sigs == "" {
		var missing []string
		for _, p := range [...][2]string{{"webhook-id", id}, {"webhook-timestamp", tsText}, {"webhook-signature", sigs}} {
			if p[1] == "" {
				missing = append(missing, p[0])
			}
		}
		return fmt.Errorf("%w: %s", ErrMissingHeader, strings.Join(missing, ", "))
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: webhook-timestamp %q is not unix seconds", ErrBadFormat, tsText)
	}
	if err := v.checkTime("webhook-timestamp", ts); err != nil {
		return err
	}
	// Sign the canonical decimal, as the official libraries do, rather
	// than the header text.
	sc.msg = append(append(sc.msg[:0], id...), '.')
	sc.msg = append(strconv.AppendInt(sc.msg, ts, 10), '.')
	want := make([][44]byte, len(secrets))
	for i, s := range secrets {
		key, _ := sc.standardKey(s)
		mac := hmac.New(sha256.New, key)
		mac.Write(sc.msg)
		mac.Write(body)
		sc.sum = mac.Sum(sc.sum[:0])
		base64.StdEncoding.Encode(want[i][:], sc.sum)
	}
	// The spec separates signatures by a single space and lets other
	// versions (e.g. "v1a,") appear; those are skipped, not errors.
	seen := false
	for entry := range strings.SplitSeq(sigs, " ") {
		got, ok := strings.CutPrefix(entry, "v1,")
		if !ok {
			continue
		}
		seen = true
		for i := range want {
			if hmac.Equal([]byte(got), want[i][:]) {
				return nil
			}
		}
	}
	if !seen {
		return fmt.Errorf("%w: webhook-signature has no v1 signature", ErrNoMatch)
	}
	return fmt.Errorf("%w: webhook-signature matches none of %d secret(s)", ErrNoMatch, len(secrets))
}

func (v Verifier) verifyTimestamped(h http.Header, body []byte, secrets []string) error {
	label := v.Label
	if label == "" {
		label = DefaultLabel
	}
	if err := validLabel(label); err != nil {
		return err
	}
	for i, s := range secrets {
		if s == "" {
			return fmt.Errorf("%w: secret #%d is empty", ErrBadFormat, i+1)
		}
	}
	name := headerName(v.Header)
	raw := h.Get(name)
	if raw == "" {
		return fmt.Errorf("%w: %s", ErrMissingHeader, name)
	}
	// First pass: the grammar, and the timestamp wherever it appears.
	// Like stripe-go, every entry must be exactly key=value and unknown
	// keys are ignored; unlike it, a repeated t= is refused as ambiguous.
	var ts int64
	haveT, seen := false, false
	for entry := range strings.SplitSeq(raw, ",") {
		key, val, ok := strings.Cut(entry, "=")
		if !ok || strings.IndexByte(val, '=') >= 0 {
			return fmt.Errorf("%w: %s entry %q is not key=value", ErrBadFormat, name, entry)
		}
		switch key {
		case "t":
			if haveT {
				return fmt.Errorf("%w: %s has more than one t=", ErrBadFormat, name)
			}
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return fmt.Errorf("%w: %s t=%q is not unix seconds", ErrBadFormat, name, val)
			}
			ts, haveT = n, true
		case label:
			seen = true
		}
	}
	if !haveT {
		return fmt.Errorf("%w: %s has no t= entry", ErrBadFormat, name)
	}
	if err := v.checkTime(name+" t", ts); err != nil {
		return err
	}
	if !seen {
		return fmt.Errorf("%w: %s has no %s= entry", ErrNoMatch, name, label)
	}
	sc := getScratch()
	defer putScratch(sc)
	sc.msg = append(strconv.AppendInt(sc.msg[:0], ts, 10), '.')
	want := make([][sha256.Size]byte, len(secrets))
	for i, s := range secrets {
		copy(want[i][:], sc.mac(s, sc.msg, body))
	}
	var got [sha256.Size]byte
	for entry := range strings.SplitSeq(raw, ",") {
		key, val, _ := strings.Cut(entry, "=")
		if key != label || len(val) != hex.EncodedLen(sha256.Size) {
			continue
		}
		if _, err := hex.Decode(got[:], []byte(val)); err != nil {
			continue // as stripe-go: an undecodable entry may be another algorithm
		}
		for i := range want {
			if hmac.Equal(got[:], want[i][:]) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s matches none of %d secret(s)", ErrNoMatch, name, len(secrets))
}

func (v Verifier) verifyBody(h http.Header, body []byte, secrets []string) error {
	for i, s := range secrets {
		if s == "" {
			return fmt.Errorf("%w: secret #%d is empty", ErrBadFormat, i+1)
		}
	}
	name := headerName(v.Header)
	raw := h.Get(name)
	if raw == "" {
		return fmt.Errorf("%w: %s", ErrMissingHeader, name)
	}
	var got [sha256.Size]byte
	if len(raw) != hex.EncodedLen(sha256.Size) {
		return fmt.Errorf("%w: %s is not a %d-digit hex HMAC", ErrBadFormat, name, hex.EncodedLen(sha256.Size))
	}
	if _, err := hex.Decode(got[:], []byte(raw)); err != nil {
		return fmt.Errorf("%w: %s is not a %d-digit hex HMAC", ErrBadFormat, name, hex.EncodedLen(sha256.Size))
	}
	sc := getScratch()
	defer putScratch(sc)
	for _, s := range secrets {
		if hmac.Equal(got[:], sc.mac(s, nil, body)) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s matches none of %d secret(s)", ErrNoMatch, name, len(secrets))
}

// checkTime refuses timestamps further than the tolerance from now in
// either direction: old ones may be replays, future ones mean a skewed
// clock that would otherwise stretch the replay window.
func (v Verifier) checkTime(what string, ts int64) error {
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	// Compare whole seconds first so absurd values cannot overflow
	// time.Unix; only near-now timestamps get the exact comparison.
	nowSec, tolSec := now.Unix(), int64(tol/time.Second)+1
	past, future := ts < nowSec-tolSec, ts > nowSec+tolSec
	if !past && !future {
		d := now.Sub(time.Unix(ts, 0))
		past, future = d > tol, d < -tol
	}
	if past {
		return fmt.Errorf("%w: %s %d is %s old (tolerance %s)", ErrExpired, what, ts, age(now, ts), tol)
	}
	if future {
		return fmt.Errorf("%w: %s %d is %s in the future (tolerance %s); check the sender's clock", ErrExpired, what, ts, age(now, ts), tol)
	}
	return nil
}

// age describes |now - ts| for error messages, in whole seconds.
func age(now time.Time, ts int64) string {
	d := now.Unix() - ts
	if d < 0 {
		d = -d
	}
	if d < 0 || d > int64(1<<62)/int64(time.Second) { // overflowed or beyond Duration
		return "far too long"
	}
	return (time.Duration(d) * time.Second).String()
}
