package api

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/hookd/hookd"
)

// egressInput is the egress part of an endpoint's body
// (docs/endpoint-auth.md): absent keeps, null (or "" for proxy_url)
// removes. Secrets left out or sent back masked keep the stored ones.
type egressInput struct {
	Auth                 json.RawMessage `json:"auth"`
	TLSClientCertificate json.RawMessage `json:"tls_client_certificate"`
	ProxyURL             *string         `json:"proxy_url"`
	// stored is the endpoint's current settings, on an update.
	stored *hookd.Egress
}

// readEgress decodes the egress fields present into u (v names what is
// malformed), with the stored secrets an update left out or masked;
// service.CheckEndpoint checks them.
func readEgress(v *hookd.Validation, in *egressInput, u *hookd.EndpointUpdate) {
	u.Auth = decodeOptional[hookd.EndpointAuth](v, "auth", in.Auth, `{"type":"basic","username":...,"password":...} or {"type":"oauth2_client_credentials","token_url":...}`)
	u.TLSClientCertificate = decodeOptional[hookd.TLSClientCertificate](v, "tls_client_certificate", in.TLSClientCertificate, `{"certificate":"<PEM>","private_key":"<PEM>"}`)
	u.ProxyURL = in.ProxyURL
	if in.stored != nil {
		u.KeepSecrets(*in.stored)
	}
}

// decodeOptional decodes a present object field strictly; null is its
// zero value (none).
func decodeOptional[T any](v *hookd.Validation, field string, raw json.RawMessage, shape string) *T {
	if len(raw) == 0 {
		return nil
	}
	out := new(T)
	if isJSONNull(raw) {
		return out
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		v.Add(field, "must be null or an object %s", shape)
		return nil
	}
	return out
}

// egressView is the egress part of an endpoint as the API shows it: the
// secrets masked, the certificate too, with its subject and expiry.
type egressView struct {
	Auth                 *hookd.EndpointAuth `json:"auth,omitempty"`
	TLSClientCertificate *certificateView    `json:"tls_client_certificate,omitempty"`
	ProxyURL             string              `json:"proxy_url,omitempty"`
}

type certificateView struct {
	hookd.TLSClientCertificate
	Subject  string    `json:"subject"`
	NotAfter time.Time `json:"not_after"`
}

func viewEgress(e hookd.Egress) egressView {
	m := e.Masked()
	v := egressView{ProxyURL: m.ProxyURL}
	if m.Auth.Type != "" {
		v.Auth = &m.Auth
	}
	if !e.TLSClientCertificate.IsZero() {
		v.TLSClientCertificate = &certificateView{TLSClientCertificate: m.TLSClientCertificate}
		if pair, err := e.TLSClientCertificate.KeyPair(); err == nil {
			v.TLSClientCertificate.Subject = pair.Leaf.Subject.String()
			v.TLSClientCertificate.NotAfter = pair.Leaf.NotAfter.UTC()
		}
	}
	return v
}
