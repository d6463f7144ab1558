package service

import (
	"context"
	"time"

	"github.com/hookd/hookd"
)

// StartRecover checks a recover window (since required, until default now
// and after since), records the job and wakes the runner (nil on nodes
// without one: another node's picks it up). The API and the dashboard start
// recoveries through it.
func StartRecover(ctx context.Context, store hookd.Store, runner interface{ Kick() }, tenantID, endpointID string,
	since, until *time.Time) (*hookd.RecoverJob, error) {
	now := time.Now()
	var v hookd.Validation
	if since == nil {
		v.Add("since", "is required (RFC 3339, e.g. 2026-11-22T08:00:00Z)")
	}
	if until == nil {
		until = &now
	}
	if since != nil && !since.Before(*until) {
		v.Add("until", "must be after since")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	job, err := store.CreateRecoverJob(ctx, tenantID, endpointID, *since, *until)
	if err != nil {
		return nil, err
	}
	if runner != nil {
		runner.Kick()
	}
	return job, nil
}
