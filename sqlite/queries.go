package sqlite

// Statements of the hot paths (publish, claim, record), prepared once at Open.
const (
	qTenantExists    = `SELECT 1 FROM tenants WHERE id = ?`
	qEventTypeExists = `SELECT 1 FROM event_types WHERE name = ?`
	qSubscribers     = `SELECT id, enabled, event_types FROM endpoints WHERE tenant_id = ?`
	qEventByKey      = `SELECT id, deliveries, request_hash FROM events WHERE tenant_id = ? AND idempotency_key = ?`
	qEventByID       = `SELECT id, deliveries, request_hash FROM events WHERE tenant_id = ? AND id = ?`
	qInsertEvent     = `INSERT INTO events (tenant_id, id, type, payload, idempotency_key, request_hash, test, deliveries, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qInsertDelivery = `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, test, next_attempt_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	qDueEndpoints = `SELECT id, tenant_id, room, timeout_ms, rate_limit, rate_tokens, rate_updated_at FROM (
		SELECT e.id, e.tenant_id, e.timeout_ms, e.rate_limit, e.rate_tokens, e.rate_updated_at,
			e.max_in_flight - (SELECT COUNT(*) FROM deliveries l
				WHERE l.endpoint_id = e.id AND l.lease_token IS NOT NULL AND l.next_attempt_at > ?1) AS room,
			(SELECT MIN(d.next_attempt_at) FROM deliveries d
				WHERE d.endpoint_id = e.id AND d.status IN ('pending', 'retrying')) AS oldest
		FROM endpoints e)
		WHERE oldest <= ?1 ORDER BY oldest` // room > 0 is checked in Go: here it would count twice
	// qTenantLoad is a due tenant's own cap (0: none) and its live leases,
	// with those of its deleted endpoints' requests.
	qTenantLoad = `SELECT COALESCE(max_in_flight, 0), (SELECT COUNT(*) FROM deliveries
		WHERE tenant_id = ?1 AND lease_token IS NOT NULL AND next_attempt_at > ?2)
		+ (SELECT COUNT(*) FROM orphaned_leases WHERE tenant_id = ?1 AND lease_end > ?2) FROM tenants WHERE id = ?1`
	qSpendTokens = `UPDATE endpoints SET rate_tokens = ?, rate_updated_at = ? WHERE id = ?`
	qLease       = `UPDATE deliveries SET lease_token = ?, next_attempt_at = ?
		WHERE id IN (SELECT id FROM deliveries WHERE endpoint_id = ? AND status IN ('pending', 'retrying')
			AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)
		RETURNING id, tenant_id, event_id, event_type, test, attempts, run_attempts,
			(SELECT payload FROM events e WHERE e.tenant_id = deliveries.tenant_id AND e.id = deliveries.event_id),
			(SELECT created_at FROM events e WHERE e.tenant_id = deliveries.tenant_id AND e.id = deliveries.event_id)`
	qJobEndpoint  = `SELECT url, headers, retry_schedule, timeout_ms, signature_scheme FROM endpoints WHERE id = ?`
	qValidSecrets = `SELECT secret FROM endpoint_secrets WHERE endpoint_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id DESC`

	// An attempt whose delivery was deleted meanwhile (endpoint or tenant
	// removed while the request was in flight) has nothing left to log to.
	qInsertAttempt = `INSERT INTO attempts (id, delivery_id, number, at, url, request_headers, status_code, duration_ms, error, response_body, endpoint_id)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = ?2)`
	qRecordDelivery = `UPDATE deliveries SET status = ?, attempts = attempts + 1, run_attempts = run_attempts + 1,
		next_attempt_at = ?, lease_token = NULL, last_attempt_at = ?, last_status_code = ?, last_error = ?,
		last_duration_ms = ?, finished_at = ?, updated_at = ? WHERE id = ? AND lease_token = ?`
	qEndpointEnabled = `SELECT enabled FROM endpoints WHERE id = ?`
	qHealthSuccess   = `UPDATE endpoints SET failure_count = 0, failures_since = ?, last_success_at = ? WHERE id = ?`
	qHealthFailed    = `UPDATE endpoints SET failure_count = failure_count + 1, last_failure_at = ? WHERE id = ?`
	qHealthRetrying  = `UPDATE endpoints SET last_failure_at = ? WHERE id = ?`
	qFailureStreak   = `SELECT COUNT(DISTINCT d.event_id) FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
		WHERE d.endpoint_id = ? AND d.status = 'failed' AND d.test = 0 AND d.finished_at >= e.failures_since
		AND e.enabled = 1 AND e.failure_count >= ?`

	qSavepoint  = `SAVEPOINT job`
	qRollbackTo = `ROLLBACK TO job`
	qRelease    = `RELEASE job`
)

var hotQueries = []string{
	qTenantExists, qEventTypeExists, qSubscribers, qEventByKey, qEventByID, qInsertEvent, qInsertDelivery,
	qDueEndpoints, qTenantLoad, qSpendTokens, qLease, qJobEndpoint, qValidSecrets,
	qInsertAttempt, qRecordDelivery, qEndpointEnabled, qHealthSuccess, qHealthFailed, qHealthRetrying, qFailureStreak,
	qSavepoint, qRollbackTo, qRelease,
}
