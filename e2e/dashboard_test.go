package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/internal/token"
)

// The dashboard, driven in a real browser: Debian's chromium, headless,
// through the DevTools protocol (chromedp). Without chromium installed the
// tests skip; .ci/run installs it.

// browser is one headless chromium with one tab.
type browser struct {
	t   testing.TB
	ctx context.Context
}

// chromium finds the browser binary.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts chromium with a fresh profile. The flags keep it off
// the network except for what a page loads: this machine's closed network
// otherwise makes its background services hang.
func newBrowser(t testing.TB) *browser {
	t.Helper()
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed, so the dashboard browser tests cannot run (apt-get install -y chromium; .ci/run does this)")
	}
	// The profile is not a t.TempDir: chromium's helper processes may still
	// write to it for a moment after the browser exits, which fails
	// TempDir's cleanup; it is removed once they are done.
	profile, err := os.MkdirTemp("", "hookd-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// chromedp logs protocol events it does not know (newer chromium has
	// some); they are harmless, and logging after the test ends would panic.
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithErrorf(func(string, ...any) {}))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		for i := 0; os.RemoveAll(profile) != nil && i < 50; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	// The first Run starts the browser and ties its life to ctx itself,
	// so it must not get a shorter-lived context.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx}
}

// run runs actions, failing the test after 15 s or on an error.
func (b *browser) run(actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.t.Fatalf("browser at %s: %v\npage text:\n%s", b.location(), err, b.bodyText())
	}
}

// open loads a URL and waits for its body.
func (b *browser) open(u string) {
	b.t.Helper()
	b.run(chromedp.Navigate(u), chromedp.WaitReady("body", chromedp.ByQuery))
}

// location is the current URL ("" when it cannot be read).
func (b *browser) location() string {
	var loc string
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	_ = chromedp.Run(ctx, chromedp.Location(&loc))
	return loc
}

// bodyText is the page's visible text, for failure messages.
func (b *browser) bodyText() string {
	var s string
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	_ = chromedp.Run(ctx, chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &s))
	return s
}

// eval evaluates a JavaScript expression into out.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	b.run(chromedp.Evaluate(expr, out))
}

// await evaluates an expression that returns a promise, into out.
func (b *browser) await(expr string, out any) {
	b.t.Helper()
	b.run(chromedp.Evaluate(expr, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
}

// has reports whether the page has an element matching sel now.
func (b *browser) has(sel string) bool {
	b.t.Helper()
	var ok bool
	b.eval(fmt.Sprintf(`!!document.querySelector(%q)`, sel), &ok)
	return ok
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.run(chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.NodeVisible))
	return strings.TrimSpace(s)
}

// waitFor waits until an element matching sel is on the page; it fails the
// test after timeout.
func (b *browser) waitFor(sel string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for !b.has(sel) {
		if time.Now().After(deadline) {
			b.t.Fatalf("after %s no %q on %s; page text:\n%s", timeout, sel, b.location(), b.bodyText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clickAndWait clicks sel, which loads a new page, and waits until that
// page has an element matching want.
func (b *browser) clickAndWait(sel, want string) {
	b.t.Helper()
	var ignored bool
	b.eval(`window.__hookdOldPage = true`, &ignored)
	b.run(chromedp.Click(sel, chromedp.ByQuery, chromedp.NodeVisible))
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ready bool
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(
			`!window.__hookdOldPage && document.readyState !== "loading" && !!document.querySelector(%q)`, want), &ready))
		cancel()
		if err == nil && ready {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("after clicking %q: no new page with %q; at %s; page text:\n%s", sel, want, b.location(), b.bodyText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fill sets a form field's value.
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.run(chromedp.SetValue(sel, value, chromedp.ByQuery))
}

// click clicks an element that does not load a page.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.run(chromedp.Click(sel, chromedp.ByQuery, chromedp.NodeVisible))
}

// portalLink asks the API for a portal link to a tenant's dashboard.
func (f *fixture) portalLink(tenantID, role string) string {
	f.t.Helper()
	var out struct {
		URL       string    `json:"url"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	f.admin.must(f.t, 200, "POST", "/v1/tenants/"+tenantID+"/portal-links", map[string]any{"role": role}, &out)
	if !strings.HasPrefix(out.URL, f.h.url+"/dashboard/portal?token=") || time.Until(out.ExpiresAt) < 10*time.Minute {
		f.t.Fatalf("portal link answer = %+v; want a URL under %s/dashboard/portal valid for 15 minutes", out, f.h.url)
	}
	return out.URL
}

// pathID is the last segment of the browser's current path.
func (b *browser) pathID() string {
	u, err := url.Parse(b.location())
	if err != nil {
		b.t.Fatalf("location: %v", err)
	}
	return u.Path[strings.LastIndex(u.Path, "/")+1:]
}

// TestDashboardPortalFlow is an endpoint owner's first session: open the
// portal link, add an endpoint and copy its secret, send a test event and
// watch it arrive, watch a failure, replay it once the receiver is fixed.
func TestDashboardPortalFlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	rcv := newReceiver(t, 200)
	b := newBrowser(t)

	b.open(f.portalLink(ten, "admin"))
	b.waitFor(".empty-state", 5*time.Second)
	if got := b.text("h1"); got != "Tenant "+ten {
		t.Errorf("tenant page heading %q, want the tenant's name", got)
	}

	// Add an endpoint: one event type, no retries (so a failure is final at once).
	b.clickAndWait(`a[href$="/endpoints/new"]`, "#f-name")
	b.fill("#f-name", "Orders receiver")
	b.fill("#f-url", rcv.URL+"/hooks")
	// The picker: nothing is preselected; ticking a type means "only these";
	// choosing "All" clears the ticks; the summary says what will be saved.
	typeBox := `input[name="event_types"][value="` + typeCreated + `"]`
	var checked bool
	if b.eval(`document.querySelector('input[name="subscribe"]:checked') !== null`, &checked); checked {
		t.Error("the add-endpoint form preselects a subscription")
	}
	b.click(typeBox)
	if b.eval(`document.querySelector('input[name="subscribe"][value="chosen"]').checked`, &checked); !checked {
		t.Error("ticking a type did not choose \"only the ticked types\"")
	}
	if got, want := b.text("#f-types-summary"), "Receives only: "+typeCreated+"."; got != want {
		t.Errorf("picker summary %q, want %q", got, want)
	}
	b.click(`input[name="subscribe"][value="all"]`)
	if b.eval(`document.querySelector('`+typeBox+`').checked`, &checked); checked {
		t.Error("choosing all event types left a type ticked")
	}
	if got := b.text("#f-types-summary"); !strings.HasPrefix(got, "Receives every event type") {
		t.Errorf("picker summary after choosing all: %q", got)
	}
	b.click(typeBox)
	b.click("#f-advanced summary")
	b.fill("#f-retry_schedule", "none")
	b.fill(`input[name="header_name"]`, "X-Api-Key")
	b.fill(`input[name="header_value"]`, "k-123")
	b.clickAndWait("form.form button.primary", "#secret-dialog")
	secret := b.text("#secret-value")
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the dialog shows %q, want a whsec_ signing secret", secret)
	}
	if !strings.Contains(b.text("#secret-dialog"), "shown only this once") {
		t.Errorf("the secret dialog does not warn that it is shown once: %q", b.text("#secret-dialog"))
	}
	epID := b.pathID()
	ep := f.getEndpoint(ten, epID)
	if ep.URL != rcv.URL+"/hooks" || len(ep.RetrySchedule) != 0 || ep.Headers["X-Api-Key"] != "********" {
		t.Errorf("created endpoint = %+v; want the form's URL, no retries, a masked X-Api-Key", ep)
	}
	if len(ep.EventTypes) != 1 || ep.EventTypes[0] != typeCreated {
		t.Errorf("one type ticked, saved subscription %v, want exactly [%s]", ep.EventTypes, typeCreated)
	}
	b.click("#secret-dialog form button")
	b.open(b.location())
	var events string
	b.eval(`[...document.querySelectorAll("dt")].find(d => d.textContent === "Events").nextElementSibling.textContent`, &events)
	if events != typeCreated {
		t.Errorf("the endpoint page shows its events as %q, want %q", events, typeCreated)
	}
	if b.has("#secret-dialog") || strings.Contains(b.bodyText(), secret) {
		t.Fatal("the signing secret is shown again after a reload")
	}

	// A test event turns Delivered in the open page (htmx refreshes the log).
	b.fill("#test-type", typeCreated)
	b.clickAndWait(`form[action$="/test"] button`, ".flash")
	b.waitFor(`#delivery-log [data-status="delivered"]`, 10*time.Second)
	got := rcv.waitRequests(t, 1)
	if err := officialVerify(t, secret, got[0]); err != nil {
		t.Errorf("the test delivery does not verify with the secret the dialog showed: %v", err)
	}
	if got[0].header.Get("X-Api-Key") != "k-123" {
		t.Errorf("custom header X-Api-Key = %q, want k-123", got[0].header.Get("X-Api-Key"))
	}
	// Tests never touch the endpoint's health; their outcome shows on its card.
	endpointPage := b.location()
	b.open(f.h.url + "/dashboard/t/" + ten)
	b.waitFor(`#endpoint-`+epID+` .last-test [data-status="delivered"]`, 5*time.Second)
	b.open(endpointPage)

	// A failing receiver: the next test event fails permanently.
	rcv.status.Store(500)
	b.clickAndWait(`form[action$="/test"] button`, ".flash")
	b.waitFor(`#delivery-log [data-status="failed"]`, 10*time.Second)
	if !strings.Contains(b.text("#delivery-log"), "Failed permanently") {
		t.Errorf("the log does not say Failed permanently: %q", b.text("#delivery-log"))
	}

	// Its detail shows the attempt; after the fix, Replay delivers it.
	b.clickAndWait(`#delivery-log tr:has([data-status="failed"]) a`, "#attempt-1")
	attempt := b.text("#attempt-1")
	for _, want := range []string{"500", receiverBody} {
		if !strings.Contains(attempt, want) {
			t.Errorf("attempt 1 does not show %q: %q", want, attempt)
		}
	}
	b.click("#attempt-1 .response-headers summary")
	if got := b.text("#attempt-1 .response-headers"); !strings.Contains(got, "Content-Length") || !strings.Contains(got, "Date") {
		t.Errorf("attempt 1 does not show the receiver's response headers: %q", got)
	}
	dlvID := b.pathID()
	rcv.status.Store(200)
	b.clickAndWait(`form[action$="/replay"] button`, ".flash")
	b.waitFor(`h1 [data-status="delivered"]`, 10*time.Second)
	b.waitFor("#attempt-2", 5*time.Second)
	// The poll swaps the page in, then app.js localizes its times when htmx
	// settles it (~20 ms later): read the times after that.
	b.waitFor("#attempt-2 time[data-local]", 5*time.Second)
	var first string
	if b.eval(`document.querySelector("article.attempt").id`, &first); first != "attempt-2" {
		t.Errorf("the first attempt shown is %q, want the newest, attempt-2", first)
	}
	// Times read relative, with the absolute time and its zone on hover and
	// for screen readers.
	var tm struct{ Shown, Spoken, Title string }
	b.eval(`(() => { const t = document.querySelector("article.attempt time");
		return {shown: t.querySelector("[aria-hidden]").textContent, spoken: t.querySelector(".sr-only").textContent, title: t.title}; })()`, &tm)
	if !regexp.MustCompile(`ago|now`).MatchString(tm.Shown) || !regexp.MustCompile(`(UTC|GMT)`).MatchString(tm.Title) || !strings.Contains(tm.Spoken, tm.Title) {
		t.Errorf("an attempt's time shows %q, says %q, hovers %q: want relative shown, the zoned absolute time spoken and on hover", tm.Shown, tm.Spoken, tm.Title)
	}
	if d := f.getDelivery(ten, dlvID); d.Status != "delivered" || d.AttemptCount != 2 {
		t.Errorf("after replay the delivery is %q with %d attempts, want delivered with 2", d.Status, d.AttemptCount)
	}
}

// TestDashboardAutoDisabled shows the banner of an endpoint hookd disabled,
// and enables it from there, which the operator hears of as through the API.
func TestDashboardAutoDisabled(t *testing.T) {
	t.Parallel()
	ops := newReceiver(t, 200)
	f := newFixture(t, config{extraArgs: []string{"--operational-webhook-url", ops.URL + "/ops",
		"--operational-webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}})
	ten := f.tenant()
	rcv := newReceiver(t, 500)
	ep, _ := f.endpoint(ten, rcv.URL, map[string]any{"name": "Flaky CRM", "retry_schedule": []string{}})
	for i := range 5 {
		f.publish(ten, typeCreated, fmt.Sprintf(`{"i":%d}`, i))
	}
	eventually(t, 20*time.Second, func() (bool, string) {
		e := f.getEndpoint(ten, ep.ID)
		return e.Status == "disabled", fmt.Sprintf("endpoint is %q after 5 failed events, want disabled", e.Status)
	})

	b := newBrowser(t)
	b.open(f.portalLink(ten, "admin"))
	b.waitFor(`[data-banner="auto"]`, 5*time.Second)
	banner := b.text(`[data-banner="auto"]`)
	for _, want := range []string{"Disabled automatically", "failed permanently", "paused, not lost"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner does not say %q: %q", want, banner)
		}
	}
	if got := b.text("[data-endpoint-state]"); got != "Disabled automatically" {
		t.Errorf("status badge %q, want Disabled automatically", got)
	}

	rcv.status.Store(200)
	b.clickAndWait(`[data-banner="auto"] button`, ".flash")
	if b.has("[data-banner]") {
		t.Error("the banner is still shown after Enable")
	}
	if got := b.text("[data-endpoint-state]"); got != "Active" {
		t.Errorf("status badge after Enable %q, want Active", got)
	}
	if e := f.getEndpoint(ten, ep.ID); e.Status != "active" || e.FailureCount != 0 {
		t.Errorf("after Enable the endpoint is %q with failure_count %d, want active and 0", e.Status, e.FailureCount)
	}
	eventually(t, 10*time.Second, func() (bool, string) {
		for _, r := range ops.requests() {
			if r.header.Get("X-Hookd-Event") == "endpoint.enabled" && strings.Contains(string(r.body), ep.ID) {
				return true, ""
			}
		}
		return false, "no endpoint.enabled operational event after Enable in the dashboard"
	})
}

// TestDashboardTenantIsolation: a portal link for one tenant shows nothing
// of another, whatever URL is typed, and a viewer link changes nothing.
func TestDashboardTenantIsolation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	a, other := f.tenant(), f.tenant()
	rcv := newReceiver(t, 200)
	f.endpoint(a, rcv.URL+"/a", map[string]any{"name": "A's endpoint"})
	epB, _ := f.endpoint(other, rcv.URL+"/b", map[string]any{"name": "B's secret endpoint"})
	evB := f.publish(other, typeCreated, `{"who":"b"}`)
	dlvB := f.waitStatus(other, f.deliveryOf(other, evB.ID).ID, "delivered")

	b := newBrowser(t)
	b.open(f.portalLink(a, "viewer"))
	b.waitFor(`[data-endpoint]`, 5*time.Second)
	if b.has(`a[href$="/endpoints/new"]`) || b.has(`form[action$="/enable"]`) {
		t.Error("a viewer sees controls that change things")
	}
	base := f.h.url + "/dashboard"
	for _, path := range []string{
		"/t/" + other,
		"/t/" + other + "/endpoints/" + epB.ID,
		"/t/" + a + "/endpoints/" + epB.ID,
		"/t/" + other + "/deliveries/" + dlvB.ID,
		"/t/" + a + "/deliveries/" + dlvB.ID,
		"/t/" + a + "/endpoints/" + epB.ID + "/log",
		"/tenants",
		"/event-types",
	} {
		b.open(base + path)
		if !b.has(`[data-error="404"]`) {
			t.Errorf("%s: not refused with 404; page text:\n%s", path, b.bodyText())
		}
		if text := b.bodyText(); strings.Contains(text, "B's secret endpoint") || strings.Contains(text, rcv.URL+"/b") {
			t.Errorf("%s shows tenant B's endpoint", path)
		}
	}

	// The viewer's session refuses changes even when a form is forged.
	b.open(base + "/t/" + a)
	var status int
	b.await(fmt.Sprintf(`(async () => {
		const csrf = document.querySelector('input[name=csrf]').value;
		const r = await fetch(%q, {method: "POST", body: new URLSearchParams({csrf})});
		return r.status;
	})()`, base+"/t/"+a+"/endpoints/"+epB.ID+"/disable"), &status)
	if status != 403 && status != 404 {
		t.Errorf("a viewer's forged disable answered %d, want 403 or 404", status)
	}
	if e := f.getEndpoint(other, epB.ID); e.Status != "active" {
		t.Errorf("tenant B's endpoint is %q after the forged request, want active", e.Status)
	}
}

// TestDashboardExpiredLink: an expired or altered portal link opens nothing.
func TestDashboardExpiredLink(t *testing.T) {
	t.Parallel()
	encKey := secretbox.NewKey()
	f := newFixture(t, config{extraArgs: []string{"--encryption-key", encKey}})
	ten := f.tenant()

	// A link signed with the server's own key that expired a minute ago.
	raw, err := secretbox.ParseKey(encKey)
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := token.Sign(box.DeriveKey(token.PortalKeyLabel), token.Portal{Tenant: ten, Role: "admin"}, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.open(f.h.url + token.PortalPath + "?token=" + url.QueryEscape(tok))
	if !b.has(`[data-error="401"]`) || !strings.Contains(b.bodyText(), "expired") {
		t.Errorf("an expired link was not refused as expired; page text:\n%s", b.bodyText())
	}

	// A valid link with its claims changed (another tenant) is refused too.
	link := f.portalLink(ten, "admin")
	u, _ := url.Parse(link)
	body, sig, _ := strings.Cut(u.Query().Get("token"), ".")
	claims, _ := base64.RawURLEncoding.DecodeString(body)
	forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), ten, "someone-else", 1))) + "." + sig
	b.open(f.h.url + token.PortalPath + "?token=" + url.QueryEscape(forged))
	if !b.has(`[data-error="401"]`) || !strings.Contains(b.bodyText(), "not valid") {
		t.Errorf("an altered link was not refused; page text:\n%s", b.bodyText())
	}

	// Neither signed anyone in.
	b.open(f.h.url + "/dashboard/t/" + ten)
	if !b.has("#api-key") {
		t.Errorf("without a valid link the tenant page did not send to sign-in; at %s", b.location())
	}
}

// TestDashboardPortalOptions: a link made with return_url, display_name and
// read_only shows the app's name, hides what it turned off, and its
// sign-out lands on the session-ended page leading back to the app.
func TestDashboardPortalOptions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{extraArgs: []string{"--allow-secret-reveal"}})
	ten := f.tenant()
	rcv := newReceiver(t, 200)
	ep, _ := f.endpoint(ten, rcv.URL, nil)
	const back = "https://app.example.com/settings/webhooks"
	var out struct {
		URL string `json:"url"`
	}
	f.admin.must(t, 200, "POST", "/v1/tenants/"+ten+"/portal-links", map[string]any{
		"return_url": back, "display_name": "Acme Shop", "read_only": []string{"secret_reveal", "endpoint_delete"}}, &out)

	b := newBrowser(t)
	b.open(out.URL)
	b.waitFor("h1", 5*time.Second)
	if got := b.text("h1"); got != "Acme Shop" {
		t.Errorf("tenant page heading %q, want the link's display name", got)
	}
	if got := b.text("#portal-back"); got != "Back to Acme Shop" {
		t.Errorf("back link %q", got)
	}
	var href string
	if b.eval(`document.querySelector("#portal-back").href`, &href); href != back {
		t.Errorf("back link goes to %q, want %q", href, back)
	}
	b.open(f.h.url + "/dashboard/t/" + ten + "/endpoints/" + ep.ID)
	b.waitFor(`form[action$="/disable"]`, 5*time.Second)
	if b.has(`form[action$="/reveal"]`) || b.has(`a[href$="/delete"]`) {
		t.Error("the endpoint page offers reveal or delete, which the link turned off")
	}
	// Asked for anyway, delete is refused and the endpoint stays.
	var status int
	b.await(fmt.Sprintf(`(async () => {
		const csrf = document.querySelector('input[name=csrf]').value;
		const r = await fetch(%q, {method: "POST", body: new URLSearchParams({csrf})});
		return r.status;
	})()`, f.h.url+"/dashboard/t/"+ten+"/endpoints/"+ep.ID+"/delete"), &status)
	if status != 403 {
		t.Errorf("a forged delete answered %d, want 403", status)
	}
	if e := f.getEndpoint(ten, ep.ID); e.Status != "active" {
		t.Errorf("endpoint is %q after the refused delete", e.Status)
	}

	b.clickAndWait(`form[action="/dashboard/logout"] button`, "[data-ended]")
	if !strings.HasSuffix(b.location(), "/dashboard/ended") || b.has("#api-key") {
		t.Errorf("sign-out landed on %s, want the session-ended page", b.location())
	}
	if b.eval(`document.querySelector("#return-link").href`, &href); href != back || b.text("#return-link") != "Return to Acme Shop" {
		t.Errorf("session-ended page links %q (%q), want %q", href, b.text("#return-link"), back)
	}
	// The tenant's pages now lead there too, never to the API-key sign-in.
	b.open(f.h.url + "/dashboard/t/" + ten)
	if !b.has("[data-ended]") || b.has("#api-key") {
		t.Errorf("after sign-out the tenant page shows %s:\n%s", b.location(), b.bodyText())
	}
}

// TestDashboardCSRF: a form posted without the session's CSRF token is
// refused and changes nothing.
func TestDashboardCSRF(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	rcv := newReceiver(t, 200)
	ep, _ := f.endpoint(ten, rcv.URL, nil)
	b := newBrowser(t)
	b.open(f.portalLink(ten, "admin"))
	b.open(f.h.url + "/dashboard/t/" + ten + "/endpoints/" + ep.ID)
	b.waitFor(`form[action$="/disable"]`, 5*time.Second)

	var ignored bool
	b.eval(`document.querySelector('form[action$="/disable"] input[name=csrf]').remove(), true`, &ignored)
	b.clickAndWait(`form[action$="/disable"] button`, `[data-error]`)
	if !b.has(`[data-error="403"]`) {
		t.Errorf("a form without its CSRF token was not refused with 403; page text:\n%s", b.bodyText())
	}
	if e := f.getEndpoint(ten, ep.ID); e.Status != "active" {
		t.Errorf("the endpoint is %q after the refused form, want active", e.Status)
	}

	// With the token, the same form works.
	b.open(f.h.url + "/dashboard/t/" + ten + "/endpoints/" + ep.ID)
	b.clickAndWait(`form[action$="/disable"] button`, ".flash")
	if e := f.getEndpoint(ten, ep.ID); e.Status != "disabled" || e.DisabledReason != "manual" {
		t.Errorf("after Disable the endpoint is %q (%q), want disabled (manual)", e.Status, e.DisabledReason)
	}
}

// TestDashboardArchiveType: an operator archives a type in the catalogue's
// edit form; the add-endpoint picker no longer offers it, and the API
// refuses it for a new endpoint.
func TestDashboardArchiveType(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	b := newBrowser(t)
	b.open(f.h.url + "/dashboard/login")
	b.fill("#api-key", f.h.key)
	b.clickAndWait("form button.primary", `a[href="/dashboard/t/`+ten+`"]`)

	box := `input[name="event_types"][value="` + typeFailed + `"]`
	b.open(f.h.url + "/dashboard/t/" + ten + "/endpoints/new")
	b.waitFor("#f-name", 5*time.Second)
	if !b.has(box) {
		t.Fatalf("the picker does not offer %s before archiving", typeFailed)
	}

	b.open(f.h.url + "/dashboard/event-types/" + typeFailed + "/edit")
	b.waitFor("#et-archived", 5*time.Second)
	b.click("#et-archived")
	b.clickAndWait("form.stack button.primary", ".flash")
	if !strings.Contains(b.text(`[id="type-`+typeFailed+`"]`), "archived") {
		t.Errorf("the catalogue does not flag %s archived", typeFailed)
	}

	b.open(f.h.url + "/dashboard/t/" + ten + "/endpoints/new")
	b.waitFor("#f-name", 5*time.Second)
	if b.has(box) {
		t.Errorf("the picker still offers the archived %s", typeFailed)
	}
	if !b.has(`input[name="event_types"][value="` + typeCreated + `"]`) {
		t.Errorf("the picker lost %s, which is not archived", typeCreated)
	}
	r := f.admin.do(t, "POST", "/v1/tenants/"+ten+"/endpoints", map[string]any{
		"name": "late", "url": "https://example.com/late", "event_types": []string{typeFailed}})
	if r.status != 422 || !strings.Contains(string(r.body), "archived") {
		t.Errorf("API endpoint with the archived type: %d %s, want 422", r.status, r.body)
	}
}

// TestDashboardOperator signs in with the admin key: every tenant, and the
// event-type catalogue, to which it adds a type.
func TestDashboardOperator(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	b := newBrowser(t)

	b.open(f.h.url + "/")
	b.waitFor("#api-key", 5*time.Second)
	b.fill("#api-key", "hk_not-a-key")
	b.clickAndWait("form button.primary", ".error-summary")
	b.fill("#api-key", f.h.key)
	b.clickAndWait("form button.primary", `a[href="/dashboard/t/`+ten+`"]`)

	b.clickAndWait(`nav a[href="/dashboard/event-types"]`, "#et-name")
	if !b.has(`[id="type-` + typeCreated + `"]`) {
		t.Errorf("the catalogue does not list %s", typeCreated)
	}
	b.fill("#et-name", "invoice.paid")
	b.fill("#et-desc", "An invoice was paid in full.")
	b.fill("#et-example", `{"invoice_id":"inv_1","amount":4200}`)
	b.clickAndWait("form.stack button.primary", ".flash")
	if !strings.Contains(b.text(`[id="type-invoice.paid"]`), "An invoice was paid in full.") {
		t.Errorf("the new type is not listed with its description")
	}
	var et struct {
		Description string `json:"description"`
		Example     any    `json:"example"`
	}
	f.admin.must(t, 200, "GET", "/v1/event-types/invoice.paid", nil, &et)
	if et.Description != "An invoice was paid in full." || et.Example == nil {
		t.Errorf("stored event type = %+v", et)
	}

	// Bad input is explained on the form, next to the field.
	b.fill("#et-name", "bad name!")
	b.fill("#et-example", `{"oops":`)
	b.clickAndWait("form.stack button.primary", "#et-name-error")
	if !b.has("#et-example-error") {
		t.Errorf("malformed example JSON is not reported; page text:\n%s", b.bodyText())
	}

	// API keys: created with a role and a scope, shown once, revoked.
	b.clickAndWait(`nav a[href="/dashboard/keys"]`, "#k-name")
	b.fill("#k-name", "billing-service")
	b.fill("#k-role", "viewer")
	b.fill("#k-tenant", ten)
	b.clickAndWait("form.stack button.primary", "#secret-dialog")
	key := b.text("#secret-value")
	if status := f.h.client(key).do(t, "GET", "/v1/tenants/"+ten, nil).status; !strings.HasPrefix(key, "hk_") || status != 200 {
		t.Fatalf("the dialog shows %q; with it the API answers %d, want an hk_ key that reads its tenant", key, status)
	}
	b.click("#secret-dialog form button")
	var keys struct {
		Data []struct{ ID, Name string } `json:"data"`
	}
	f.admin.must(t, 200, "GET", "/v1/api-keys", nil, &keys)
	var keyID string
	for _, k := range keys.Data {
		if k.Name == "billing-service" {
			keyID = k.ID
		}
	}
	b.clickAndWait(`#key-`+keyID+` a[href$="/revoke"]`, "button.danger")
	b.clickAndWait("button.danger", ".flash")
	if status := f.h.client(key).do(t, "GET", "/v1/tenants/"+ten, nil).status; status != 401 {
		t.Errorf("the revoked key: %d, want 401", status)
	}

	// Tenants: added, renamed, deleted after typing the id.
	b.clickAndWait(`nav a[href="/dashboard/tenants"]`, "#t-name")
	b.fill("#t-name", "Globex")
	b.fill("#t-id", "globex")
	b.clickAndWait("form.stack button.primary", "#t-rename")
	b.fill("#t-rename", "Globex Corporation")
	b.clickAndWait(`form[action$="/rename"] button`, ".flash")
	if got := b.text("h1"); got != "Globex Corporation" {
		t.Errorf("after rename the heading is %q", got)
	}
	b.clickAndWait(`a[href$="/globex/delete"]`, "#confirm-id")
	b.fill("#confirm-id", "glob")
	b.clickAndWait("button.danger", "#error-summary")
	f.admin.must(t, 200, "GET", "/v1/tenants/globex", nil, nil)
	b.fill("#confirm-id", "globex")
	b.clickAndWait("button.danger", ".flash")
	f.admin.must(t, 404, "GET", "/v1/tenants/globex", nil, nil)

	// The operator opens any tenant.
	b.open(f.h.url + "/dashboard/t/" + ten)
	b.waitFor(".empty-state", 5*time.Second)
}

// TestDashboardScreenshots saves pictures of the main pages for the README
// when HOOKD_SCREENSHOTS names a folder (relative to the module root), e.g.
//
//	HOOKD_SCREENSHOTS=docs/img go test ./e2e -run TestDashboardScreenshots
//
// Without it the test skips, so CI never rewrites them. The portal's pages
// are taken twice: as hookd, and branded (--brand-*, names "branded-...").
func TestDashboardScreenshots(t *testing.T) {
	dir := os.Getenv("HOOKD_SCREENSHOTS")
	if dir == "" {
		t.Skip("set HOOKD_SCREENSHOTS=docs/img to take the dashboard screenshots")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(moduleDir, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Run("default", func(t *testing.T) { takeScreenshots(t, dir, "", nil) })
	t.Run("branded", func(t *testing.T) {
		logo := filepath.Join(t.TempDir(), "logo.png")
		if err := os.WriteFile(logo, brandLogo(), 0o600); err != nil {
			t.Fatal(err)
		}
		takeScreenshots(t, dir, "branded-", []string{"--brand-name", "Acme Dental Connect", "--brand-logo-file", logo,
			"--brand-color", "#0f766e", "--header-prefix", "X-Acme"})
	})
}

// brandLogo is a sample logo: a teal disc with a white tooth-like notch.
func brandLogo() []byte {
	const n = 64
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for y := range n {
		for x := range n {
			dx, dy := float64(x)-31.5, float64(y)-31.5
			switch r := math.Hypot(dx, dy); {
			case r < 12 && dy < 6:
				img.Set(x, y, color.White)
			case r < 31:
				img.Set(x, y, color.RGBA{15, 118, 110, 255})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// smallPNG re-encodes a screenshot at the best compression (Chromium's is
// fast, not small); on any error it keeps the original.
func smallPNG(shot []byte) []byte {
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		return shot
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil || b.Len() >= len(shot) {
		return shot
	}
	return b.Bytes()
}

// takeScreenshots starts a deployment with extraArgs, fills it with a
// tenant's endpoints and deliveries, and saves its pages into dir, each
// name with prefix. With a prefix (branded) it saves only the portal's
// main pages: branding is for customers.
func takeScreenshots(t *testing.T, dir, prefix string, extraArgs []string) {
	f := newFixture(t, config{extraArgs: extraArgs})
	for _, et := range []struct{ name, desc, example string }{
		{"contact.updated", "A contact's details changed.", `{"id":"c_1","email":"ada@example.com","changed":["email"]}`},
		{"message.delivered", "An SMS reminder reached the phone.", `{"message_id":"m_7","to":"+15550100"}`},
		{"email.bounced", "An email could not be delivered.", `{"email":"bob@example.com","reason":"mailbox full"}`},
	} {
		f.admin.must(t, 201, "POST", "/v1/event-types", map[string]any{"name": et.name, "description": et.desc, "example": rawJSON(et.example)}, nil)
	}
	const ten = "acme"
	f.admin.must(t, 201, "POST", "/v1/tenants", map[string]any{"id": ten, "name": "Acme Dental"}, nil)
	f.admin.must(t, 201, "POST", "/v1/tenants", map[string]any{"id": "globex", "name": "Globex Clinics"}, nil)
	f.admin.must(t, 201, "POST", "/v1/api-keys", map[string]any{"name": "billing-service", "role": "publisher", "tenant": ten}, nil)
	f.admin.must(t, 201, "POST", "/v1/api-keys", map[string]any{"name": "support-dashboard", "role": "viewer"}, nil)

	// A healthy endpoint, a flaky one, and one hookd switched off.
	ok := newReceiver(t, 200)
	crm, _ := f.endpoint(ten, ok.URL+"/webhooks/hookd", map[string]any{"name": "CRM sync",
		"event_types": []string{typeCreated, "contact.updated"}, "headers": map[string]string{"Authorization": "Bearer crm-token"}})
	flaky := newReceiver(t, 200)
	flaky.answer.Store(`{"error":"database is locked, try again"}`)
	zap, _ := f.endpoint(ten, flaky.URL+"/hooks/catch/123456/abcdef", map[string]any{"name": "Zapier: reminders to Slack",
		"event_types": []string{"message.delivered", typeFailed}, "retry_schedule": []string{"1s"}})
	dead := newReceiver(t, 404)
	dead.answer.Store("Not Found")
	old, _ := f.endpoint(ten, dead.URL+"/n8n/webhook/old-flow", map[string]any{"name": "Old n8n flow", "retry_schedule": []string{}})

	for i := range 6 {
		f.publish(ten, typeCreated, fmt.Sprintf(`{"id":"c_%d","email":"patient%d@example.com"}`, i, i))
	}
	for i := range 5 {
		f.publish(ten, "message.delivered", fmt.Sprintf(`{"message_id":"m_%d","to":"+1555010%d"}`, i, i))
	}
	eventually(t, 20*time.Second, func() (bool, string) {
		n := len(f.deliveries(ten, "?status=delivered&endpoint="+zap.ID))
		return n == 5, fmt.Sprintf("%d of 5 delivered to the flaky endpoint", n)
	})
	flaky.status.Store(500)
	failed := f.publish(ten, typeFailed, `{"message_id":"m_9","reason":"carrier rejected"}`)
	failedDlv := f.deliveries(ten, "?event="+failed.ID+"&endpoint="+zap.ID)[0].ID
	f.waitStatus(ten, failedDlv, "failed")
	flaky.status.Store(200)
	eventually(t, 20*time.Second, func() (bool, string) {
		e := f.getEndpoint(ten, old.ID)
		return e.Status == "disabled", "the dead endpoint is not disabled yet"
	})
	eventually(t, 20*time.Second, func() (bool, string) {
		n := len(f.deliveries(ten, "?status=delivered&endpoint="+crm.ID))
		return n == 6, fmt.Sprintf("%d of 6 delivered to the CRM", n)
	})

	b := newBrowser(t)
	// Branded, the customer's main pages are enough to show the brand.
	branded := map[string]bool{"tenant": true, "endpoint": true, "phone": true}
	shot := func(name string, full bool) {
		t.Helper()
		if prefix != "" && !branded[name] {
			return
		}
		var pic []byte
		capture := chromedp.CaptureScreenshot(&pic)
		if full {
			capture = chromedp.FullScreenshot(&pic, 100)
		}
		b.run(chromedp.Sleep(300*time.Millisecond), capture)
		if err := os.WriteFile(filepath.Join(dir, prefix+name+".png"), smallPNG(pic), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.open(f.portalLink(ten, "admin"))
	b.waitFor(`[data-banner="auto"]`, 5*time.Second)
	shot("tenant", true)

	b.open(f.h.url + "/dashboard/t/" + ten + "/endpoints/" + zap.ID)
	b.waitFor(`#delivery-log [data-status="failed"]`, 5*time.Second)
	shot("endpoint", true)

	b.open(f.h.url + "/dashboard/t/" + ten + "/deliveries/" + failedDlv)
	b.waitFor("#attempt-2", 5*time.Second)
	b.click("#attempt-2 details summary")
	shot("delivery", true)

	b.open(f.h.url + "/dashboard/t/" + ten + "/events")
	b.waitFor(".events", 5*time.Second)
	shot("events", true)

	b.open(f.h.url + "/dashboard/t/" + ten + "/events/" + failed.ID)
	b.waitFor(".deliveries", 5*time.Second)
	shot("event", true)

	b.open(f.h.url + "/dashboard/t/" + ten + "/endpoints/new")
	b.fill("#f-name", "Billing (Make scenario)")
	b.fill("#f-url", "http://127.0.0.1:9/make/hook")
	b.click(`input[name="subscribe"][value="chosen"]`)
	b.click(`input[name="event_types"][value="contact.created"]`)
	b.click(`input[name="event_types"][value="contact.updated"]`)
	b.fill(`input[name="header_name"]`, "Authorization")
	b.fill(`input[name="header_value"]`, "Bearer mk_live_4f9a")
	b.click("#f-advanced summary")
	b.fill("#f-retry_schedule", "1m, 5m, 15m")
	shot("form", true)
	b.clickAndWait("form.form button.primary", "#secret-dialog")
	shot("secret", true)

	// The portal on a phone, 390 px wide.
	b.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	b.open(f.h.url + "/dashboard/t/" + ten)
	b.waitFor(`[data-endpoint]`, 5*time.Second)
	shot("phone", false)
	b.run(chromedp.EmulateViewport(1280, 900))
	if prefix != "" {
		return
	}

	b.open(f.h.url + "/dashboard/login")
	b.fill("#api-key", f.h.key)
	b.clickAndWait("form button.primary", "h1")
	b.open(f.h.url + "/dashboard/event-types")
	b.click(`[id="type-contact.created"] details summary`)
	shot("catalogue", true)

	b.open(f.h.url + "/dashboard/tenants")
	b.waitFor("main", 5*time.Second)
	shot("tenants", true)

	b.open(f.h.url + "/dashboard/keys")
	b.waitFor("main", 5*time.Second)
	shot("keys", true)
}
