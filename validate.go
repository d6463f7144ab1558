package hookd

import (
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
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
	MaxHeaderValueLength = 4096
	MinTimeout           = time.Second
	MaxTimeout           = 60 * time.Second
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

// CheckName validates a required, bounded, single-line name.
func CheckName(v *Validation, field, name string) {
	switch {
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
	if utf8.RuneCountInString(desc) > MaxDescriptionLength {
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
	if len(raw) > MaxURLLength {
		v.Add(field, "must be at most %d characters", MaxURLLength)
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		v.Add(field, "must be an absolute URL like https://example.com/webhooks")
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
	if allowPrivate {
		return
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
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
}

// CheckHeaders validates custom request headers. reservedPrefixes are the
// header-name prefixes hookd signs with (lower case), e.g. "webhook-" and "x-hookd-".
func CheckHeaders(v *Validation, field string, h map[string]string, reservedPrefixes []string) {
	if len(h) > MaxHeaders {
		v.Add(field, "at most %d headers", MaxHeaders)
		return
	}
	for name, value := range h {
		f := field + "." + name
		if name == "" || !validHeaderName(name) {
			v.Add(f, "is not a valid header name")
			continue
		}
		canon := http.CanonicalHeaderKey(name)
		lower := strings.ToLower(name)
		if reservedHeaders[canon] || strings.HasPrefix(lower, "content-") {
			v.Add(f, "is set by hookd and cannot be overridden")
			continue
		}
		for _, p := range reservedPrefixes {
			if strings.HasPrefix(lower, p) {
				v.Add(f, "is a signature header name and cannot be overridden")
			}
		}
		if len(value) > MaxHeaderValueLength {
			v.Add(f, "value must be at most %d bytes", MaxHeaderValueLength)
		} else if strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			v.Add(f, "value must not contain line breaks or other control characters")
		}
	}
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

// CheckTimeout validates a per-endpoint timeout.
func CheckTimeout(v *Validation, field string, d time.Duration) {
	if d < MinTimeout || d > MaxTimeout {
		v.Add(field, "must be between %d and %d seconds", int(MinTimeout.Seconds()), int(MaxTimeout.Seconds()))
	}
}

// CheckRateLimit validates a per-endpoint requests-per-second bound (0: none).
func CheckRateLimit(v *Validation, field string, n int) {
	if n < 0 || n > MaxRateLimit {
		v.Add(field, "must be between 0 (no limit) and %d", MaxRateLimit)
	}
}
