package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Signer signs outgoing deliveries. It is a plain value so the delivery
// engine can build one per endpoint from configuration without setup.
type Signer struct {
	Scheme Scheme
	// Header is where Timestamped and Body put the signature;
	// DefaultHeader when empty. Standard always uses the webhook-* headers.
	Header string
	// Label names each Timestamped entry; DefaultLabel ("v1") when empty.
	// Some products use "s".
	Label string
}

// Sign sets the signature headers on h for one delivery attempt. msgID is
// the event id (sent as webhook-id for Standard, so receivers can
// de-duplicate), ts the attempt time, and secrets the endpoint's secrets,
// newest first; during rotation Standard and Timestamped sign with each so
// receivers on either secret keep verifying. On error h is left unchanged.
//
// Sign runs on every attempt, so it builds headers in pooled buffers and
// feeds the body to the HMAC directly rather than copying it.
func (s Signer) Sign(h http.Header, msgID string, ts time.Time, body []byte, secrets []string) error {
	if len(secrets) == 0 {
		return ErrNoSecret
	}
	switch s.Scheme {
	case Standard, Timestamped, Body:
	default:
		return unknownScheme(s.Scheme)
	}
	sc := getScratch()
	defer putScratch(sc)
	switch s.Scheme {
	case Standard:
		return sc.signStandard(h, msgID, ts.Unix(), body, secrets)
	case Timestamped:
		label := s.Label
		if label == "" {
			label = DefaultLabel
		}
		if err := validLabel(label); err != nil {
			return err
		}
		return sc.signTimestamped(h, headerName(s.Header), label, ts.Unix(), body, secrets)
	default: // Body
		return sc.signBody(h, headerName(s.Header), body, secrets[0])
	}
}

func (sc *scratch) signStandard(h http.Header, msgID string, unix int64, body []byte, secrets []string) error {
	if err := checkMsgID(msgID); err != nil {
		return err
	}
	// out holds the timestamp then the signature list, so both header
	// values come from a single string allocation.
	out := strconv.AppendInt(sc.out[:0], unix, 10)
	tsLen := len(out)
	sc.msg = append(append(append(append(sc.msg[:0], msgID...), '.'), out...), '.')
	for i, secret := range secrets {
		key, err := sc.standardKey(secret)
		if err != nil {
			return fmt.Errorf("%w (secret #%d)", err, i+1)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write(sc.msg)
		mac.Write(body)
		sc.sum = mac.Sum(sc.sum[:0])
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, "v1,"...)
		out = base64.StdEncoding.AppendEncode(out, sc.sum)
	}
	sc.out = out
	both := string(out)
	vals := make([]string, 3) // one backing array for the three headers
	vals[0], vals[1], vals[2] = msgID, both[:tsLen], both[tsLen:]
	h[headerID] = vals[0:1:1]
	h[headerTimestamp] = vals[1:2:2]
	h[headerSignature] = vals[2:3:3]
	return nil
}

func (sc *scratch) signTimestamped(h http.Header, header, label string, unix int64, body []byte, secrets []string) error {
	out := append(sc.out[:0], "t="...)
	out = strconv.AppendInt(out, unix, 10)
	sc.msg = append(append(sc.msg[:0], out[2:]...), '.')
	for i, secret := range secrets {
		if secret == "" {
			return fmt.Errorf("%w: secret #%d is empty", ErrBadFormat, i+1)
		}
		sc.sum = sc.mac(secret, sc.msg, body)
		out = append(append(append(out, ','), label...), '=')
		out = hex.AppendEncode(out, sc.sum)
	}
	sc.out = out
	h.Set(header, string(out))
	return nil
}

func (sc *scratch) signBody(h http.Header, header string, body []byte, secret string) error {
	if secret == "" {
		return fmt.Errorf("%w: secret #1 is empty", ErrBadFormat)
	}
	sc.sum = sc.mac(secret, nil, body)
	sc.out = hex.AppendEncode(sc.out[:0], sc.sum)
	h.Set(header, string(sc.out))
	return nil
}

// mac is HMAC-SHA256 of prefix||body keyed with the whole secret string, as
// Timestamped and Body use it. The result aliases sc.sum.
func (sc *scratch) mac(secret string, prefix, body []byte) []byte {
	sc.src = append(sc.src[:0], secret...) // avoids a []byte(secret) allocation
	mac := hmac.New(sha256.New, sc.src)
	mac.Write(prefix)
	mac.Write(body)
	return mac.Sum(sc.sum[:0])
}

func headerName(h string) string {
	if h == "" {
		return DefaultHeader
	}
	return h
}

// checkMsgID refuses ids that cannot survive the trip as a header value:
// control characters are rejected by HTTP stacks, and receivers' servers
// strip surrounding white space, which would break the signature.
func checkMsgID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty message id", ErrBadFormat)
	}
	if id[0] == ' ' || id[0] == '\t' || id[len(id)-1] == ' ' || id[len(id)-1] == '\t' {
		return fmt.Errorf("%w: message id %q has surrounding white space", ErrBadFormat, id)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return fmt.Errorf("%w: message id %q contains a control character", ErrBadFormat, id)
		}
	}
	return nil
}

// scratch holds per-call buffers; pooling them keeps Sign's allocations to
// the header strings and what crypto/hmac needs.
type scratch struct {
	msg []byte // signed prefix: "<id>.<ts>." or "<ts>."
	src []byte // secret text (key material)
	key []byte // decoded Standard key (key material)
	sum []byte
	out []byte
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(sc *scratch) {
	// Do not leave key material lying in pooled memory.
	clear(sc.src[:cap(sc.src)])
	clear(sc.key[:cap(sc.key)])
	if cap(sc.msg) > 4<<10 || cap(sc.out) > 4<<10 || cap(sc.src) > 4<<10 || cap(sc.key) > 4<<10 {
		return // an outlier; let it be collected rather than pinned
	}
	scratchPool.Put(sc)
}

// standardKey decodes a whsec_<base64> secret into sc.key.
func (sc *scratch) standardKey(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: secret does not start with %q", ErrBadFormat, SecretPrefix)
	}
	sc.src = append(sc.src[:0], rest...)
	n := base64.StdEncoding.DecodedLen(len(sc.src))
	if cap(sc.key) < n {
		sc.key = make([]byte, n)
	}
	n, err := base64.StdEncoding.Decode(sc.key[:cap(sc.key)], sc.src)
	if err != nil {
		return nil, fmt.Errorf("%w: secret after %q is not standard base64", ErrBadFormat, SecretPrefix)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: secret has an empty key", ErrBadFormat)
	}
	sc.key = sc.key[:n]
	return sc.key, nil
}
