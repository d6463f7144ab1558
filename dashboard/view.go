package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// base is what every page shows around its content.
type base struct {
	Title  string
	Who    *principal
	CSRF   string
	Notice notice        // the outcome of the form that led here, shown once
	Tenant *hookd.Tenant // the tenant the page belongs to, if any
	Nav    string        // the navigation entry to mark current
}

func (b *base) common() *base { return b }

// newestFirst orders a delivery's attempts for reading: the latest answer
// is what a person looks for first. The store and the API keep them oldest
// first.
func newestFirst(log []hookd.Attempt) []hookd.Attempt {
	out := slices.Clone(log)
	slices.Reverse(out)
	return out
}

// confirmArgs is the form of a destructive action, on its own page.
type confirmArgs struct {
	Page                  any
	Action, Label, Cancel string
}

// copyArgs is a copy button: the value it copies and what that is, for
// its accessible name ("Copy signing secret", never the secret itself).
type copyArgs struct{ What, Value string }

// viewer is any page view: a struct embedding base.
type viewer interface{ common() *base }

func (h *Handler) loadTemplates() error {
	funcs := template.FuncMap{
		"static":      h.staticURL,
		"time":        timeTag,
		"statusWord":  statusWord,
		"statusClass": statusClass,
		"epState":     endpointState,
		"duration":    formatMillis,
		"json":        prettyJSON,
		"join":        strings.Join,
		"tenantURL":   tenantURL,
		"endpointURL": endpointURL,
		"deliveryURL": deliveryURL,
		"eventsURL":   eventsURL,
		"eventURL":    eventURL,
		"localURL":    localURL,
		"reason":      disabledReason,
		"banner":      func(page any, e *hookd.Endpoint, back string) bannerArgs { return bannerArgs{page, e, back} },
		"fieldName":   fieldName,
		"destLabel":   destLabel,
		"lower":       strings.ToLower,
		"copy":        func(what, value string) copyArgs { return copyArgs{what, value} },
		"newestFirst": newestFirst,
		"brand":       func() Brand { return h.cfg.Brand },
		"confirm": func(page any, action, label, cancel string) confirmArgs {
			return confirmArgs{page, action, label, cancel}
		},
	}
	layout, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	h.pages = map[string]*template.Template{}
	for _, name := range names {
		page := strings.TrimSuffix(path.Base(name), ".html")
		if page == "layout" || page == "parts" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, name)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		h.pages[page] = t
	}
	return nil
}

// bannerArgs is what the disabled-endpoint banner needs: the page (for the
// role and CSRF token), the endpoint, and where Enable returns to.
type bannerArgs struct {
	Page any
	E    *hookd.Endpoint
	Back string
}

// fieldName is a form field as the error summary names it.
func fieldName(field string) string {
	if n, ok := map[string]string{
		"name": "Name", "url": "URL", "description": "Description", "event_types": "Events",
		"headers": "Custom headers", "retry_schedule": "Retry schedule", "timeout_seconds": "Timeout",
		"signature_scheme": "Signature scheme", "max_in_flight": "Requests at once", "rate_limit_per_second": "Rate limit",
		"type": "Destination", "config": "Broker settings", "config.url": "Broker URL", "config.exchange": "Exchange",
		"config.routing_key": "Routing key", "config.stream": "Stream", "config.max_len": "Maximum length",
		"config.subject": "Subject", "config.brokers": "Brokers", "config.topic": "Topic", "config.key": "Record key",
		"config.sasl": "SASL mechanism", "credentials": "Broker login", "credentials.username": "Broker user name",
		"credentials.password": "Broker password",
	}[field]; ok {
		return n
	}
	return field
}

// timeTag shows a time in UTC inside a <time> element; a small script
// rewrites it in the viewer's time zone (without JavaScript, UTC stays).
func timeTag(v any) template.HTML {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return "—"
		}
		t = *x
	default:
		return "—"
	}
	if t.IsZero() {
		return "—"
	}
	t = t.UTC()
	return template.HTML(fmt.Sprintf(`<time datetime="%s" title="%s">%s</time>`,
		t.Format(time.RFC3339Nano), t.Format("2006-01-02 15:04:05 UTC"), t.Format("2006-01-02 15:04:05 UTC")))
}

// statusWord is a delivery status in words an endpoint owner understands.
func statusWord(status string) string {
	switch status {
	case hookd.StatusPending:
		return "Pending"
	case hookd.StatusRetrying:
		return "Retrying"
	case hookd.StatusDelivered:
		return "Delivered"
	case hookd.StatusFailed:
		return "Failed permanently"
	case hookd.StatusPaused:
		return "Paused"
	case hookd.StatusCancelled:
		return "Cancelled by the transformation"
	}
	return status
}

func statusClass(status string) string {
	switch status {
	case hookd.StatusDelivered:
		return "ok"
	case hookd.StatusRetrying:
		return "warn"
	case hookd.StatusFailed:
		return "bad"
	}
	return "muted"
}

// endpointState is an endpoint's badge: words and a class.
type endpointStateView struct{ Word, Class string }

func endpointState(e *hookd.Endpoint) endpointStateView {
	switch {
	case e.Enabled:
		return endpointStateView{"Active", "ok"}
	case e.DisabledReason == hookd.DisabledAuto:
		return endpointStateView{"Disabled automatically", "bad"}
	case e.DisabledReason == hookd.DisabledGone:
		return endpointStateView{"Disabled (410 Gone)", "bad"}
	}
	return endpointStateView{"Disabled", "muted"}
}

// disabledReason explains why an endpoint is disabled.
func disabledReason(e *hookd.Endpoint) string {
	switch e.DisabledReason {
	case hookd.DisabledAuto:
		return fmt.Sprintf("deliveries of %d different events in a row failed permanently, so we stopped calling it. Check that your receiver answers with a 2xx status.", hookd.AutoDisableAfter)
	case hookd.DisabledGone:
		return "the receiver answered 410 Gone, which says this endpoint no longer exists."
	}
	return "it was switched off by hand."
}

// formatMillis shows a latency.
func formatMillis(m hookd.Millis) string {
	d := m.Duration()
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// prettyJSON indents JSON for reading; anything else is shown as is.
func prettyJSON(raw []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// sparkline draws a day of hourly success rates (successful attempts of
// all attempts) as an inline SVG bar chart, oldest hour on the left; its
// accessible name says the same in words.
func sparkline(hours []hookd.HourlyStat) template.HTML {
	const barW, gap, height = 5, 2, 28
	total, ok := 0, 0
	for _, s := range hours {
		total += s.Attempts
		ok += s.Succeeded
	}
	label := "No delivery attempts in the last 24 hours"
	if total > 0 {
		label = fmt.Sprintf("%s of attempts succeeded in the last 24 hours (%d of %d)", percent(ok, total), ok, total)
	}
	var b strings.Builder
	width := len(hours)*(barW+gap) - gap
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s"><title>%s</title>`,
		width, height, width, height, html.EscapeString(label), html.EscapeString(label))
	for i, s := range hours {
		x := i * (barW + gap)
		if s.Attempts == 0 {
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="2" class="none"/>`, x, height-2, barW)
			continue
		}
		rate := float64(s.Succeeded) / float64(s.Attempts)
		h := 4 + int(rate*float64(height-4)+0.5)
		class := "good"
		switch {
		case rate < 0.5:
			class = "poor"
		case rate < 0.99:
			class = "fair"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" class="%s"><title>%s: %s (%d of %d)</title></rect>`,
			x, height-h, barW, h, class, s.Hour.UTC().Format("15:04 UTC"), percent(s.Succeeded, s.Attempts), s.Succeeded, s.Attempts)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func percent(n, of int) string {
	if of == 0 {
		return "—"
	}
	p := float64(n) * 100 / float64(of)
	if p > 99 && n < of {
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}
