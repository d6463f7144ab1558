package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hookd/hookd/signature"
)

// exitCodeError ends the process with a code that scripts can test.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string { return e.err.Error() }

// Exit codes of hookd verify.
const (
	exitInvalid  = 1 // the signature does not verify
	exitBadInput = 2 // the command could not be run as given
)

// signatureFlags are shared by sign and verify.
type signatureFlags struct {
	Secret          []string `required:"" sep:"none" env:"HOOKD_SECRET" help:"Signing secret (whsec_...). Repeat for several (rotation)."`
	Scheme          string   `default:"standard" enum:"standard,timestamped,body" help:"Signature scheme: standard, timestamped or body."`
	SignatureHeader string   `default:"X-Hookd-Signature" help:"Signature header of the timestamped and body schemes."`
	Label           string   `default:"v1" help:"Label of the timestamped scheme's signatures (v1, s...)."`
}

type verifyCmd struct {
	signatureFlags
	Headers   string        `type:"existingfile" help:"File of received request headers, one 'Name: value' per line (as printed by curl -v or hookd sign). Lines that are not headers are skipped."`
	Header    []string      `short:"H" sep:"none" help:"A received header, 'Name: value'. Repeatable."`
	Tolerance time.Duration `default:"5m" help:"How far the signed timestamp may be from now (or --at), either way."`
	At        int64         `help:"Verify as of this unix time instead of now, e.g. to check an old delivery."`
}

func (c *verifyCmd) Help() string {
	return "Reads the request body from standard input, byte for byte. Exit status: 0 valid, 1 invalid (the message says why), 2 bad input."
}

func (c *verifyCmd) Run() error {
	scheme, _ := signature.ParseScheme(c.Scheme)
	h := http.Header{}
	if c.Headers != "" {
		f, err := os.Open(c.Headers)
		if err != nil {
			return &exitCodeError{exitBadInput, err}
		}
		defer f.Close()
		if err := readHeaders(f, h); err != nil {
			return &exitCodeError{exitBadInput, fmt.Errorf("--headers: %w", err)}
		}
	}
	for _, line := range c.Header {
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return &exitCodeError{exitBadInput, fmt.Errorf("--header %q: want 'Name: value'", line)}
		}
		h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	body, err := io.ReadAll(os.Stdin)
	if err != nil {
		return &exitCodeError{exitBadInput, fmt.Errorf("read body from standard input: %w", err)}
	}
	v := signature.Verifier{Scheme: scheme, Header: c.SignatureHeader, Label: c.Label, Tolerance: c.Tolerance}
	if c.At != 0 {
		at := time.Unix(c.At, 0)
		v.Now = func() time.Time { return at }
	}
	if err := v.Verify(h, body, c.Secret...); err != nil {
		return &exitCodeError{exitInvalid, fmt.Errorf("invalid: %w%s", err, hint(err, scheme))}
	}
	fmt.Printf("valid: %s signature over %d body bytes matches\n", scheme, len(body))
	return nil
}

// hint suggests the usual cause of each failure.
func hint(err error, scheme signature.Scheme) string {
	switch {
	case errors.Is(err, signature.ErrNoMatch):
		return "\nhint: check the secret, and that the body is the raw bytes received (not re-formatted JSON, no added newline)"
	case errors.Is(err, signature.ErrExpired):
		return "\nhint: the timestamp is too far from now; check the receiver's clock, or pass --at with the delivery's time"
	case errors.Is(err, signature.ErrMissingHeader) && scheme == signature.Standard:
		return "\nhint: the standard scheme needs webhook-id, webhook-timestamp and webhook-signature"
	}
	return ""
}

// readHeaders reads "Name: value" lines; curl -v's "< " and "> " prefixes
// are accepted, other lines skipped.
func readHeaders(r io.Reader, h http.Header) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimSpace(strings.TrimLeft(line, "<>"))
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			continue
		}
		h.Add(name, strings.TrimSpace(value))
	}
	return sc.Err()
}

type signCmd struct {
	signatureFlags
	ID        string `default:"msg_test" help:"The message id (webhook-id) to sign."`
	Timestamp int64  `help:"Unix time to sign at (default now)."`
}

func (c *signCmd) Help() string {
	return "Reads the body from standard input and prints the signature headers, one 'Name: value' per line, ready for curl -H or hookd verify --headers."
}

func (c *signCmd) Run() error {
	scheme, _ := signature.ParseScheme(c.Scheme)
	body, err := io.ReadAll(os.Stdin)
	if err != nil {
		return &exitCodeError{exitBadInput, fmt.Errorf("read body from standard input: %w", err)}
	}
	at := time.Now()
	if c.Timestamp != 0 {
		at = time.Unix(c.Timestamp, 0)
	}
	h := http.Header{}
	signer := signature.Signer{Scheme: scheme, Header: c.SignatureHeader, Label: c.Label}
	if err := signer.Sign(h, c.ID, at, body, c.Secret); err != nil {
		return &exitCodeError{exitBadInput, err}
	}
	return h.Write(os.Stdout)
}
