package e2e

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hookd/hookd/redis/redistest"
)

// redisUser adds a Redis user of the test's own (ACL), so that a login
// given in the dashboard is one Redis checks; deleted after the test.
func redisUser(t *testing.T, rdb *goredis.Client) (user, password string) {
	t.Helper()
	n := time.Now().UnixNano()
	user, password = fmt.Sprintf("hookd-e2e-%d", n), fmt.Sprintf("pw-%d", n)
	if err := rdb.Do(context.Background(), "ACL", "SETUSER", user, "on", ">"+password, "~*", "+@all").Err(); err != nil {
		t.Fatalf("create the Redis user: %v", err)
	}
	t.Cleanup(func() { rdb.Do(context.Background(), "ACL", "DELUSER", user) })
	return user, password
}

// visible reports whether the element matching sel is shown (not hidden
// by the destination picker).
func (b *browser) visible(sel string) bool {
	b.t.Helper()
	var shown bool
	b.eval(fmt.Sprintf(`document.querySelector(%q).offsetParent !== null`, sel), &shown)
	return shown
}

// pick chooses a destination type as a user does: select, then change.
func (b *browser) pick(typ string) {
	b.t.Helper()
	var ignored bool
	b.eval(fmt.Sprintf(`(s => { s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); return true })(document.getElementById("f-type"))`, typ), &ignored)
}

// TestDashboardDestinationRedis: in a real browser, on both stores, the
// add-endpoint form's picker shows the Redis Streams fields in place of the
// webhook's; a redis config with an http:// URL shows the error on the URL
// and saves nothing; the good one creates the endpoint, and an event
// published through the API lands on the real Redis stream with a signature
// the official Standard Webhooks library accepts. The edit form shows the
// type fixed and the password masked; saved so, the stored login is kept
// (the next event is published with it).
func TestDashboardDestinationRedis(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		t.Parallel()
		addr, stream, rdb := redistest.Stream(t)
		user, password := redisUser(t, rdb)
		host, _, _ := net.SplitHostPort(addr)
		c.strict = true // brokers reach private hosts only as allowed
		c.extraArgs = append(c.extraArgs, "--allow-destination-hosts", host)
		f := newFixture(t, c)
		ten := f.tenant()
		b := newBrowser(t)
		b.open(f.portalLink(ten, "admin"))
		b.clickAndWait(`a[href$="/endpoints/new"]`, "#f-type")

		if !b.visible("#f-url") || b.visible("#f-config\\.stream") {
			t.Error("a new endpoint's form does not start on the webhook's fields alone")
		}
		b.pick("redis")
		for sel, want := range map[string]bool{"#f-url": false, "#f-auth": false, "#f-config\\.url": true, "#f-config\\.stream": true,
			"#f-config\\.max_len": true, "#f-config\\.exchange": false, "#f-config\\.brokers": false, "#f-credentials\\.password": true} {
			if got := b.visible(sel); got != want {
				t.Errorf("with Redis Streams picked, %s shown: %v, want %v", sel, got, want)
			}
		}
		var hint string
		if b.eval(`document.getElementById("f-config.url").placeholder`, &hint); !strings.HasPrefix(hint, "redis://") {
			t.Errorf("the broker URL's placeholder is %q, want a redis:// example", hint)
		}
		b.fill("#f-name", "Stream of contacts")
		b.click(`input[name="subscribe"][value="all"]`)
		b.fill("#f-config\\.url", "http://"+addr+"/0")
		b.fill("#f-config\\.stream", stream)
		b.fill("#f-credentials\\.username", user)
		b.fill("#f-credentials\\.password", password)
		b.click("#f-advanced summary")
		b.fill("#f-retry_schedule", "1s, 1s, 1s")
		b.clickAndWait("form.form button.primary", "#error-summary")
		if got := b.text("#f-config\\.url-error"); !strings.Contains(got, "must use redis or rediss") {
			t.Errorf("the URL's error is %q", got)
		}
		if !b.visible("#f-config\\.stream") || b.visible("#f-url") {
			t.Error("the refused form is not shown on the Redis fields")
		}
		if eps := f.admin.do(t, "GET", "/v1/tenants/"+ten+"/endpoints", nil); !strings.Contains(string(eps.body), `"data":[]`) {
			t.Fatalf("the refused form saved an endpoint: %s", eps.body)
		}

		b.fill("#f-config\\.url", "redis://"+addr+"/0")
		b.clickAndWait("form.form button.primary", "#secret-dialog")
		secret := b.text("#secret-value")
		epID := b.pathID()
		b.click("#secret-dialog form button")
		wantURL := "redis://" + addr + "/0#" + stream
		if got := b.text(".destination-type dd"); got != "Redis Streams" {
			t.Errorf("the endpoint page shows the destination as %q", got)
		}
		if got := b.text("code.url"); got != wantURL || f.getEndpoint(ten, epID).URL != wantURL {
			t.Errorf("the endpoint page shows the URL %q, the API %q; want %q", got, f.getEndpoint(ten, epID).URL, wantURL)
		}
		if shown := b.text(".destination-config"); !strings.Contains(shown, "********") || strings.Contains(shown, password) {
			t.Errorf("the endpoint page shows the broker settings as %q, want the password masked", shown)
		}

		// readEvent waits for the event on the stream and verifies it.
		readEvent := func(eventID string) {
			t.Helper()
			eventually(t, 15*time.Second, func() (bool, string) {
				m, ok := redisMessages(t, rdb, stream)[eventID]
				if ok {
					m.verify(t, secret)
				}
				return ok, fmt.Sprintf("event %s not on the stream; deliveries: %+v", eventID, f.deliveries(ten, "?event="+eventID))
			})
		}
		// loggedIn checks that hookd's connection to Redis is the user's.
		loggedIn := func() {
			t.Helper()
			if clients, err := rdb.ClientList(context.Background()).Result(); err != nil || !strings.Contains(clients, " user="+user+" ") {
				t.Errorf("no Redis connection logged in as %s (%v)", user, err)
			}
		}
		readEvent(f.publish(ten, typeCreated, `{"n":1}`).ID)
		loggedIn()

		b.clickAndWait(`a[href$="/edit"]`, "#f-type")
		var state struct {
			Type     string
			Disabled bool
			Password string
			URL      string
		}
		b.eval(`(s => ({Type: s.value, Disabled: s.disabled, Password: document.getElementById("f-credentials.password").value,
			URL: document.getElementById("f-config.url").value}))(document.getElementById("f-type"))`, &state)
		if state.Type != "redis" || !state.Disabled || state.Password != "********" || state.URL != "redis://"+addr+"/0" {
			t.Errorf("the edit form shows %+v; want redis, not changeable, the password masked", state)
		}
		if b.visible("#f-url") || !b.visible("#f-config\\.stream") {
			t.Error("the edit form does not show the Redis fields alone")
		}
		b.fill("#f-config\\.max_len", "1000")
		b.clickAndWait("form.form button.primary", ".destination-type")
		if got := b.text(".destination-config"); !strings.Contains(got, `"max_len": 1000`) {
			t.Errorf("after the edit the endpoint page shows %q", got)
		}
		// hookd logs in again, with the kept password (the default user,
		// without one, would be logged in had the login been dropped).
		if err := rdb.Do(context.Background(), "CLIENT", "KILL", "USER", user).Err(); err != nil {
			t.Fatalf("close hookd's Redis connection: %v", err)
		}
		readEvent(f.publish(ten, typeCreated, `{"n":2}`).ID)
		loggedIn()
	})
}
