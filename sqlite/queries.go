package sqlite

// Statements of the hot paths (publish, claim, record), prepared once at Open.
const (
	// qWaiting lists each endpoint with deliveries waiting (and a last
	// NULL) by walking deliveries_due one endpoint at a time: a skip scan,
	// one index descent per endpoint.
	qWaiting = `WITH RECURSIVE waiting(endpoint_id) AS (
		SELECT (SELECT endpoint_id FROM deliveries WHERE status IN ('pending', 'retrying') ORDER BY endpoint_id LIMIT 1)
		UNION ALL
		SELECT (SELECT d.endpoint_id FROM deliveries d WHERE d.status IN ('pending', 'retrying') AND d.endpoint_id > w.endpoint_id
			ORDER BY d.endpoint_id LIMIT 1) FROM waiting w WHERE w.endpoint_id IS NOT NULL)`

	// qDueAt is when an endpoint of waiting (w) has work due: its earliest
	// waiting delivery's time; a FIFO endpoint's is its head's, unless the
	// head is leased: then the others are due and wait for room, as behind
	// any endpoint's in-flight cap (hookd.OrderingFIFO).
	qDueAt = `COALESCE((SELECT IIF(h.lease_token IS NULL, h.next_attempt_at, NULL) FROM deliveries h
			WHERE h.endpoint_id = w.endpoint_id AND h.seq IS NOT NULL AND h.status IN ('pending', 'retrying') ORDER BY h.seq LIMIT 1),
		(SELECT MIN(d.next_attempt_at) FROM deliveries d WHERE d.endpoint_id = w.endpoint_id AND d.status IN ('pending', 'retrying')))`
	// qInFlightCap is an endpoint's (e) in-flight cap: one for a FIFO one.
	qInFlightCap = `IIF(e.ordering = 'fifo', 1, e.max_in_flight)`

	qTenantExists    = `SELECT 1 FROM tenants WHERE id = ?`
	qEventTypeExists = `SELECT 1 FROM event_types WHERE name = ?`
	qSubscribers     = `SELECT id, enabled, event_types, channels, filter, ordering = 'fifo', kind, live FROM endpoints WHERE tenant_id = ? AND deleted_at IS NULL`
	qEventByKey      = `SELECT id, deliveries, request_hash FROM events WHERE tenant_id = ? AND idempotency_key = ?`
	qEventByID       = `SELECT id, deliveries, request_hash FROM events WHERE tenant_id = ? AND id = ?`
	qInsertEvent     = `INSERT INTO events (tenant_id, id, type, payload, idempotency_key, request_hash, test, deliveries, created_at, channels,
		traceparent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''))`
	// A FIFO delivery's seq is the next number (deliveries_seq).
	qInsertDelivery = `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, test, next_attempt_at, created_at, updated_at, lease_token,
			seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
			CASE WHEN ? THEN COALESCE((SELECT seq FROM deliveries WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1), 0) + 1 END)`
	// qEndpointLoad is an endpoint's free in-flight slots and rate-limit
	// bucket, for a hand-off at publish (the claim's qDueEndpoints reads the same),
	// and whether deliveries of it wait in FIFO order (hookd.EndpointLoad.Queued).
	qEndpointLoad = `SELECT e.tenant_id, ` + qInFlightCap + ` - (SELECT COUNT(*) FROM deliveries l
			WHERE l.endpoint_id = e.id AND l.lease_token IS NOT NULL AND l.next_attempt_at > ?2),
		e.timeout_ms, e.rate_limit, e.rate_tokens, e.rate_updated_at,
		EXISTS (SELECT 1 FROM deliveries q WHERE q.endpoint_id = e.id AND q.seq IS NOT NULL AND q.status IN ('pending', 'retrying'))
		FROM endpoints e WHERE e.id = ?1`

	// Starting from qWaiting, the claim's cost follows the endpoints with
	// work waiting, not every endpoint ever created.
	qDueEndpoints = qWaiting + ` SELECT e.id, e.tenant_id, ` + qInFlightCap + ` - (SELECT COUNT(*) FROM deliveries l
			WHERE l.endpoint_id = e.id AND l.lease_token IS NOT NULL AND l.next_attempt_at > ?1) AS room,
		e.timeout_ms, e.rate_limit, e.rate_tokens, e.rate_updated_at, e.ordering = 'fifo'
		FROM (SELECT endpoint_id, ` + qDueAt + ` AS oldest
			FROM waiting w WHERE endpoint_id IS NOT NULL) o JOIN endpoints e ON e.id = o.endpoint_id
		WHERE o.oldest <= ?1 ORDER BY o.oldest` // room > 0 is checked in Go: here it would count twice
	// qTenantLoad is a due tenant's own cap (0: none) and its live leases,
	// with those of its deleted endpoints' requests.
	qTenantLoad = `SELECT COALESCE(max_in_flight, 0), (SELECT COUNT(*) FROM deliveries
		WHERE tenant_id = ?1 AND lease_token IS NOT NULL AND next_attempt_at > ?2)
		+ (SELECT COUNT(*) FROM orphaned_leases WHERE tenant_id = ?1 AND lease_end > ?2) FROM tenants WHERE id = ?1`
	qSpendTokens = `UPDATE endpoints SET rate_tokens = ?, rate_updated_at = ? WHERE id = ?`
	// qLease's LIMIT is +? because SQLite plans a bare LIMIT ? for the value
	// bound and re-prepares the statement whenever it changes (every claim
	// takes a different number): 3% of a saturated server's CPU.
	qLease = `UPDATE deliveries SET lease_token = ?1, next_attempt_at = ?2
		WHERE id IN (SELECT id FROM deliveries WHERE endpoint_id = ?3 AND status IN ('pending', 'retrying')
			AND next_attempt_at <= ?4 ORDER BY next_attempt_at LIMIT +?5)` + qLeased
	// qLeaseHead leases a FIFO endpoint's head (hookd.OrderingFIFO), if
	// due: at most one, whatever the share (?5).
	qLeaseHead = `UPDATE deliveries SET lease_token = ?1, next_attempt_at = ?2
		WHERE id IN (SELECT id FROM (SELECT id, next_attempt_at FROM deliveries WHERE endpoint_id = ?3 AND seq IS NOT NULL
			AND status IN ('pending', 'retrying') ORDER BY seq LIMIT MIN(?5, 1)) WHERE next_attempt_at <= ?4)` + qLeased
	qLeased = ` RETURNING id, tenant_id, event_id, event_type, test, attempts, run_attempts,
			(SELECT payload FROM events e WHERE e.tenant_id = deliveries.tenant_id AND e.id = deliveries.event_id),
			(SELECT created_at FROM events e WHERE e.tenant_id = deliveries.tenant_id AND e.id = deliveries.event_id),
			(SELECT COALESCE(traceparent, '') FROM events e WHERE e.tenant_id = deliveries.tenant_id AND e.id = deliveries.event_id)`
	// qNextDue is the earliest time any waiting endpoint has work due.
	qNextDue      = qWaiting + ` SELECT MIN(` + qDueAt + `) FROM waiting w WHERE w.endpoint_id IS NOT NULL`
	qJobEndpoint  = `SELECT url, headers, retry_schedule, timeout_ms, signature_scheme, transformation, egress, destination FROM endpoints WHERE id = ?`
	qValidSecrets = `SELECT secret FROM endpoint_secrets WHERE endpoint_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id DESC`

	// Recording (record.go): what hookd.PlanRecord reads, then its writes.
	qLeaseToken     = `SELECT lease_token FROM deliveries WHERE id = ?`
	qEndpointHealth = `SELECT enabled, failure_count, failures_since, last_success_at, last_failure_at FROM endpoints WHERE id = ? AND deleted_at IS NULL`
	// qFailureStreak is the latest events of the endpoint's failed
	// non-test deliveries since a time (hookd.EndpointHealth.Streak).
	qFailureStreak = `SELECT event_id, MAX(finished_at) AS at FROM deliveries
		WHERE endpoint_id = ? AND status = 'failed' AND test = 0 AND finished_at >= ?
		GROUP BY event_id ORDER BY at DESC LIMIT ?`
	qInsertAttempt = `INSERT INTO attempts (id, delivery_id, number, at, url, request_headers, status_code, duration_ms, error, response_body, endpoint_id,
		response_headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qRecordDelivery = `UPDATE deliveries SET status = ?, attempts = attempts + 1, run_attempts = run_attempts + 1,
		next_attempt_at = ?, lease_token = NULL, last_attempt_at = ?, last_status_code = ?, last_error = ?,
		last_duration_ms = ?, finished_at = ?, updated_at = ? WHERE id = ?`
	qWriteHealth = `UPDATE endpoints SET enabled = ?, failure_count = ?, failures_since = ?, last_success_at = ?, last_failure_at = ?,
		disabled_reason = COALESCE(?, disabled_reason), updated_at = COALESCE(?, updated_at) WHERE id = ?`

	qSavepoint  = `SAVEPOINT job`
	qRollbackTo = `ROLLBACK TO job`
	qRelease    = `RELEASE job`
)

var hotQueries = []string{
	qTenantExists, qEventTypeExists, qSubscribers, qEventByKey, qEventByID, qInsertEvent, qInsertDelivery,
	qDueEndpoints, qEndpointLoad, qTenantLoad, qSpendTokens, qLease, qLeaseHead, qJobEndpoint, qValidSecrets,
	qLeaseToken, qEndpointHealth, qFailureStreak, qInsertAttempt, qRecordDelivery, qWriteHealth,
	qSavepoint, qRollbackTo, qRelease,
}
