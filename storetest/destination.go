package storetest

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/hookd/hookd"
)

// redisDestination is a broker destination with credentials; the store
// keeps it as given (the service checked it).
var redisDestination = &hookd.Destination{Type: hookd.DestinationRedis,
	Config:      json.RawMessage(`{"url":"redis://:pa55@redis.example.com:6379/0","stream":"hookd:{{event_type}}","max_len":1000}`),
	Credentials: &hookd.Credentials{Username: "hookd", Password: "s3cr3t"}}

func withDestination(d *hookd.Destination) epOpt {
	return func(ep *hookd.Endpoint) { ep.Destination, ep.URL = d, d.DisplayURL() }
}

var destinationTests = []testCase{
	{"RoundTripsAndKeepsWhatAnUpdateOmits", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID, withDestination(redisDestination))
		got := f.getEndpoint(ten.ID, ep.ID)
		f.diff("Destination read back", redisDestination, got.Destination)
		f.diff("URL read back", redisDestination.DisplayURL(), got.URL)
		list, err := f.s.Endpoints(f.ctx, ten.ID, hookd.Page{Limit: 10})
		f.must(err, "Endpoints")
		if len(list) != 1 {
			f.Fatalf("listed %d endpoints, want 1", len(list))
		}
		f.diff("listed Destination", redisDestination, list[0].Destination)
		_, err = f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{Name: new("renamed")})
		f.must(err, "UpdateEndpoint not naming the destination")
		f.diff("Destination after an update not naming it", redisDestination, f.getEndpoint(ten.ID, ep.ID).Destination)

		moved := &hookd.Destination{Type: hookd.DestinationRedis, Config: json.RawMessage(`{"url":"redis://redis2.example.com:6379/1","stream":"events"}`)}
		_, err = f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{Destination: moved, URL: new(moved.DisplayURL())})
		f.must(err, "UpdateEndpoint moving the stream, dropping the credentials")
		got = f.getEndpoint(ten.ID, ep.ID)
		f.diff("Destination after the update", moved, got.Destination)
		f.diff("URL after the update", "redis://redis2.example.com:6379/1#events", got.URL)
	}},
	{"TypeAndWebhookFieldsKept", func(f *fixture) {
		ten := f.tenant()
		broker := f.endpoint(ten.ID, withDestination(redisDestination))
		webhook := f.endpoint(ten.ID)
		nats := &hookd.Destination{Type: hookd.DestinationNATS, Config: json.RawMessage(`{"url":"nats://n.example.com:4222","subject":"s"}`)}
		refused := []struct {
			name, id, field string
			u               hookd.EndpointUpdate
		}{
			{"a broker of another type", broker.ID, "type", hookd.EndpointUpdate{Destination: nats}},
			{"a webhook made a broker", webhook.ID, "type", hookd.EndpointUpdate{Destination: nats}},
			{"a URL on a broker", broker.ID, "url", hookd.EndpointUpdate{URL: new("https://example.com/hook")}},
			{"a proxy on a broker", broker.ID, "proxy_url", hookd.EndpointUpdate{ProxyURL: new("http://proxy.example.com:3128")}},
		}
		for _, c := range refused {
			before := f.getEndpoint(ten.ID, c.id)
			_, err := f.s.UpdateEndpoint(f.ctx, ten.ID, c.id, c.u)
			var de *hookd.Error
			if !errors.As(err, &de) || de.Code != hookd.EINVALID || len(de.Fields) == 0 || de.Fields[0].Field != c.field {
				f.Errorf("%s: UpdateEndpoint error = %v, want EINVALID on %s", c.name, err, c.field)
			}
			f.diff(c.name+": endpoint after the refusal", before, f.getEndpoint(ten.ID, c.id))
		}
	}},
	{"ClaimedAndHandedOffJobsCarryIt", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID, subscribe(typeCreated), withDestination(redisDestination))
		f.endpoint(ten.ID, subscribe(typeCreated)) // a webhook
		check := func(how string, jobs []*hookd.Job) {
			if len(jobs) != 2 {
				f.Fatalf("%s: %d jobs, want 2", how, len(jobs))
			}
			for _, j := range jobs {
				var want *hookd.Destination
				if j.EndpointID == ep.ID {
					want = redisDestination
				}
				f.diff(how+" Job's Destination for "+j.EndpointID, want, j.Destination)
			}
		}
		f.publish(ten.ID, f.newEvent(typeCreated))
		check("claimed", f.claim(f.at(time.Minute), 10))
		check("handed-off", f.publishOffered(ten.ID, f.offer(10, 0), f.newEvent(typeCreated)))
	}},
}
