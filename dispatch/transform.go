package dispatch

import (
	"context"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/transform"
)

// cancelledText is the attempt log's note of a cancelled delivery.
const cancelledText = "cancelled by the endpoint's transformation: no request sent"

// transform runs the endpoint's transformation before the job is signed
// and sent: the job to send (a copy with the body, headers and URL it made,
// so the signature is over the body sent), or, when done, the attempt's
// result: cancelled, or failed with the script's error (retried as any
// failure).
func (d *Dispatcher) transform(ctx context.Context, job *hookd.Job, res hookd.AttemptResult) (*hookd.Job, hookd.AttemptResult, bool) {
	s, err := transform.Stored(job.TenantID, job.Transformation)
	var out transform.Result
	if err == nil {
		out, err = s.Run(ctx, transform.Webhook{Payload: job.Payload, Headers: job.Headers, URL: job.URL})
	}
	switch {
	case err != nil:
		res.Attempt.Duration = hookd.Millis(time.Since(res.Attempt.At))
		res.Attempt.Error = err.Error()
		return job, d.judge(res, nil), true
	case out.Cancelled:
		res.Attempt.Duration = hookd.Millis(time.Since(res.Attempt.At))
		res.Attempt.Error, res.Outcome.Cancelled = cancelledText, true
		return job, res, true
	}
	sent := *job
	sent.Payload, sent.Headers, sent.URL = out.Body, out.Headers, out.URL
	res.Job, res.Attempt.URL = &sent, out.URL
	return &sent, res, false
}
