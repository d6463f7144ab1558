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
			Deprecated:  true,
			Archived:    true,
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
	{"Update", func(f *fixture) {
		et := &hookd.EventType{Name: "invoice.sent", Description: "first", Example: json.RawMessage(`{"a":1}`)}
		f.must(f.s.CreateEventType(f.ctx, et), "CreateEventType")
		got, err := f.s.UpdateEventType(f.ctx, et.Name, func(et *hookd.EventType) error {
			et.Name = "renamed" // the name is the key: it stays
			et.Description, et.Schema, et.Example = "second", json.RawMessage(`{"type":"object"}`), nil
			et.Deprecated, et.Archived = true, true
			return nil
		})
		f.must(err, "UpdateEventType")
		want := &hookd.EventType{Name: "invoice.sent", Description: "second", Deprecated: true, Archived: true, CreatedAt: et.CreatedAt}
		f.diff("UpdateEventType's answer", want, got, ignoreFields("Schema"))
		read, err := f.s.EventType(f.ctx, et.Name)
		f.must(err, "EventType")
		f.diff("EventType after the update", want, read, ignoreFields("Schema"))
		f.jsonEqual("Schema", json.RawMessage(`{"type":"object"}`), read.Schema)
		if list, err := f.s.EventTypes(f.ctx); err != nil || len(list) != 1 || !list[0].Archived || !list[0].Deprecated {
			f.Errorf("EventTypes after archiving: %v, %v", list, err)
		}
	}},
	{"UpdateRefusedChangesNothing", func(f *fixture) {
		f.must(f.s.CreateEventType(f.ctx, &hookd.EventType{Name: "a.b", Description: "kept"}), "CreateEventType")
		refusal := hookd.Invalid("description", "no")
		_, err := f.s.UpdateEventType(f.ctx, "a.b", func(et *hookd.EventType) error {
			et.Description, et.Archived = "lost", true
			return refusal
		})
		f.wantCode(err, hookd.EINVALID, "UpdateEventType whose change fails")
		got, err := f.s.EventType(f.ctx, "a.b")
		f.must(err, "EventType")
		if got.Description != "kept" || got.Archived {
			f.Errorf("a refused update was stored: %+v", got)
		}
		_, err = f.s.UpdateEventType(f.ctx, typeUnknown, func(*hookd.EventType) error { return nil })
		f.wantCode(err, hookd.ENOTFOUND, "UpdateEventType of an unknown type")
	}},
	{"ArchivedTakesNoNewSubscriptions", func(f *fixture) {
		ten := f.tenant()
		kept := f.endpoint(ten.ID, subscribe(typeCreated))
		every := f.endpoint(ten.ID)
		_, err := f.s.UpdateEventType(f.ctx, typeCreated, func(et *hookd.EventType) error { et.Archived = true; return nil })
		f.must(err, "UpdateEventType")

		err = f.s.CreateEndpoint(f.ctx, f.endpointSpec(ten.ID, subscribe(typeFailed, typeCreated)), "whsec_c2VjcmV0LWFyY2hpdmVkLXR5cGUtdGVzdA==")
		f.wantCode(err, hookd.EINVALID, "CreateEndpoint subscribed to an archived type")
		types := []string{typeFailed, typeCreated}
		_, err = f.s.UpdateEndpoint(f.ctx, ten.ID, every.ID, hookd.EndpointUpdate{EventTypes: &types})
		f.wantCode(err, hookd.EINVALID, "UpdateEndpoint newly subscribing to an archived type")
		if got := f.getEndpoint(ten.ID, every.ID); len(got.EventTypes) != 1 || got.EventTypes[0] != hookd.AllEventTypes {
			f.Errorf("the refused update changed the subscription to %v", got.EventTypes)
		}
		// An endpoint that had it keeps it, also when it changes its list.
		_, err = f.s.UpdateEndpoint(f.ctx, ten.ID, kept.ID, hookd.EndpointUpdate{EventTypes: &types})
		f.must(err, "UpdateEndpoint keeping an archived type")
		// And both still receive it: archived types are still published.
		id := f.publishType(ten.ID, typeCreated)
		for _, ep := range []*hookd.Endpoint{kept, every} {
			if f.deliveryOf(ten.ID, id, ep.ID) == nil {
				f.Errorf("endpoint %s got no delivery of the archived type", ep.Name)
			}
		}
	}},
}
