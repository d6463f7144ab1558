package api

import (
	"encoding/json"

	"github.com/hookd/hookd"
)

// destinationInput is the destination part of an endpoint's body
// (docs/destinations.md): type (chosen at create, default webhook), config
// (replaces the stored one) and credentials (absent keeps, null removes,
// a masked password keeps the stored one).
type destinationInput struct {
	Type        *string         `json:"type"`
	Config      json.RawMessage `json:"config"`
	Credentials json.RawMessage `json:"credentials"`
	// stored is the endpoint as it is, on an update.
	stored *hookd.Endpoint
}

// typeKept refuses an update naming another type than the endpoint's,
// with the store's rule (CheckDestinationKept), before a config is checked
// against a type the endpoint cannot take.
func (in *destinationInput) typeKept() error {
	if in.Type == nil || *in.Type == in.stored.Type() {
		return nil
	}
	return hookd.CheckDestinationKept(in.stored, hookd.EndpointUpdate{Destination: &hookd.Destination{Type: *in.Type}})
}

// readDestination sets u.Destination for a broker endpoint: the stored
// destination (on an update) with what in gives, so that
// service.CheckEndpoint checks it whole and derives the URL. v names what
// is malformed, a masked password with nothing stored to keep, and config
// or credentials given to a webhook.
func readDestination(v *hookd.Validation, in *destinationInput, u *hookd.EndpointUpdate) {
	var stored *hookd.Destination
	typ := hookd.DestinationWebhook
	if in.stored != nil {
		stored, typ = in.stored.Destination, in.stored.Type()
	} else if in.Type != nil {
		typ = *in.Type
	}
	if typ == hookd.DestinationWebhook {
		if len(in.Config) > 0 {
			v.Add("config", "applies to broker endpoints only (type rabbitmq, redis, nats or kafka, chosen at create)")
		}
		if len(in.Credentials) > 0 {
			v.Add("credentials", "apply to broker endpoints only (a webhook's login goes in auth)")
		}
		return
	}
	d := &hookd.Destination{Type: typ}
	if stored != nil {
		d.Config, d.Credentials = stored.Config, stored.Credentials
	}
	switch {
	case isJSONNull(in.Config):
		d.Config = nil // the check says it is required
	case len(in.Config) > 0:
		d.Config = in.Config
	}
	switch {
	case isJSONNull(in.Credentials):
		d.Credentials = nil
	case len(in.Credentials) > 0:
		d.Credentials = decodeOptional[hookd.Credentials](v, "credentials", in.Credentials, `{"username":...,"password":...}`)
	}
	d.KeepSecrets(stored)
	u.Destination = d
}

// destinationView is the destination part of an endpoint as the API shows
// it: its type, and a broker's config and credentials with their
// passwords masked.
type destinationView struct {
	Type        string             `json:"type"`
	Config      json.RawMessage    `json:"config,omitempty"`
	Credentials *hookd.Credentials `json:"credentials,omitempty"`
}

func viewDestination(e *hookd.Endpoint) destinationView {
	v := destinationView{Type: e.Type()}
	if e.Destination != nil {
		m := e.Destination.Masked()
		v.Config, v.Credentials = m.Config, m.Credentials
	}
	return v
}
