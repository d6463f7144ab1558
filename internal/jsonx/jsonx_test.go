package jsonx

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
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

func FuzzAppendNormalized(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e10,"x\u0041"]}`, `"\ud800"`, `-0.0`, `[[[]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := AppendNormalized(nil, in)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("normalized %q into invalid JSON %q", in, out)
		}
		again, err := AppendNormalized(nil, out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, out, again, err)
		}
	})
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
