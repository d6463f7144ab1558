package hookd

import (
	"strings"
	"testing"
	"time"
)

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

func TestCheckTextEverywhere(t *testing.T) {
	for _, s := range []string{"a\x00b", "a\xffb", "\xc3", "\xed\xa0\x80"} { // the last: an encoded surrogate
		checks := map[string]func(v *Validation){
			"name":            func(v *Validation) { CheckName(v, "f", s) },
			"description":     func(v *Validation) { CheckDescription(v, "f", s) },
			"url":             func(v *Validation) { CheckEndpointURL(v, "f", "https://example.com/"+s, false) },
			"header value":    func(v *Validation) { CheckHeaders(v, "f", map[string]string{"X-A": s}, nil) },
			"idempotency key": func(v *Validation) { CheckIdempotencyKey(v, "f", s) },
		}
		for what, check := range checks {
			var v Validation
			check(&v)
			if v.Err() == nil {
				t.Errorf("%s %q accepted", what, s)
			}
		}
	}
	var v Validation
	CheckName(&v, "f", "Zoë 🚀")
	CheckDescription(&v, "f", "line one\nline two\ttab")
	CheckIdempotencyKey(&v, "f", "order-42 ünïcode")
	if err := v.Err(); err != nil {
		t.Errorf("valid text refused: %v", err)
	}
}

func TestCheckHeadersNamesCaseTwins(t *testing.T) {
	var v Validation
	CheckHeaders(&v, "headers", map[string]string{"X-Token": "a", "x-token": "b", "X-TOKEN": "c", "X-Other": "d"}, nil)
	err, _ := v.Err().(*Error)
	if err == nil || len(err.Fields) != 2 || err.Fields[0].Field != "headers.X-Token" || err.Fields[1].Field != "headers.x-token" {
		t.Fatalf("got %+v, want headers.X-Token and headers.x-token named (X-TOKEN, first in order, kept)", err)
	}
}

func TestCheckHeadersBoundsNames(t *testing.T) {
	name := "X-" + strings.Repeat("a", MaxHeaderNameLength-2)
	var ok Validation
	CheckHeaders(&ok, "headers", map[string]string{name: "v"}, nil)
	if err := ok.Err(); err != nil {
		t.Errorf("a %d-character name refused: %v", len(name), err)
	}
	var v Validation
	CheckHeaders(&v, "headers", map[string]string{name + "a" + strings.Repeat("b", 5000): "v"}, nil)
	err, _ := v.Err().(*Error)
	if err == nil || len(err.Fields[0].Field) > 100 {
		t.Fatalf("an over-long name: %+v; want refused, named shortly", err)
	}
}

func TestCheckTimeoutDoesNotWrap(t *testing.T) {
	for _, n := range []int64{1<<55 + 30, -1<<63 + 1, 1<<63 - 1, 0, 61} {
		var v Validation
		if d := CheckTimeout(&v, "t", n); v.Err() == nil || d != 0 {
			t.Errorf("CheckTimeout(%d) = %s, %v; want refused", n, d, v.Err())
		}
	}
	var v Validation
	if d := CheckTimeout(&v, "t", 30); d != 30*time.Second || v.Err() != nil {
		t.Errorf("CheckTimeout(30) = %s, %v", d, v.Err())
	}
}
