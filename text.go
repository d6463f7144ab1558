package hookd

import (
	"strings"
	"unicode/utf8"
)

// MaxAttemptErrorBytes bounds an attempt's error text. Errors quote what a
// receiver sent (a Location, a malformed status line, a listen client's own
// error text), which would otherwise be stored as long as it came.
const MaxAttemptErrorBytes = 1024

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
