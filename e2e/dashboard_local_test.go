package e2e

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDashboardDevelopLocally is an endpoint owner on the portal's
// "Develop locally" page in the real Chromium: they mint a CLI token, copy
// the hookd listen command it shows and run it as a real process (only
// --forward-to pointed at their receiver), see the session listed apart
// from the endpoints, run the hookd trigger command the page shows and get
// the event locally, send another with the session's "Send test event",
// and revoke the token, after which hookd trigger with it is refused.
func TestDashboardDevelopLocally(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	laptop := newFlakyReceiver(t, false)
	b := newBrowser(t)

	b.open(f.portalLink(ten, "admin"))
	b.clickAndWait(`nav a[href$="/local"]`, "#t-name")
	if !b.has(".empty") {
		t.Errorf("a new tenant's Develop locally page shows sessions or tokens:\n%s", b.bodyText())
	}
	b.fill("#t-name", "Ada's laptop")
	b.clickAndWait(`form[action$="/local/tokens"] button`, "#listen-command")
	command, triggerCommand := b.text("#listen-command"), b.text("#trigger-command")
	args := strings.Fields(command)
	if len(args) < 3 || args[0] != "hookd" || args[1] != "listen" || !strings.Contains(command, "--server "+f.h.url) {
		t.Fatalf("the page shows %q, want a hookd listen command line for %s", command, f.h.url)
	}
	for i := range args {
		if i > 0 && args[i-1] == "--forward-to" {
			args[i] = laptop.URL + "/webhooks"
		}
	}
	listen := exec.Command(hookdBin, args[1:]...)
	listen.Env = append(cleanEnv(), "XDG_CONFIG_HOME="+t.TempDir(), "HOME="+t.TempDir())
	var out lineBuffer
	listen.Stdout, listen.Stderr = &out, &out
	if err := listen.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = listen.Process.Kill(); _ = listen.Wait() })
	var session string
	eventually(t, 20*time.Second, func() (bool, string) {
		if m := sessionLine.FindStringSubmatch(out.String()); m != nil {
			session = m[1]
		}
		return session != "", "hookd listen with the page's command did not get ready:\n" + out.String()
	})

	// The token is shown once; the session is listed here, not among endpoints.
	b.open(f.h.url + "/dashboard/t/" + ten + "/local")
	if b.has("#listen-command") {
		t.Errorf("the token's command is shown again on reload")
	}
	b.waitFor("#session-"+session, 5*time.Second)
	if got := b.text("#session-" + session); !strings.Contains(got, "test events only") {
		t.Errorf("the session card says %q, want it to say it gets test events only", got)
	}
	b.open(f.h.url + "/dashboard/t/" + ten)
	if strings.Contains(b.bodyText(), "hookd listen") {
		t.Errorf("the tenant's endpoint list shows the local session:\n%s", b.bodyText())
	}

	// The page's trigger command reaches the laptop.
	targs := strings.Fields(triggerCommand)
	if len(targs) < 3 || targs[1] != "trigger" || targs[2] != typeCreated {
		t.Fatalf("the page shows %q, want a hookd trigger command of %s", triggerCommand, typeCreated)
	}
	if code, got := runCLI(t, targs[1:]...); code != 0 {
		t.Fatalf("%s: exit %d\n%s", triggerCommand, code, got)
	}
	eventually(t, 20*time.Second, func() (bool, string) {
		return len(laptop.deliveries()) == 1, "the laptop did not get the triggered event:\n" + out.String()
	})

	// "Send test event" on the session's card.
	b.open(f.h.url + "/dashboard/t/" + ten + "/local")
	b.clickAndWait(`#session-`+session+` form button`, ".flash")
	eventually(t, 20*time.Second, func() (bool, string) {
		return len(laptop.deliveries()) == 2, "the laptop did not get the dashboard's test event"
	})

	// Revoke: the token stops working.
	b.clickAndWait(`form[action*="/local/tokens/"] button`, ".flash")
	if b.has(`form[action*="/local/tokens/"]`) {
		t.Errorf("the revoked token is still listed:\n%s", b.bodyText())
	}
	if code, got := runCLI(t, targs[1:]...); code == 0 || !strings.Contains(got, "401") {
		t.Errorf("hookd trigger with the revoked token: exit %d\n%s", code, got)
	}
}
