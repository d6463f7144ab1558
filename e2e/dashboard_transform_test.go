package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestDashboardTransformation: in a real browser, the endpoint form shows
// the stored transformation; its Test button (htmx) shows the request the
// script would send, a cancel, or the error of a script stopped at its
// bound, saving nothing; Save stores an edited script; the endpoint's log
// shows a cancelled delivery as such.
func TestDashboardTransformation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	rcv := newReceiver(t, 200)
	ep, _ := f.endpoint(ten, rcv.URL+"/in", map[string]any{"transformation": renameScript})
	b := newBrowser(t)
	b.open(f.portalLink(ten, "admin"))
	page := f.h.url + "/dashboard/t/" + ten + "/endpoints/" + ep.ID
	b.open(page)
	if got := b.text(".transformation pre"); got != renameScript {
		t.Errorf("the endpoint page shows the transformation as %q", got)
	}
	b.clickAndWait(`.transformation a[href$="/edit#transformation-test"]`, "#f-transformation")
	var shown string
	if b.eval(`document.querySelector("#f-transformation").value`, &shown); shown != renameScript {
		t.Fatalf("the form shows the transformation as %q", shown)
	}

	test := func(want string) string {
		t.Helper()
		b.click("#transformation-test button")
		var got string
		eventually(t, 10*time.Second, func() (bool, string) {
			b.eval(`document.querySelector("#transformation-result").innerText`, &got)
			return strings.Contains(got, want), "the test shows " + got + ", want " + want
		})
		return got
	}
	b.click("#transformation-test summary")
	b.fill("#f-transformation_sample", `{"type":"x","data":{"n":1,"user":"ada"}}`)
	got := test(`{"type":"x","data":{"n":1,"customer":"ada"}}`)
	if !strings.Contains(got, "X-Transformed: by-hookd") || !strings.Contains(got, rcv.URL+"/renamed?n=1") {
		t.Errorf("the test shows %q, want the header and the URL too", got)
	}
	b.fill("#f-transformation_sample", `{"data":{"n":3}}`)
	test("Cancelled")
	b.fill("#f-transformation", `function handler(w) { for (;;) {} }`)
	test("ran for longer than 50ms")
	if e := f.getEndpoint(ten, ep.ID); e.Transformation != renameScript {
		t.Errorf("testing changed the stored transformation to %q", e.Transformation)
	}

	// Save a script that cancels everything; a publish then ends cancelled in the log.
	b.fill("#f-transformation", `function handler(w) { w.cancel = true; return w }`)
	b.clickAndWait("form.form button.primary", "#delivery-log")
	if e := f.getEndpoint(ten, ep.ID); e.Transformation != `function handler(w) { w.cancel = true; return w }` {
		t.Fatalf("saved transformation %q", e.Transformation)
	}
	f.publish(ten, typeCreated, `{"n":1}`)
	b.open(page)
	b.waitFor(`#delivery-log [data-status="cancelled"]`, 10*time.Second)
	if !strings.Contains(b.text("#delivery-log"), "Cancelled by the transformation") {
		t.Errorf("the log shows %q", b.text("#delivery-log"))
	}
	if n := len(rcv.requests()); n != 0 {
		t.Errorf("the receiver got %d requests", n)
	}
}
