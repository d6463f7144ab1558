package hookd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
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

// FuzzCheckEndpointURL: a URL that passes is one the dispatcher can send
// to, is storable text, and is public unless private targets are allowed.
func FuzzCheckEndpointURL(f *testing.F) {
	for _, s := range []string{"https://example.com/webhooks?x=1", "http://127.0.0.1:8080/h", "https://[::ffff:10.0.0.1]/",
		"https://user:pw@example.com/", "https://example.com/#f", "https://api.localhost./", "https://100.64.0.1/",
		"https://[fe80::1%25eth0]/", "https://0x7f000001/", "https://example.com:99999/", "https://exa mple.com/",
		"https://example.com/\x00", "https://\xff.com/", "https:example.com", "//example.com/x", "HTTPS://EXAMPLE.COM"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, allowPrivate bool) {
		var v Validation
		CheckEndpointURL(&v, "url", raw, allowPrivate)
		if v.Err() != nil {
			return
		}
		if len(raw) > MaxURLLength || textProblem(raw) != "" {
			t.Fatalf("%q accepted: over the limit or not storable text", raw)
		}
		req, err := http.NewRequest(http.MethodPost, raw, nil)
		if err != nil {
			t.Fatalf("%q accepted, but a request to it cannot be made: %v", raw, err)
		}
		if req.URL.User != nil || req.URL.Fragment != "" || req.URL.Hostname() == "" {
			t.Fatalf("%q accepted with credentials, a fragment or no host", raw)
		}
		if allowPrivate {
			return
		}
		if req.URL.Scheme != "https" {
			t.Fatalf("%q accepted without https", raw)
		}
		host := strings.TrimSuffix(strings.ToLower(req.URL.Hostname()), ".")
		if addr, err := netip.ParseAddr(host); err == nil && !PublicAddr(addr) {
			t.Fatalf("%q accepted: %s is not public", raw, addr)
		}
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			t.Fatalf("%q accepted: localhost", raw)
		}
		var loose Validation
		if CheckEndpointURL(&loose, "url", raw, true); loose.Err() != nil {
			t.Fatalf("%q passes the strict check but not the loose one: %v", raw, loose.Err())
		}
	})
}

// FuzzCheckHeaders: headers that pass go out on the wire exactly as given,
// one value per name, and none of them is hookd's own.
func FuzzCheckHeaders(f *testing.F) {
	f.Add("X-Token", "a", "x-token", "b")
	f.Add("Authorization", "Bearer a\tb", "X-Api-Key", "ünïcode")
	f.Add("Content-Type", "x", "Webhook-Id", "y")
	f.Add("X-A", " padded ", "X-B", "a\r\nX-Injected: 1")
	f.Add("X A", "v", "", "v")
	f.Add("Host", "evil", "Transfer-Encoding", "chunked")
	f.Add("X-\xff", "v", "X-Nul", "a\x00b")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2 string) {
		h := map[string]string{n1: v1, n2: v2}
		var v Validation
		CheckHeaders(&v, "headers", h, []string{"webhook-", "x-hookd-"})
		if v.Err() != nil {
			return
		}
		if n1 != n2 && strings.EqualFold(n1, n2) {
			t.Fatalf("%q and %q accepted together", n1, n2)
		}
		req, err := http.NewRequest(http.MethodPost, "http://receiver.test/", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		for name, value := range h {
			canon := http.CanonicalHeaderKey(name)
			if reservedHeaders[canon] || strings.HasPrefix(strings.ToLower(name), "webhook-") || strings.HasPrefix(strings.ToLower(name), "x-hookd-") {
				t.Fatalf("%q accepted: hookd sets it", name)
			}
			if len(name) > MaxHeaderNameLength || len(value) > MaxHeaderValueLength || textProblem(value) != "" {
				t.Fatalf("%q: %q accepted beyond the limits or not storable", name, value)
			}
			req.Header.Set(name, value)
		}
		var wire bytes.Buffer
		if err := req.Write(&wire); err != nil {
			t.Fatalf("accepted headers %q cannot be sent: %v", h, err)
		}
		got, err := http.ReadRequest(bufio.NewReader(&wire))
		if err != nil {
			t.Fatalf("accepted headers %q make an unreadable request: %v", h, err)
		}
		for name, value := range h {
			// A receiver sees the value without the white space around it.
			if vs := got.Header.Values(name); len(vs) != 1 || vs[0] != strings.Trim(value, " \t") {
				t.Fatalf("header %q: sent %q, received %q", name, value, vs)
			}
		}
		got.Header.Del("User-Agent") // what net/http adds; both are reserved
		got.Header.Del("Content-Length")
		if len(got.Header) != len(req.Header) {
			t.Fatalf("sent %d headers %q, received %d: %q", len(req.Header), req.Header, len(got.Header), got.Header)
		}
	})
}

func TestCheckChannels(t *testing.T) {
	many := make([]string, MaxChannels+1)
	for i := range many {
		many[i] = fmt.Sprintf("c%d", i)
	}
	for name, c := range map[string][]string{"too many": many, "bad name": {"-x"}, "twice": {"eu", "eu"}, "empty name": {""}} {
		var v Validation
		CheckChannels(&v, "channels", c)
		if v.Err() == nil {
			t.Errorf("%s: %q accepted", name, c)
		}
	}
	var v Validation
	CheckChannels(&v, "channels", []string{"eu", "tenant:42.orders"})
	CheckChannels(&v, "channels", nil)
	if err := v.Err(); err != nil {
		t.Errorf("valid channels refused: %v", err)
	}
}

// TestRenameField: a field and its parts are renamed, a longer name that
// merely starts the same is not.
func TestRenameField(t *testing.T) {
	var v Validation
	v.Add("event_types", "a")
	v.Add("event_types[1]", "b")
	v.Add("event_types_x", "c")
	var e *Error
	if !errors.As(RenameField(v.Err(), "event_types", "filterTypes"), &e) {
		t.Fatal("not a domain error")
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
	}
	if want := []string{"filterTypes", "filterTypes[1]", "event_types_x"}; !slices.Equal(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
}
