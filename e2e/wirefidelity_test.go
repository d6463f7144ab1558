package e2e

import (
	"os/exec"
	"testing"
)

// TestEnvelopeSurvivesJavaScript publishes data whose keys look like array
// indexes, nested and around 2^32-2, and checks what a receiver that
// verifies JSON.stringify(JSON.parse(body)) sees: node, run on the bytes
// that arrived, gives the same bytes back, so the signature still matches.
func TestEnvelopeSurvivesJavaScript(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	onStores(t, func(t *testing.T, c config) {
		t.Parallel()
		f := newFixture(t, c)
		ten := f.tenant()
		rcv := newReceiver(t, 200)
		_, secret := f.endpoint(ten, rcv.URL, nil)
		data := `{"b":1,"2":"x","1":"y","nested":{"z":[{"10":0,"9":1,"a":2}],"4294967295":"not an index",` +
			`"4294967294":"the last index","0":"first","01":"named","-1":"named","1.0":"named"}}`
		ev := f.publish(ten, typeCreated, data)
		q := rcv.waitRequests(t, 1)[0]
		if q.header.Get("webhook-id") != ev.ID {
			t.Fatalf("got event %s, want %s", q.header.Get("webhook-id"), ev.ID)
		}
		again, err := exec.Command(node, "-e", "process.stdout.write(JSON.stringify(JSON.parse(process.argv[1])))", string(q.body)).Output()
		if err != nil {
			t.Fatalf("node: %v", err)
		}
		if string(again) != string(q.body) {
			t.Errorf("JavaScript re-serialises the body differently:\n sent %s\n node %s", q.body, again)
		}
		q.body = again
		verify(t, secret, q)
	})
}
