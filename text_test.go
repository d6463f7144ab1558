package hookd

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStorableText(t *testing.T) {
	cases := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain text is kept", "ok", 10, "ok"},
		{"NUL becomes U+FFFD", "ok\x00ok", 10, "ok\uFFFDok"},
		{"each NUL is replaced", "\x00\x00", 10, "\uFFFD\uFFFD"},
		{"a run of invalid bytes becomes one U+FFFD", "a\xff\xfe\xfdb", 10, "a\uFFFDb"},
		{"a valid U+FFFD is kept", "a\uFFFDb", 10, "a\uFFFDb"},
		{"cut at max", "abcdef", 3, "abc"},
		{"cut never splits a character", "aéé", 4, "aé"},
		{"a replacement that does not fit is left out", "ab\x00", 4, "ab"},
		{"an incomplete character at the end is dropped", "ab\xc3", 10, "ab"},
		{"an incomplete 4-byte character at the end is dropped", "ab\xf0\x9f\x98", 10, "ab"},
		{"a stray continuation byte at the end is replaced", "ab\x80", 10, "ab\uFFFD"},
		{"empty", "", 10, ""},
		{"zero max", "abc", 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := StorableText(c.in, c.max); got != c.want {
				t.Fatalf("StorableText(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
			}
		})
	}
}

func TestStorableTextIsBoundedWhateverTheInput(t *testing.T) {
	inputs := []string{
		strings.Repeat("\x00", 5000),
		strings.Repeat("\xff\x00", 5000),
		strings.Repeat("é", 5000),
		strings.Repeat("a\xe9", 5000),
	}
	for _, in := range inputs {
		got := StorableText(in, 4096)
		if len(got) > 4096 || !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 {
			t.Fatalf("input %q...: %d bytes, valid %v, NUL at %d", in[:8], len(got), utf8.ValidString(got), strings.IndexByte(got, 0))
		}
		if len(got) < 4096-utf8.UTFMax {
			t.Fatalf("input %q...: only %d bytes kept of a bound of 4096", in[:8], len(got))
		}
	}
}

func FuzzStorableText(f *testing.F) {
	f.Add("ok\x00ok", 8)
	f.Add("a\xff\xfeé", 3)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max & 0xfff
		got := StorableText(s, max)
		if len(got) > max || !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 {
			t.Fatalf("StorableText(%q, %d) = %q", s, max, got)
		}
		if StorableText(got, max) != got {
			t.Fatalf("not idempotent on %q", got)
		}
	})
}

func TestStorableHeaders(t *testing.T) {
	if got := StorableHeaders(nil); got != nil {
		t.Errorf("no headers: %v, want nil", got)
	}
	h := http.Header{"content-type": {"text/plain"}, "X-Multi": {"a", "b"}, "X-Bad": {"a\x00\xffb"},
		"X-Long": {strings.Repeat("v", 1000)}}
	got := StorableHeaders(h)
	want := map[string]string{"Content-Type": "text/plain", "X-Multi": "a, b", "X-Bad": "a\uFFFD\uFFFDb",
		"X-Long": strings.Repeat("v", MaxResponseHeaderValueBytes)}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}

	// A hostile receiver's flood: bounded in count and in bytes.
	flood := http.Header{}
	for i := range 1000 {
		flood.Set(fmt.Sprintf("X-Flood-%04d", i), strings.Repeat("x", 200))
	}
	got = StorableHeaders(flood)
	total := 0
	for k, v := range got {
		total += len(k) + len(v)
	}
	if len(got) > MaxResponseHeaders || total > MaxResponseHeadersBytes || len(got) == 0 {
		t.Errorf("flood kept %d headers, %d bytes; want 1-%d and at most %d bytes", len(got), total, MaxResponseHeaders, MaxResponseHeadersBytes)
	}
	if _, ok := got["X-Flood-0000"]; !ok {
		t.Error("the first header by name was not kept")
	}
}
