package client

import (
	"encoding/json"
	"testing"
)

// TestEndpointUpdateJSON: an update sends only the fields given, null for
// the ones it restores or removes, and a broker's config as given.
func TestEndpointUpdateJSON(t *testing.T) {
	name := "n"
	for _, c := range []struct {
		name string
		u    EndpointUpdate
		want string
	}{
		{"nothing", EndpointUpdate{}, `{}`},
		{"a name", EndpointUpdate{Name: &name}, `{"name":"n"}`},
		{"default schedule", EndpointUpdate{DefaultRetrySchedule: true}, `{"retry_schedule":null}`},
		{"credentials removed", EndpointUpdate{RemoveCredentials: true, Config: json.RawMessage(`{"url":"redis://r:6379","stream":"s"}`)},
			`{"config":{"url":"redis://r:6379","stream":"s"},"credentials":null}`},
		{"masked credentials sent back", EndpointUpdate{Credentials: &Credentials{Username: "u", Password: MaskedSecret}, DefaultRetrySchedule: true},
			`{"credentials":{"username":"u","password":"********"},"retry_schedule":null}`},
	} {
		b, err := json.Marshal(c.u)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if string(b) != c.want {
			t.Errorf("%s: %s, want %s", c.name, b, c.want)
		}
	}
}
