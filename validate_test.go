package hookd

import "testing"

func TestCheckHeadersRefusesWhatCannotBeSent(t *testing.T) {
	for name, value := range map[string]string{"X-Bell": "a\x07b", "X-Del": "a\x7fb", "X-Line": "a\nb", "Content-Type": "text/plain", "Webhook-Id": "x", "Bad Name": "x"} {
		var v Validation
		CheckHeaders(&v, "headers", map[string]string{name: value}, []string{"webhook-"})
		if v.Err() == nil {
			t.Errorf("%q: %q accepted", name, value)
		}
	}
	var v Validation
	CheckHeaders(&v, "headers", map[string]string{"Authorization": "Bearer a\tb", "X-Api-Key": "ünïcode"}, []string{"webhook-"})
	if err := v.Err(); err != nil {
		t.Errorf("valid headers refused: %v", err)
	}
}
