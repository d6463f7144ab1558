package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd/internal/ids"
	"github.com/hookd/hookd/signature"
)

// ceiling drives the sink directly, as hookd would but with nothing in
// between: concurrency goroutines post requests signed bodies of the same
// shape and size as hookd's deliveries (default envelope, Standard Webhooks
// signature and hookd's headers), over one keep-alive transport configured
// like hookd's. It returns the rate of verified, unique receipts.
func (s *session) ceiling(ctx context.Context, concurrency, requests int) (float64, error) {
	g := s.sink.NewGroup()
	url, setSecret := s.sink.Add(g)
	secret, err := signature.NewSecret()
	if err != nil {
		return 0, err
	}
	setSecret(secret)
	hc := &http.Client{Transport: newTransport(concurrency)}
	defer hc.CloseIdleConnections()
	d := &direct{url: url, secrets: []string{secret}, hc: hc, payloads: newPayloads(s.cfg.PayloadBytes), sink: s.sink}

	// Warm up: open the connections, as hookd's have been by the time it
	// reaches full speed.
	if err := d.run(ctx, concurrency, concurrency*4); err != nil {
		return 0, err
	}
	if s.cfg.Progress != nil {
		fmt.Fprintf(s.cfg.Progress, "  %s: ceiling: %d signed requests straight to the sink, %d at a time\n", s.name, requests, concurrency)
	}
	before := g.Counts().Unique
	start := time.Now()
	if err := d.run(ctx, concurrency, requests); err != nil {
		return 0, err
	}
	c := g.Counts()
	if c.Bad > 0 {
		return 0, fmt.Errorf("the sink refused %d of its own requests: %s", c.Bad, c.FirstError)
	}
	return perSecond(c.Unique-before, c.Last.Sub(start)), nil
}

// direct posts signed deliveries to the sink.
type direct struct {
	url      string
	secrets  []string
	hc       *http.Client
	payloads payloads
	sink     *Sink
	seq      atomic.Int64
}

var ceilingSigner = signature.Signer{Scheme: signature.Standard, Header: signature.DefaultHeader}

func (d *direct) run(ctx context.Context, concurrency, requests int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range min(concurrency, requests) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body, data []byte
			excerpt := make([]byte, 4096)
			for ctx.Err() == nil && next.Add(1) <= int64(requests) {
				if err := d.send(ctx, &body, &data, excerpt); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return ctx.Err()
}

// send makes one request as hookd's dispatcher makes a delivery.
func (d *direct) send(ctx context.Context, body, data *[]byte, excerpt []byte) error {
	now := time.Now()
	id := ids.NewAt(ids.Event, now)
	*data = d.payloads.appendData((*data)[:0], d.sink.Stamp(), int(d.seq.Add(1)))
	*body = appendEnvelope((*body)[:0], id, now, *data)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(*body))
	if err != nil {
		return err
	}
	h := req.Header
	h["Content-Type"] = []string{"application/json"}
	h["User-Agent"] = []string{"hookd/bench"}
	h["X-Hookd-Event"] = []string{eventType}
	h["X-Hookd-Delivery"] = []string{ids.NewAt(ids.Delivery, now)}
	h["X-Hookd-Attempt"] = []string{"1"}
	h["Webhook-Id"] = []string{id}
	if err := ceilingSigner.Sign(h, id, now, *body, d.secrets); err != nil {
		return err
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return err
	}
	// Read like hookd: an excerpt, then drain for reuse.
	_, err = io.ReadFull(resp.Body, excerpt)
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	}
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("sink answered %d", resp.StatusCode)
	}
	return nil
}

// appendEnvelope appends hookd's default envelope around data.
func appendEnvelope(b []byte, id string, at time.Time, data []byte) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, id...)
	b = append(b, `","type":"`+eventType+`","timestamp":"`...)
	b = at.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, `","data":`...)
	b = append(b, data...)
	return append(b, '}')
}
