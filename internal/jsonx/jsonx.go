// Package jsonx writes JSON in the form JavaScript's
// JSON.stringify(JSON.parse(text)) gives it: compact, strings escaped only
// where JSON requires it (no HTML escaping), numbers in their shortest
// round-trip form. Receivers that verify a signature over a re-serialised
// body (a common mistake, and the only choice in some no-code tools) then
// still match what was signed.
//
// Objects keep their key order, except that keys which are array indexes
// ("0" to "4294967294" in canonical decimal) come first, in ascending
// numeric order, as JavaScript orders an object's properties.
//
// One difference from JavaScript is deliberate and documented: integers a
// float64 cannot hold exactly are kept as written (JavaScript would round
// them; a Go or Python receiver should not see altered digits). Duplicate
// keys are rejected because their meaning differs between parsers.
package jsonx

import (
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds nesting, so a hostile body cannot exhaust the stack.
const MaxDepth = 256

// checkDepth is Check's bound: encoding/json's own, so Check refuses no
// body for its depth that encoding/json accepted.
const checkDepth = 10000

// AppendNormalized appends the normalised form of the JSON value in src to
// dst. src must hold exactly one value, optionally surrounded by white space.
func AppendNormalized(dst, src []byte) ([]byte, error) {
	p := parser{src: src, maxDepth: MaxDepth}
	return p.document(dst)
}

// Check reports the first thing in the JSON text src that the normaliser
// would refuse for its content rather than its form: invalid UTF-8 in a
// string, or a key given twice in one object, at any depth. It also checks
// the syntax, but converts no number and nests up to encoding/json's
// bound. The error is a *SyntaxError whose Path names the place. Its cost is
// linear in len(src), and it keeps no more than the longest string.
func Check(src []byte) error {
	p := parser{src: src, maxDepth: checkDepth, scan: true}
	_, err := p.document(nil)
	return err
}

type parser struct {
	src      []byte
	pos      int
	maxDepth int
	// scan: Check's mode, which wants the verdict and not the output.
	scan bool
	// members is a stack of the output offsets of the members of the
	// objects being read, outermost first: where each member starts and
	// where its key ends.
	members []int
	// moves lists the objects whose members are out of JavaScript's order;
	// render writes them in order once the whole value is read. spans
	// holds their members in that order; indexed and named are scratch.
	moves          []reordered
	spans          []span
	indexed, named []member
}

func (p *parser) document(dst []byte) ([]byte, error) {
	base := len(dst)
	p.skipSpace()
	out, err := p.value(dst, 0)
	if err != nil {
		var e *SyntaxError
		if errors.As(err, &e) {
			e.Path = pathOf(e.steps)
		}
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, p.errorf("unexpected data after the JSON value")
	}
	if len(p.moves) > 0 {
		out = p.render(out, base)
	}
	return out, nil
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(dst []byte, depth int) ([]byte, error) {
	if depth > p.maxDepth {
		return nil, p.errorf("nested deeper than %d levels", p.maxDepth)
	}
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end of input")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(dst, depth)
	case c == '[':
		return p.array(dst, depth)
	case c == '"':
		return p.string(dst)
	case c == '-' || c >= '0' && c <= '9':
		return p.number(dst)
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(p.src)-p.pos >= len(lit) && string(p.src[p.pos:p.pos+len(lit)]) == lit {
				p.pos += len(lit)
				return append(dst, lit...), nil
			}
		}
		return nil, p.errorf("unexpected character %q", c)
	}
}

func (p *parser) object(dst []byte, depth int) ([]byte, error) {
	p.pos++ // {
	dst = append(dst, '{')
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return append(dst, '}'), nil
	}
	var seen keySet
	base := len(p.members) // p.members[base:] are this object's; an error ends the parse
	indexes := false       // a key is an array index, so the members move
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return nil, p.errorf("expected a string key")
		}
		start := len(dst)
		var err error
		if dst, err = p.string(dst); err != nil {
			return nil, err
		}
		keyEnd := len(dst)
		literal := dst[start:keyEnd]
		// The key names the place of an error; dst keeps it until the
		// value is read, in scan mode too.
		if seen.add(literal) {
			return nil, inside(p.errorf("duplicate key %s", literal), string(literal[1:len(literal)-1]), -1)
		}
		if !p.scan {
			p.members = append(p.members, start, keyEnd)
			_, isIndex := arrayIndex(literal)
			indexes = indexes || isIndex
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.errorf("expected ':' after a key")
		}
		p.pos++
		dst = append(dst, ':')
		p.skipSpace()
		out, err := p.value(dst, depth+1)
		if err != nil {
			return nil, inside(err, string(dst[start+1:keyEnd-1]), -1)
		}
		dst = out
		if p.scan {
			dst = dst[:start] // only the verdict is wanted
		}
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errorf("unexpected end of input in an object")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
			dst = append(dst, ',')
		case '}':
			p.pos++
			if indexes {
				p.order(dst, p.members[base:])
			}
			p.members = p.members[:base]
			return append(dst, '}'), nil
		default:
			return nil, p.errorf("expected ',' or '}' in an object")
		}
	}
}

func (p *parser) array(dst []byte, depth int) ([]byte, error) {
	p.pos++ // [
	dst = append(dst, '[')
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return append(dst, ']'), nil
	}
	for i := 0; ; i++ {
		p.skipSpace()
		start := len(dst)
		var err error
		if dst, err = p.value(dst, depth+1); err != nil {
			return nil, inside(err, "", i)
		}
		if p.scan {
			dst = dst[:start]
		}
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errorf("unexpected end of input in an array")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
			dst = append(dst, ',')
		case ']':
			p.pos++
			return append(dst, ']'), nil
		default:
			return nil, p.errorf("expected ',' or ']' in an array")
		}
	}
}

const hexDigits = "0123456789abcdef"

// string re-encodes a string literal the way JSON.stringify writes it.
func (p *parser) string(dst []byte) ([]byte, error) {
	p.pos++ // opening quote
	dst = append(dst, '"')
	for {
		if p.pos >= len(p.src) {
			return nil, p.errorf("unterminated string")
		}
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return append(dst, '"'), nil
		case c == '\\':
			r, err := p.escape()
			if err != nil {
				return nil, err
			}
			dst = appendRune(dst, r)
		case c < 0x20:
			return nil, p.errorf("control character in a string")
		case c < utf8.RuneSelf:
			p.pos++
			dst = append(dst, c)
		default:
			r, size := utf8.DecodeRune(p.src[p.pos:])
			if r == utf8.RuneError && size == 1 {
				return nil, p.errorf("invalid UTF-8 in a string")
			}
			dst = append(dst, p.src[p.pos:p.pos+size]...)
			p.pos += size
		}
	}
}

// escape decodes one escape sequence. A lone surrogate comes back as itself
// (an invalid rune), which appendRune writes as \uXXXX, as JavaScript does.
func (p *parser) escape() (rune, error) {
	if p.pos+1 >= len(p.src) {
		return 0, p.errorf("unterminated escape")
	}
	c := p.src[p.pos+1]
	p.pos += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		r, err := p.hex4()
		if err != nil {
			return 0, err
		}
		if utf16.IsSurrogate(r) && r < 0xDC00 && p.pos+1 < len(p.src) && p.src[p.pos] == '\\' && p.src[p.pos+1] == 'u' {
			save := p.pos
			p.pos += 2
			lo, err := p.hex4()
			if err == nil {
				if full := utf16.DecodeRune(r, lo); full != utf8.RuneError {
					return full, nil
				}
			}
			p.pos = save
		}
		return r, nil
	}
	return 0, p.errorf("invalid escape \\%c", c)
}

func (p *parser) hex4() (rune, error) {
	if p.pos+4 > len(p.src) {
		return 0, p.errorf("short \\u escape")
	}
	v, err := strconv.ParseUint(string(p.src[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, p.errorf("invalid \\u escape")
	}
	p.pos += 4
	return rune(v), nil
}

func appendRune(dst []byte, r rune) []byte {
	switch r {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	if r < 0x20 || utf16.IsSurrogate(r) {
		return append(dst, '\\', 'u', hexDigits[r>>12&15], hexDigits[r>>8&15], hexDigits[r>>4&15], hexDigits[r&15])
	}
	return utf8.AppendRune(dst, r)
}

var errNumber = errors.New("invalid number")

// number writes a number the way JavaScript prints it, except integers a
// float64 cannot hold exactly, which stay as written.
func (p *parser) number(dst []byte) ([]byte, error) {
	start := p.pos
	integer := true
	if p.src[p.pos] == '-' {
		p.pos++
	}
	digits := p.pos
	switch {
	case p.pos < len(p.src) && p.src[p.pos] == '0':
		p.pos++
	case p.pos < len(p.src) && p.src[p.pos] >= '1' && p.src[p.pos] <= '9':
		p.skipDigits()
	default:
		return nil, p.errorf("%v", errNumber)
	}
	intDigits := p.pos - digits
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		integer = false
		p.pos++
		if !p.skipDigits() {
			return nil, p.errorf("%v: digits expected after '.'", errNumber)
		}
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		integer = false
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		if !p.skipDigits() {
			return nil, p.errorf("%v: digits expected in the exponent", errNumber)
		}
	}
	lit := p.src[start:p.pos]
	if p.scan {
		return dst, nil // Check converts no number
	}
	if integer && intDigits <= 15 {
		if string(lit) == "-0" {
			return append(dst, '0'), nil
		}
		return append(dst, lit...), nil // already in shortest form
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil || math.IsInf(f, 0) {
		if integer {
			return append(dst, lit...), nil
		}
		return nil, p.errorf("number %s is out of range", lit)
	}
	if integer && string(strconv.AppendFloat(nil, math.Abs(f), 'f', -1, 64)) != string(p.src[digits:p.pos]) {
		return append(dst, lit...), nil // a float64 would change its digits
	}
	return appendFloat(dst, f), nil
}

func (p *parser) skipDigits() bool {
	start := p.pos
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
	}
	return p.pos > start
}

// appendFloat formats like ECMAScript's Number::toString.
func appendFloat(dst []byte, f float64) []byte {
	if f == 0 {
		return append(dst, '0') // also -0, as JavaScript prints it
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// Go writes e-07 where JavaScript writes e-7.
		b := dst[start:]
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}

// AppendString appends s as a JSON string literal, escaped as JSON.stringify does.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for _, r := range s {
		dst = appendRune(dst, r)
	}
	return append(dst, '"')
}

// AppendEnvelope appends hookd's default delivery body around data, which
// must already be normalised: {"id","type","timestamp","data"}, compact.
func AppendEnvelope(dst []byte, id, eventType string, at time.Time, data []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = AppendString(dst, id)
	dst = append(dst, `,"type":`...)
	dst = AppendString(dst, eventType)
	dst = append(dst, `,"timestamp":"`...)
	dst = at.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	dst = append(dst, `","data":`...)
	dst = append(dst, data...)
	return append(dst, '}')
}
