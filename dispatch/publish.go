package dispatch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"code.dny.dev/ssrf"

	"github.com/hookd/hookd"
)

// publish delivers to a broker destination: the same headers as a webhook
// request (signature included) travel as the message's headers, and the
// broker's acknowledgement within the timeout is the success. ok is false
// when shutdown cancelled it.
func (d *Dispatcher) publish(ctx, pubCtx context.Context, res hookd.AttemptResult, timeout time.Duration) (hookd.AttemptResult, bool) {
	job := res.Job
	start := res.Attempt.At
	pub := d.cfg.Publishers[job.Destination.Type]
	if pub == nil {
		res.Attempt.Error = "destination type " + job.Destination.Type + " is not supported by this server"
		return d.judge(res, nil), true
	}
	h := http.Header{}
	if err := d.setHeaders(h, job, start); err != nil {
		res.Attempt.Error = "signing failed: " + err.Error()
		res.Attempt.RequestHeaders = recordedHeaders(h, job.Headers)
		return d.judge(res, nil), true
	}
	res.Attempt.RequestHeaders = recordedHeaders(h, job.Headers)
	msg := &hookd.Message{DeliveryID: job.DeliveryID, EventID: job.EventID, EventType: job.EventType, Body: job.Payload, Headers: make(map[string]string, len(h))}
	for k, v := range h {
		msg.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	err := pub.Publish(pubCtx, job.Destination, msg)
	res.Attempt.Duration = hookd.Millis(time.Since(start))
	switch {
	case err != nil && ctx.Err() != nil:
		return res, false
	case errors.Is(err, context.DeadlineExceeded):
		res.Attempt.Error = fmt.Sprintf("timeout: no acknowledgement within %s: %v", timeout, err)
	case errors.Is(err, ssrf.ErrProhibitedIP):
		res.Attempt.Error = "refused: the broker resolves to a private or local address (see --allow-destination-hosts): " + err.Error()
	case err != nil:
		res.Attempt.Error = err.Error()
	default:
		res.Outcome.Success = true
	}
	return d.judge(res, nil), true
}
