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

	qTenantExists    = `SELECT 1 FROM tenants WHERE id = ?`
	qEventTypeExists = `SELECT 1 FROM event_types WHERE name = ?`
	qSubscribers     = `SELECT id, enabled, event_types, channels, filter FROM endpoints WHERE tenant_id = ? AND deleted_at IS NULL`
	qEventByKey      = `SELECT id, deliveries, request_hash FROM events WHERE tenant_id = ? AND idempotency_key = ?`
	qEventByID       = `SELECT id, deliveries, request_hash FROM events WHERE tenant_id = ? AND id = ?`
	qInsertEvent     = `INSERT INTO events (tenant_id, id, type, payload, idempotency_key, request_hash, test, deliveries, created_at, channels,
		traceparent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''))`
	qInsertDelivery = `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, test, next_attempt_at, created_at, updated_at, lease_token)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// qEndpointLoad is an endpoint's free in-flight slots and rate-limit
	// bucket, for a hand-off at publish (the claim's qDueEndpoints reads the same).
	qEndpointLoad = `SELECT e.tenant_id, e.max_in_flight - (SELECT COUNT(*) FROM deliveries l
			WHERE l.endpoint_id = e.id AND l.lease_token IS NOT NULL AND l.next_attempt_at > ?2),
		e.timeout_ms, e.rate_limit, e.rate_tokens, e.rate_updated_at FROM endpoints e WHERE e.id = ?1`

	// Starting from qWaiting, the claim's cost follows the endpoints with
	// work waiting, not every endpoint ever created.
	qDueEndpoints = qWaiting + ` SELECT e.id, e.tenant_id, e.max_in_flight - (SELECT COUNT(*) FROM deliveries l
			WHERE l.endpoint_id = e.id AND l.lease_token IS NOT NULL AND l.next_attempt_at > ?1) AS room,
		e.timeout_ms, e.rate_limit, e.rate_tokens, e.rate_updated_at
		FROM (SELECT endpoint_id, (SELECT MIN(d.next_attempt_at) FROM deliveries d
				WHERE d.endpoint_id = w.endpoint_id AND d.status IN ('pending', 'retrying')) AS oldest
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
	qLease = `UPDATE deliveries SET lease_token = ?, next_attempt_at = ?
		WHERE id IN (SELECT id FROM deliveries WHERE endpoint_id = ? AND status IN ('pending', 'retrying')
			AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT +?)
		RETURNING id, tenant_id, event_id, event_type, test, attempts, run_attempts,
			(SELECT payload FROM events e WHERE e.tenant_id = deliveries.tenant_id AND e.id = deliveries.event_id),
			(SELECT created_at FROM events e WHERE e.tenant_id = deliveries.tenant_id AND e.id = deliveries.event_id),
			(SELECT COALESCE(traceparent, '') FROM events e WHERE e.tenant_id = deliveries.tenant_id AND e.id = deliveries.event_id)`
	// qNextDue is the earliest of each waiting endpoint's next attempt.
	qNextDue = qWaiting + ` SELECT MIN((SELECT MIN(d.next_attempt_at) FROM deliveries d
		WHERE d.endpoint_id = w.endpoint_id AND d.status IN ('pending', 'retrying'))) FROM waiting w
		WHERE w.endpoint_id IS NOT NULL`
	qJobEndpoint  = `SELECT url, headers, retry_schedule, timeout_ms, signature_scheme FROM endpoints WHERE id = ?`
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
	qDueEndpoints, qEndpointLoad, qTenantLoad, qSpendTokens, qLease, qJobEndpoint, qValidSecrets,
	qLeaseToken, qEndpointHealth, qFailureStreak, qInsertAttempt, qRecordDelivery, qWriteHealth,
	qSavepoint, qRollbackTo, qRelease,
}
