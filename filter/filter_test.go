package filter

import (
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

func event(data string) *hookd.FilterEvent {
	return hookd.NewFilterEvent(&hookd.NewEvent{Type: "order.paid", Channels: []string{"eu"}, Data: []byte(data)})
}

func TestMatch(t *testing.T) {
	cases := []struct {
		src, data string
		want      bool
	}{
		{`event.data.amount > 1000 && event.data.currency == "GBP"`, `{"amount":1500,"currency":"GBP"}`, true},
		{`event.data.amount > 1000 && event.data.currency == "GBP"`, `{"amount":999,"currency":"GBP"}`, false},
		{`event.type == "order.paid" && "eu" in event.channels`, `{}`, true},
		{`event.type.startsWith("user.")`, `{}`, false},
		{`event.data.items.exists(i, i.sku == "b")`, `{"items":[{"sku":"a"},{"sku":"b"}]}`, true},
		{`has(event.data.coupon)`, `{"amount":1}`, false},
	}
	for _, c := range cases {
		p, err := Compile(c.src)
		if err != nil {
			t.Fatalf("Compile(%s): %v", c.src, err)
		}
		if got, err := p.Eval(event(c.data)); err != nil || got != c.want {
			t.Errorf("%s on %s = %v, %v; want %v", c.src, c.data, got, err, c.want)
		}
	}
}

func TestCompileErrorsHavePositions(t *testing.T) {
	cases := []struct{ src, want string }{
		{`event.data.amount >`, "1:20: "},
		{"event.type == \"a\" &&\n  evnt.data.x", "2:3: undeclared reference to 'evnt'"},
		{`event.type + 1`, "1:12: found no matching overload"},
		{`event.type`, "must be a boolean expression, not string"},
		{strings.Repeat("x", MaxLength+1), "over the limit"},
	}
	for _, c := range cases {
		_, err := Compile(c.src)
		if hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Compile(%.40q) = %v; want EINVALID containing %q", c.src, err, c.want)
		}
		if e, ok := err.(*hookd.Error); !ok || len(e.Fields) != 1 || e.Fields[0].Field != "filter" {
			t.Errorf("Compile(%.40q) = %#v, want one error on field filter", c.src, err)
		}
	}
}

func TestCostLimitStopsExpensiveExpression(t *testing.T) {
	p, err := Compile(`event.data.xs.all(a, event.data.xs.all(b, event.data.xs.all(c, a + b + c >= 0.0)))`)
	if err != nil {
		t.Fatal(err)
	}
	xs := "[" + strings.TrimSuffix(strings.Repeat("1,", 200), ",") + "]"
	before := EvalErrors()
	ok, err := p.Eval(event(`{"xs":` + xs + `}`))
	if ok || err == nil || !strings.Contains(err.Error(), "cost limit") {
		t.Fatalf("Eval = %v, %v; want the cost limit error", ok, err)
	}
	if p.Match(event(`{"xs":`+xs+`}`)) || EvalErrors() != before+1 {
		t.Errorf("Match over the cost limit matched or was not counted")
	}
	// The same filter on little data is well under the limit.
	if ok, err := p.Eval(event(`{"xs":[1,2,3]}`)); !ok || err != nil {
		t.Errorf("small Eval = %v, %v", ok, err)
	}
}

func TestEvalErrorIsNoMatch(t *testing.T) {
	p, err := Compile(`event.data.amount > 10`)
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range []string{`{}`, `{"amount":"ten"}`, `not json`} {
		if p.Match(event(data)) {
			t.Errorf("Match on %s = true, want no delivery", data)
		}
	}
}

func TestStoredIsCachedBySource(t *testing.T) {
	a, b := Stored(`event.type == "x"`), Stored(`event.type == "x"`)
	if a != b {
		t.Error("the same source compiled twice")
	}
	if Stored(`event.type ==`).Match(event(`{}`)) {
		t.Error("a stored filter that does not compile matched")
	}
}

// BenchmarkMatch is one evaluation on a parsed event, as fan-out pays it per endpoint.
func BenchmarkMatch(b *testing.B) {
	p, err := Compile(`event.data.n == 42 && event.data.name.startsWith("Ada") && "b" in event.data.tags`)
	if err != nil {
		b.Fatal(err)
	}
	ev := event(`{"name":"Ada Lovelace","email":"ada@example.com","tags":["a","b"],"n":42}`)
	b.ReportAllocs()
	for b.Loop() {
		if !p.Match(ev) {
			b.Fatal("no match")
		}
	}
}
