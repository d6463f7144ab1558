package hookd_test

import (
	"slices"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/filter"
)

// TestFiltered: subscribers keep their order, those without a filter always
// pass, and with no filter at all the list comes back as is (no copy, no parse).
func TestFiltered(t *testing.T) {
	big, gbp := filter.Stored(`event.data.amount > 1000`), filter.Stored(`event.data.currency == "GBP"`)
	subs := []hookd.Subscriber{{ID: "a"}, {ID: "big", Filter: big}, {ID: "b"}, {ID: "gbp", Filter: gbp}}
	ids := func(s []hookd.Subscriber) (out []string) {
		for _, x := range s {
			out = append(out, x.ID)
		}
		return out
	}
	for _, c := range []struct {
		data string
		want []string
	}{
		{`{"amount":5000,"currency":"GBP"}`, []string{"a", "big", "b", "gbp"}},
		{`{"amount":5000,"currency":"EUR"}`, []string{"a", "big", "b"}},
		{`{"amount":5,"currency":"GBP"}`, []string{"a", "b", "gbp"}},
		{`not json`, []string{"a", "b"}},
	} {
		got := ids(hookd.Filtered(subs, &hookd.NewEvent{Type: "x", Data: []byte(c.data)}))
		if !slices.Equal(got, c.want) {
			t.Errorf("Filtered on %s = %v, want %v", c.data, got, c.want)
		}
	}
	// A payload sent as is (no Data) is what filters see.
	if got := ids(hookd.Filtered(subs, &hookd.NewEvent{Type: "x", Payload: []byte(`{"amount":2000}`)})); !slices.Equal(got, []string{"a", "big", "b"}) {
		t.Errorf("Filtered on a payload = %v", got)
	}
	plain := subs[:1]
	if got := hookd.Filtered(plain, &hookd.NewEvent{Type: "x", Payload: []byte(`not json`)}); &got[0] != &plain[0] {
		t.Error("without filters the subscribers were copied")
	}
}
