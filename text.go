package hookd

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxAttemptErrorBytes bounds an attempt's error text. Errors quote what a
// receiver sent (a Location, a malformed status line, a listen client's own
// error text), which would otherwise be stored as long as it came.
const MaxAttemptErrorBytes = 1024

// Bounds of the response headers an attempt keeps: enough for what a
// person debugging a receiver looks at (Content-Type, Retry-After, a
// request id, rate-limit headers), never as much as a hostile receiver sends.
const (
	MaxResponseHeaders          = 32
	MaxResponseHeaderValueBytes = 256
	MaxResponseHeadersBytes     = 4096
)

// replacement stands for each NUL byte and each run of invalid UTF-8.
const replacement = "\uFFFD"

// StorableText makes text that came from a receiver (a response body, an
// error that quotes its answer) storable on every store and bounded: valid
// UTF-8 without NUL (PostgreSQL's text refuses 0x00) of at most max bytes.
// Each NUL and each run of bytes that is not UTF-8 becomes U+FFFD; the text
// is cut at a character boundary, and an incomplete character at its end,
// where a bounded read cut it, is dropped. It is the one rule for what a
// receiver may put in the attempt log.
func StorableText(s string, max int) string {
	s = dropCutRune(s)
	if len(s) <= max && strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), max))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		piece := s[i : i+size]
		switch {
		case r == 0:
			piece = replacement
		case r == utf8.RuneError && size == 1:
			piece = replacement
			for i+size < len(s) {
				if r, n := utf8.DecodeRuneInString(s[i+size:]); r != utf8.RuneError || n != 1 {
					break
				}
				size++
			}
		}
		if b.Len()+len(piece) > max {
			break
		}
		b.WriteString(piece)
		i += size
	}
	return b.String()
}

// dropCutRune removes the start of a multi-byte character that s ends in.
func dropCutRune(s string) string {
	for i := len(s) - 1; i >= 0 && i >= len(s)-(utf8.UTFMax-1); i-- {
		if utf8.RuneStart(s[i]) {
			if !utf8.FullRuneInString(s[i:]) {
				return s[:i]
			}
			break
		}
	}
	return s
}

// StorableHeaders keeps a receiver's response headers for the attempt log:
// names in canonical form and sorted, several values of one name joined
// with ", ", each value storable text of at most MaxResponseHeaderValueBytes,
// and at most MaxResponseHeaders names and MaxResponseHeadersBytes in all,
// taken in name order; what does not fit is left out whole. Nil without
// headers.
func StorableHeaders(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make(map[string]string, min(len(names), MaxResponseHeaders))
	total := 0
	for _, name := range names {
		if len(out) == MaxResponseHeaders {
			break
		}
		key := StorableText(http.CanonicalHeaderKey(name), MaxResponseHeaderValueBytes)
		value := StorableText(strings.Join(h[name], ", "), MaxResponseHeaderValueBytes)
		if total+len(key)+len(value) > MaxResponseHeadersBytes {
			continue
		}
		total += len(key) + len(value)
		out[key] = value
	}
	return out
}
