package hookd

import (
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits that are not deployment settings.
const (
	MaxNameLength        = 200
	MaxDescriptionLength = 2000
	MaxURLLength         = 2048
	MaxHeaders           = 20
	MaxHeaderNameLength  = 256
	MaxHeaderValueLength = 4096
	// MaxIdempotencyKeyLength bounds the Idempotency-Key header; a batch
	// stores it with a "#<index>" suffix per event.
	MaxIdempotencyKeyLength = 256
	MinTimeout              = time.Second
	MaxTimeout              = 60 * time.Second
	// DefaultTimeout is a request's timeout when neither the endpoint nor
	// the deployment sets one. Stores size the lease of an endpoint without
	// its own timeout from it; dispatchers with a longer deployment timeout
	// lengthen their lease grace to match.
	DefaultTimeout     = 30 * time.Second
	DefaultMaxInFlight = 10
	// MaxMaxInFlight bounds the deployment's --max-endpoint-in-flight.
	MaxMaxInFlight = 1000
	MaxRateLimit   = 10000
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$`)

// ValidID reports whether s can be an operator-chosen id (tenant, event) or an
// event type name: 1–128 letters, digits and _ . : -, starting alphanumeric.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// CheckText refuses a string no store can keep as text: one with a NUL byte
// (PostgreSQL's text type cannot hold it) or with invalid UTF-8 (it would be
// refused, or altered on the way out as JSON). Every check of a user-given
// string starts with it; it reports whether s passed.
func CheckText(v *Validation, field, s string) bool {
	if p := textProblem(s); p != "" {
		v.Add(field, "%s", p)
		return false
	}
	return true
}

func textProblem(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain NUL bytes"
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	}
	return ""
}

// CheckName validates a required, bounded, single-line name.
func CheckName(v *Validation, field, name string) {
	switch {
	case !CheckText(v, field, name):
	case strings.TrimSpace(name) == "":
		v.Add(field, "is required")
	case utf8.RuneCountInString(name) > MaxNameLength:
		v.Add(field, "must be at most %d characters", MaxNameLength)
	case strings.ContainsAny(name, "\r\n"):
		v.Add(field, "must be a single line")
	}
}

// CheckDescription validates an optional, bounded description.
func CheckDescription(v *Validation, field, desc string) {
	if CheckText(v, field, desc) && utf8.RuneCountInString(desc) > MaxDescriptionLength {
		v.Add(field, "must be at most %d characters", MaxDescriptionLength)
	}
}

// CheckEndpointURL validates a target URL. Unless allowPrivate, it must be
// https and must not name a loopback, private or otherwise local address.
// This is the early, friendly check: the dispatcher checks the address it
// actually dials too, which is what stops DNS rebinding.
func CheckEndpointURL(v *Validation, field, raw string, allowPrivate bool) {
	if raw == "" {
		v.Add(field, "is required")
		return
	}
	u := absoluteURL(v, field, raw, "https://example.com/webhooks")
	if u == nil {
		return
	}
	if u.User != nil {
		v.Add(field, "must not contain credentials; send them in a custom header")
		return
	}
	if u.Fragment != "" {
		v.Add(field, "must not contain a #fragment")
		return
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowPrivate:
	case u.Scheme == "http":
		v.Add(field, "must use https")
		return
	default:
		v.Add(field, "must use https, not %q", u.Scheme)
		return
	}
	if !allowPrivate {
		checkPublicHost(v, field, u.Hostname())
	}
}

// absoluteURL parses a URL field of bounded length and valid text with a
// host; nil (the problem added) when it is not one.
func absoluteURL(v *Validation, field, raw, example string) *url.URL {
	if len(raw) > MaxURLLength {
		v.Add(field, "must be at most %d characters", MaxURLLength)
		return nil
	}
	if !CheckText(v, field, raw) {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		v.Add(field, "must be an absolute URL like %s", example)
		return nil
	}
	return u
}

// checkPublicHost refuses a URL's host that names localhost or a
// non-public address. Names are resolved only when dialed (the dialer
// checks the addresses then).
func checkPublicHost(v *Validation, field, host string) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		v.Add(field, "must not target localhost")
		return
	}
	if addr, err := netip.ParseAddr(host); err == nil && !PublicAddr(addr) {
		v.Add(field, "must not target a loopback, private, link-local, multicast or unspecified address")
	}
}

// PublicAddr reports whether addr is a unicast address on the public internet.
func PublicAddr(addr netip.Addr) bool {
	addr = addr.Unmap()
	return addr.IsValid() && addr.IsGlobalUnicast() && !addr.IsPrivate() &&
		!addr.IsLoopback() && !addr.IsLinkLocalUnicast() && !addr.IsMulticast() &&
		!addr.IsUnspecified() && !sharedAddressSpace.Contains(addr)
}

// 100.64.0.0/10 (carrier-grade NAT) is not in netip's IsPrivate.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// reservedHeaders are set by hookd itself; a custom header must not change them.
var reservedHeaders = map[string]bool{
	"Host": true, "User-Agent": true, "Content-Length": true, "Content-Type": true,
	"Content-Encoding": true, "Transfer-Encoding": true, "Connection": true,
	"Keep-Alive": true, "Upgrade": true, "Te": true, "Trailer": true,
	"Proxy-Authorization": true, "Proxy-Connection": true, "Expect": true,
	// W3C trace context: hookd sends its own with --propagate-trace.
	"Traceparent": true, "Tracestate": true,
}

// CheckHeaders validates custom request headers. reservedPrefixes are the
// header-name prefixes hookd signs with (lower case), e.g. "webhook-" and "x-hookd-".
// Names that differ only in case are one HTTP header, so they are refused
// together rather than one of them going out at random.
func CheckHeaders(v *Validation, field string, h map[string]string, reservedPrefixes []string) {
	if len(h) > MaxHeaders {
		v.Add(field, "at most %d headers", MaxHeaders)
		return
	}
	first := make(map[string]string, len(h)) // lower-case name: the name given
	for _, name := range slices.Sorted(maps.Keys(h)) {
		value := h[name]
		f := headerField(field, name)
		if len(name) > MaxHeaderNameLength {
			v.Add(f, "name must be at most %d characters", MaxHeaderNameLength)
			continue
		}
		if name == "" || !validHeaderName(name) {
			v.Add(f, "is not a valid header name")
			continue
		}
		canon := http.CanonicalHeaderKey(name)
		lower := strings.ToLower(name)
		if other, dup := first[lower]; dup {
			v.Add(f, "is the same header as %q (names are case-insensitive); give it once", other)
			continue
		}
		first[lower] = name
		if reservedHeaders[canon] || strings.HasPrefix(lower, "content-") {
			v.Add(f, "is set by hookd and cannot be overridden")
			continue
		}
		for _, p := range reservedPrefixes {
			if strings.HasPrefix(lower, p) {
				v.Add(f, "is a signature header name and cannot be overridden")
			}
		}
		// The messages never quote the value: it is often a secret.
		if len(value) > MaxHeaderValueLength {
			v.Add(f, "value must be at most %d bytes", MaxHeaderValueLength)
		} else if p := textProblem(value); p != "" {
			v.Add(f, "value %s", p)
		} else if strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			v.Add(f, "value must not contain line breaks or other control characters")
		}
	}
}

// headerField names a header in an error: field.name, with a name too long
// to be one cut short so the error stays small.
func headerField(field, name string) string {
	const shown = 64
	if len(name) > MaxHeaderNameLength {
		name = strings.ToValidUTF8(name[:shown], "") + "..."
	}
	return field + "." + name
}

func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// CheckEventTypes validates a subscription list: "*" alone, or type names.
func CheckEventTypes(v *Validation, field string, types []string) {
	if len(types) == 0 {
		v.Add(field, "must list at least one event type, or [\"*\"] for all")
		return
	}
	seen := make(map[string]bool, len(types))
	for _, t := range types {
		switch {
		case t == AllEventTypes && len(types) > 1:
			v.Add(field, "\"*\" already means every type; list it alone")
			return
		case t != AllEventTypes && !ValidID(t):
			v.Add(field, "%q is not a valid event type name", t)
		case seen[t]:
			v.Add(field, "%q is listed twice", t)
		}
		seen[t] = true
	}
}

// MaxChannels bounds the channels of an event or an endpoint.
const MaxChannels = 10

// CheckChannels validates the channels of an event or an endpoint: at most
// MaxChannels names, each like an id, none twice.
func CheckChannels(v *Validation, field string, channels []string) {
	if len(channels) > MaxChannels {
		v.Add(field, "must list at most %d channels", MaxChannels)
		return
	}
	seen := make(map[string]bool, len(channels))
	for _, c := range channels {
		switch {
		case !ValidID(c):
			v.Add(field, "%q is not a valid channel name (1-128 letters, digits, '_', '.', ':' or '-')", c)
		case seen[c]:
			v.Add(field, "%q is listed twice", c)
		}
		seen[c] = true
	}
}

// CheckTimeout validates a per-endpoint timeout in whole seconds and returns
// it as a duration (0 when invalid). The range is checked before the
// conversion, so a huge number cannot wrap around into the range.
func CheckTimeout(v *Validation, field string, seconds int64) time.Duration {
	low, high := int64(MinTimeout/time.Second), int64(MaxTimeout/time.Second)
	if seconds < low || seconds > high {
		v.Add(field, "must be between %d and %d seconds", low, high)
		return 0
	}
	return time.Duration(seconds) * time.Second
}

// CheckIdempotencyKey validates an Idempotency-Key header: bounded, and
// text a store can keep (HTTP lets a header carry any byte but a few).
func CheckIdempotencyKey(v *Validation, field, key string) {
	switch {
	case len(key) > MaxIdempotencyKeyLength:
		v.Add(field, "must be at most %d characters", MaxIdempotencyKeyLength)
	case !CheckText(v, field, key):
	case strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		v.Add(field, "must not contain control characters")
	}
}

// CheckRateLimit validates a per-endpoint requests-per-second bound (0: none).
func CheckRateLimit(v *Validation, field string, n int) {
	if n < 0 || n > MaxRateLimit {
		v.Add(field, "must be between 0 (no limit) and %d", MaxRateLimit)
	}
}

// CheckEventFilter reads an event list's filter as the API and the dashboard
// take it: a type name, and RFC 3339 times since (inclusive) and until
// (exclusive), each optional; until must come after since.
func CheckEventFilter(v *Validation, typ, since, until string) EventFilter {
	var f EventFilter
	if typ != "" {
		if !ValidID(typ) {
			v.Add("type", "%q is not a valid event type name", typ)
		}
		f.Type = typ
	}
	f.Since = checkTime(v, "since", since)
	f.Until = checkTime(v, "until", until)
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		v.Add("until", "must be after since")
	}
	return f
}

func checkTime(v *Validation, field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		v.Add(field, "must be an RFC 3339 time, like 2026-12-02T10:00:00Z")
		return time.Time{}
	}
	return t.UTC()
}
