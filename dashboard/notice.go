package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// noticeCookie carries a form's outcome ("Test event sent.") across its
// redirect to the next page, which shows it once and clears it: a reload or
// a bookmarked URL never shows it again, as a ?done= parameter did.
const noticeCookie = "hookd_notice"

// notices are the outcomes a redirect can announce.
var notices = map[string]string{
	"signed-out":      "You are signed out.",
	"enabled":         "Endpoint enabled. Its paused deliveries are being sent now.",
	"disabled":        "Endpoint disabled. New deliveries wait as Paused until you enable it again.",
	"test":            "Test event sent. It appears in the delivery log below.",
	"replayed":        "Replay started: the delivery is being attempted again now.",
	"saved":           "Changes saved.",
	"deleted":         "Endpoint deleted.",
	"type-added":      "Event type added to the catalogue.",
	"type-saved":      "Event type saved.",
	"tenant":          "Tenant added.",
	"tenant-renamed":  "Tenant renamed.",
	"tenant-deleted":  "Tenant deleted, with its endpoints and history.",
	"recover-started": "Recovery started: the window's failed deliveries are being replayed.",
	"key-revoked":     "API key revoked. Programs using it are refused from now on.",
	"token-revoked":   "CLI token revoked. hookd listen and hookd trigger with it are refused from now on.",
	"session-test":    "Test event sent to the local session.",
}

// notice is what the page after a redirect learns: the message, and a
// detail the action left for it (the event type a test was sent with, so
// the test form keeps that choice).
type notice struct {
	Text   string
	Detail string
}

// redirectDone answers a form post with a redirect whose page announces done.
func (h *Handler) redirectDone(c *call, to, done, detail string) error {
	v := done
	if detail != "" {
		v += ":" + url.PathEscape(detail)
	}
	http.SetCookie(c.w, h.cookie(c.r, noticeCookie, v, time.Now().Add(time.Minute)))
	return c.redirect(to)
}

// takeNotice reads and clears the notice waiting for this page view.
func (h *Handler) takeNotice(w http.ResponseWriter, r *http.Request) notice {
	ck, err := r.Cookie(noticeCookie)
	if err != nil || r.Method != http.MethodGet || r.Header.Get("HX-Request") != "" {
		return notice{}
	}
	http.SetCookie(w, h.cookie(r, noticeCookie, "", time.Time{}))
	key, detail, _ := strings.Cut(ck.Value, ":")
	text, ok := notices[key]
	if !ok {
		return notice{}
	}
	detail, _ = url.PathUnescape(detail)
	return notice{Text: text, Detail: detail}
}
