package storetest

import (
	"encoding/json"

	"github.com/hookd/hookd"
)

var eventTypeTests = []testCase{
	{"CreateAndGet", func(f *fixture) {
		et := &hookd.EventType{
			Name:        "invoice.paid",
			Description: "An invoice was paid in full",
			Schema:      json.RawMessage(`{"type":"object","required":["amount"],"properties":{"amount":{"type":"number"}}}`),
			Example:     json.RawMessage(`{"amount": 42.5, "currency": "EUR", "lines": [1, 2]}`),
		}
		f.must(f.s.CreateEventType(f.ctx, et), "CreateEventType")
		if et.CreatedAt.IsZero() {
			f.Errorf("CreateEventType left CreatedAt unset")
		}
		got, err := f.s.EventType(f.ctx, et.Name)
		f.must(err, "EventType")
		f.diff("EventType", et, got, ignoreFields("Schema", "Example"))
		f.jsonEqual("Schema", et.Schema, got.Schema)
		f.jsonEqual("Example", et.Example, got.Example)
	}},
	{"DuplicateNameConflicts", func(f *fixture) {
		f.must(f.s.CreateEventType(f.ctx, &hookd.EventType{Name: "a.b", Description: "first"}), "CreateEventType")
		err := f.s.CreateEventType(f.ctx, &hookd.EventType{Name: "a.b", Description: "second"})
		f.wantCode(err, hookd.ECONFLICT, "CreateEventType with a taken name")
		got, err := f.s.EventType(f.ctx, "a.b")
		f.must(err, "EventType")
		if got.Description != "first" {
			f.Errorf("the failed create changed the description to %q", got.Description)
		}
	}},
	{"UnknownIsNotFound", func(f *fixture) {
		_, err := f.s.EventType(f.ctx, typeUnknown)
		f.wantCode(err, hookd.ENOTFOUND, "EventType")
	}},
	{"ListSortedByName", func(f *fixture) {
		for _, name := range []string{"message.sent", "contact.deleted", "email.bounced"} {
			f.must(f.s.CreateEventType(f.ctx, &hookd.EventType{Name: name}), "CreateEventType")
		}
		list, err := f.s.EventTypes(f.ctx)
		f.must(err, "EventTypes")
		var got []string
		for _, et := range list {
			got = append(got, et.Name)
		}
		f.diff("EventTypes", []string{"contact.deleted", "email.bounced", "message.sent"}, got)
	}},
}
