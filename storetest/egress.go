package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

// egress holds one of each egress setting; the PEM is not parsed here (the
// API validates it), so any text stands for it.
var egress = hookd.Egress{
	Auth: hookd.EndpointAuth{Type: hookd.AuthOAuth2, TokenURL: "https://auth.example.com/token", ClientID: "hookd",
		ClientSecret: "cl13nt-s3cr3t", Scopes: []string{"webhooks:write"}, Audience: "https://api.example.com",
		Params: map[string]string{"resource": "crm"}},
	TLSClientCertificate: hookd.TLSClientCertificate{Certificate: "-----BEGIN CERTIFICATE-----\n...", PrivateKey: "-----BEGIN PRIVATE KEY-----\n..."},
	ProxyURL:             "http://user:pa55@proxy.example.com:3128",
}

func withEgress(e hookd.Egress) epOpt { return func(ep *hookd.Endpoint) { ep.Egress = e } }

var egressTests = []testCase{
	{"RoundTripsAndKeepsWhatAnUpdateOmits", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID, withEgress(egress))
		f.diff("Egress read back", egress, f.getEndpoint(ten.ID, ep.ID).Egress)
		_, err := f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{Name: new("renamed")})
		f.must(err, "UpdateEndpoint not naming egress")
		f.diff("Egress after an update not naming it", egress, f.getEndpoint(ten.ID, ep.ID).Egress)

		basic := hookd.EndpointAuth{Type: hookd.AuthBasic, Username: "u", Password: "p"}
		_, err = f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{Auth: &basic, ProxyURL: new("")})
		f.must(err, "UpdateEndpoint changing auth, removing the proxy")
		want := egress
		want.Auth, want.ProxyURL = basic, ""
		f.diff("Egress after the update", want, f.getEndpoint(ten.ID, ep.ID).Egress)

		_, err = f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{Auth: &hookd.EndpointAuth{},
			TLSClientCertificate: &hookd.TLSClientCertificate{}})
		f.must(err, "UpdateEndpoint removing the rest")
		if got := f.getEndpoint(ten.ID, ep.ID).Egress; !got.IsZero() {
			f.Errorf("Egress after removing everything = %+v, want zero", got)
		}
	}},
	{"ClaimedAndHandedOffJobsCarryIt", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID, subscribe(typeCreated), withEgress(egress))
		f.endpoint(ten.ID, subscribe(typeCreated)) // one without egress
		f.publish(ten.ID, f.newEvent(typeCreated))
		for _, j := range f.claim(f.at(time.Minute), 10) {
			want := hookd.Egress{}
			if j.EndpointID == ep.ID {
				want = egress
			}
			f.diff("claimed Job's Egress for "+j.EndpointID, want, j.Egress)
		}
		jobs := f.publishOffered(ten.ID, f.offer(10, 0), f.newEvent(typeCreated))
		if len(jobs) != 2 {
			f.Fatalf("hand-off leased %d jobs, want 2", len(jobs))
		}
		for _, j := range jobs {
			want := hookd.Egress{}
			if j.EndpointID == ep.ID {
				want = egress
			}
			f.diff("handed-off Job's Egress for "+j.EndpointID, want, j.Egress)
		}
	}},
}
