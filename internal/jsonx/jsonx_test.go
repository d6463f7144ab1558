package jsonx

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendNormalized(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{ "a" : 1 , "b":[1, 2,{"c":null}] }`, `{"a":1,"b":[1,2,{"c":null}]}`},
		{`"<a href=\"x\">&amp;</a>"`, `"<a href=\"x\">&amp;</a>"`},
		{`"\u003cb\u003e \/ \u00e9 é"`, `"<b> / é é"`},
		{`"tab\there\u0001"`, `"tab\there\u0001"`},
		{`"\ud83d\ude00 \ud800"`, `"😀 \ud800"`},
		{"\"\u2028\"", "\"\u2028\""},
		{`[1.0, 1.50, 1e3, 1E-7, -0, 0.1, 1e21, 123456789.125]`, `[1,1.5,1000,1e-7,0,0.1,1e+21,123456789.125]`},
		{`[9007199254740993, 12345678901234567890123, 10000000000000000]`, `[9007199254740993,12345678901234567890123,10000000000000000]`},
		{`true`, `true`},
		{` {} `, `{}`},
		// JavaScript's property order: array indexes first, ascending.
		{`{"b":1,"2":"x","1":"y"}`, `{"1":"y","2":"x","b":1}`},
		{`{"a":{"y":[{"9":0,"10":1}],"0":{"k":1,"1":2}}}`, `{"a":{"0":{"1":2,"k":1},"y":[{"9":0,"10":1}]}}`},
		{`{"4294967295":1,"4294967294":2,"01":3,"-1":4,"1.0":5}`, `{"4294967294":2,"4294967295":1,"01":3,"-1":4,"1.0":5}`},
		{`{"\u0031":"one","a":"\u0030","0":"zero"}`, `{"0":"zero","1":"one","a":"0"}`},
	}
	for _, c := range cases {
		got, err := AppendNormalized(nil, []byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestAppendNormalizedRejects(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a":1,"a":2}`, `[1,]`, `01`, `1.`, `"\x"`, "\"\xff\"", `{"a" 1}`, `nul`, `1 2`, `"a`, "\"\n\""} {
		if _, err := AppendNormalized(nil, []byte(in)); err == nil {
			t.Errorf("accepted %q", in)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct{ in, path, msg string }{
		{`{"a":1,"b":{"c":[0,{"d":"x","d":"y"}]}}`, "b.c[1].d", "duplicate key"},
		{"{\"name\":\"a\xffb\"}", "name", "invalid UTF-8"},
		{"[1,[2,\"\xfe\"]]", "[1][1]", "invalid UTF-8"},
		{`{"a":1,"\u0061":2}`, "a", "duplicate key"},
		{`{"a":`, "a", "unexpected end"},
	} {
		err := Check([]byte(c.in))
		var e *SyntaxError
		if !errors.As(err, &e) || e.Path != c.path || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("Check(%q) = %v, want %q at %q", c.in, err, c.msg, c.path)
		}
	}
	// What encoding/json accepts and the normaliser would refuse or change
	// for its numbers or depth passes: Check judges content only.
	deep := strings.Repeat("[", 1000) + strings.Repeat("]", 1000)
	for _, in := range []string{`{"n":1e400,"m":-0,"big":123456789012345678901234567890}`, deep, `{"s":"\ud800"}`} {
		if err := Check([]byte(in)); err != nil {
			t.Errorf("Check(%.40q) = %v", in, err)
		}
	}
}

// TestErrorPath names the offending value for the caller, shortly.
func TestErrorPath(t *testing.T) {
	_, err := AppendNormalized(nil, []byte(`{"a":[{"b":1e999}]}`))
	if err == nil || !strings.Contains(err.Error(), "(at a[0].b)") {
		t.Fatalf("error %v does not name a[0].b", err)
	}
	var e *SyntaxError
	if err := Check([]byte(`{"a":{"":1,"":2}}`)); !errors.As(err, &e) || e.Path != `a.""` {
		t.Errorf("an empty key: %v, want the path a.\"\"", err)
	}
	deep := strings.Repeat(`{"k":[`, 100) + `{"x":1,"x":2}` + strings.Repeat(`]}`, 100)
	if err := Check([]byte(deep)); !errors.As(err, &e) || len(e.Path) > 300 ||
		!strings.HasPrefix(e.Path, "k[0].k[0]") || !strings.HasSuffix(e.Path, "k[0].x") || !strings.Contains(e.Path, "...") {
		t.Errorf("a deep error's path: %v", err)
	}
}

func FuzzAppendNormalized(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e10,"x\u0041"]}`, `"\ud800"`, `-0.0`, `[[[]]]`,
		`{"b":1,"2":"x","1":"y"}`, `{"4294967295":0,"4294967294":1,"01":2,"0":{"1":1,"0":0}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := AppendNormalized(nil, in)
		if checkErr := Check(in); err == nil && checkErr != nil {
			t.Fatalf("Check refuses %q, which normalises: %v", in, checkErr)
		}
		if err != nil {
			return
		}
		if !json.Valid(out) || !utf8.Valid(out) {
			t.Fatalf("normalized %q into invalid JSON %q", in, out)
		}
		again, err := AppendNormalized(nil, out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, out, again, err)
		}
		// The same value, members in JavaScript's order, per encoding/json.
		want, got := readTree(t, in), readTree(t, out)
		want.jsOrder()
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%q normalised to %q:\nwant %v\n got %v", in, out, want, got)
		}
	})
}

// tree is a JSON value as encoding/json reads it, object members in order.
type tree struct {
	Scalar  any // string, float64, bool or nil (or "number <digits>"), when neither list is set
	Members []treeMember
	Items   []*tree
	Object  bool
}

type treeMember struct {
	Key   string
	Value *tree
}

func readTree(t *testing.T, src []byte) *tree {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(src))
	var read func() *tree
	read = func() *tree {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("encoding/json cannot read %q: %v", src, err)
		}
		switch tok {
		case json.Delim('{'):
			n := &tree{Object: true}
			for dec.More() {
				k, _ := dec.Token()
				n.Members = append(n.Members, treeMember{Key: k.(string), Value: read()})
			}
			_, _ = dec.Token()
			return n
		case json.Delim('['):
			n := &tree{Items: []*tree{}}
			for dec.More() {
				n.Items = append(n.Items, read())
			}
			_, _ = dec.Token()
			return n
		}
		if n, ok := tok.(json.Number); ok {
			// A number as a float64, or as written where a float64 cannot
			// hold it (the normaliser keeps those).
			if f, err := strconv.ParseFloat(string(n), 64); err == nil {
				return &tree{Scalar: f}
			}
			return &tree{Scalar: "number " + string(n)}
		}
		return &tree{Scalar: tok}
	}
	dec.UseNumber()
	return read()
}

// jsOrder sorts members as JavaScript orders properties, the reference for
// the normaliser: keys that print back as the same integer below 2^32-1
// first, ascending; the others stay as they were.
func (n *tree) jsOrder() {
	index := func(k string) (uint64, bool) {
		v, err := strconv.ParseUint(k, 10, 32)
		return v, err == nil && strconv.FormatUint(v, 10) == k && v < 1<<32-1
	}
	slices.SortStableFunc(n.Members, func(a, b treeMember) int {
		ia, aok := index(a.Key)
		ib, bok := index(b.Key)
		switch {
		case aok && bok:
			return cmp.Compare(ia, ib)
		case aok:
			return -1
		case bok:
			return 1
		}
		return 0
	})
	for _, m := range n.Members {
		m.Value.jsOrder()
	}
	for _, it := range n.Items {
		it.jsOrder()
	}
}

// TestMatchesJavaScript checks the claim in the package comment against a
// real JavaScript engine, when one is installed.
func TestMatchesJavaScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; skipping the JavaScript cross-check")
	}
	inputs := []string{
		`{"name":"Zoë <zoe@example.com>","n":[1.0,2.50,-0,1e-7,1E21,0.000001],"s":"\u2028\u0007\/\""}`,
		`{"nested":{"deep":[true,false,null,{"x":"\ud83d\ude00"}]},"html":"<script>&</script>"}`,
		`[123456789012345, 0.1, 100, 1e2, 5e-324, 1.7976931348623157e308]`,
		// Keys that are array indexes come first, ascending, at every level.
		`{"b":1,"2":"x","1":"y"}`,
		`{"z":{"10":1,"9":2,"a":{"c":0,"3":[{"y":1,"0":2}],"b":1}},"1":{"x":1,"0":0},"0":null}`,
		`{"4294967296":1,"4294967295":2,"4294967294":3,"4294967293":4,"a":5,"0":6}`,
		`{"01":1,"-1":2,"1.0":3,"1":4,"00":5,"0":6," 1":7,"1 ":8,"+1":9,"1e2":10,"":11,"-0":12}`,
		`{"\u0032":"two","\u0031":"one","x":"\u0030","10000000000":1,"99999999999999999999":2}`,
		`[{"3":3,"2":2},{"b":{"5":5,"4":4}},{"7":7}]`,
		// Objects that move inside objects that move, many levels deep.
		strings.Repeat(`{"b":[1,{"9":0,"8":1}],"1":{"x":0,"0":0},"0":`, 40) + `"bottom"` + strings.Repeat(`}`, 40),
		strings.Repeat(`{"0":{"k":{"2":2,"1":1}},"a":`, 30) + `{"1":[{"3":0,"b":1}],"z":0}` + strings.Repeat(`}`, 30),
	}
	for _, in := range inputs {
		want, err := exec.Command(node, "-e", "process.stdout.write(JSON.stringify(JSON.parse(process.argv[1])))", in).Output()
		if err != nil {
			t.Fatalf("node: %v", err)
		}
		got, err := AppendNormalized(nil, []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n  go %s\nnode %s", in, got, want)
		}
	}
}

// TestManyKeysIsLinear guards against a quadratic duplicate check: a
// publisher controls the number of keys.
func TestManyKeysIsLinear(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 100000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":1`, i)
	}
	b.WriteString(`,"k5":2}`)
	if _, err := AppendNormalized(nil, []byte(b.String())); err == nil || !strings.Contains(err.Error(), "duplicate key") {
		t.Fatalf("the duplicate among 100,000 keys was not found: %v", err)
	}
}

// FuzzCheck holds Check to encoding/json: it accepts nothing encoding/json
// refuses, and refuses what encoding/json accepts only for invalid UTF-8
// or a key given twice, which it names.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"\u0063":2}]}}`, "{\"s\":\"\xff\"}", `{"n":1e400}`,
		`[1,2,{"x":null}]`, `{"\ud800":1,"\udbff":2}`, `"`, `{"a":1}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		err := Check(in)
		valid := json.Valid(in)
		if err == nil {
			if !valid || !utf8.Valid(in) {
				t.Fatalf("Check accepts %q: encoding/json valid %v, UTF-8 %v", in, valid, utf8.Valid(in))
			}
			return
		}
		var e *SyntaxError
		if !errors.As(err, &e) {
			t.Fatalf("Check(%q) = %T %v", in, err, err)
		}
		if !valid {
			return
		}
		switch {
		case strings.HasPrefix(e.Msg, "invalid UTF-8"):
			if utf8.Valid(in) {
				t.Fatalf("Check(%q) says invalid UTF-8", in)
			}
		case strings.HasPrefix(e.Msg, "duplicate key"):
			if e.Path == "" || !hasDuplicate(readTree(t, in)) {
				t.Fatalf("Check(%q) = %v, but encoding/json sees no key twice", in, err)
			}
		default:
			t.Fatalf("Check refuses %q, which encoding/json accepts: %v", in, err)
		}
	})
}

func hasDuplicate(n *tree) bool {
	seen := map[string]bool{}
	for _, m := range n.Members {
		if seen[m.Key] || hasDuplicate(m.Value) {
			return true
		}
		seen[m.Key] = true
	}
	for _, it := range n.Items {
		if hasDuplicate(it) {
			return true
		}
	}
	return false
}

// benchBody is about 1 MiB of event data: objects with named keys, and
// with moves, index-like ones after them, strings with escapes, numbers.
func benchBody(moves bool) []byte {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	extra := `"x":true,"y":null`
	if moves {
		extra = `"2":true,"1":null`
	}
	for i := 0; b.Len() < 1<<20; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"item-%d","name":"Zo\u00eb \"%d\"","price":%d.50,"tags":["a","b"],%s}`, i, i, i, extra)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func BenchmarkCheck(b *testing.B) {
	body := benchBody(true)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := Check(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendNormalized(b *testing.B) {
	b.Run("named-keys", func(b *testing.B) { benchNormalize(b, benchBody(false)) })
	b.Run("index-keys-moved", func(b *testing.B) { benchNormalize(b, benchBody(true)) })
}

func benchNormalize(b *testing.B, body []byte) {
	b.SetBytes(int64(len(body)))
	var out []byte
	for b.Loop() {
		var err error
		if out, err = AppendNormalized(out[:0], body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeepReorder: objects that move, nested to the limit, above 1 MiB
// of data; each byte is written once more, not once per level.
func BenchmarkDeepReorder(b *testing.B) {
	benchNormalize(b, []byte(strings.Repeat(`{"b":1,"0":`, MaxDepth-1)+`"`+strings.Repeat("x", 1<<20)+`"`+strings.Repeat("}", MaxDepth-1)))
}

// BenchmarkDeepError: a duplicate key under encoding/json's whole depth; the
// path is built once.
func BenchmarkDeepError(b *testing.B) {
	body := []byte(strings.Repeat("[", 9990) + `{"a":1,"a":1}` + strings.Repeat("]", 9990))
	for b.Loop() {
		if Check(body) == nil {
			b.Fatal("accepted")
		}
	}
}
