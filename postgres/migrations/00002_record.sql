-- hookd_record applies one finished attempt: the attempt row, the delivery's
-- new state (only while the claim is still this one), the endpoint's health
-- and auto-disable. It is the same state machine as sqlite/queue.go (record,
-- applyHealth), kept in the database so that a whole batch of results costs
-- one round trip. It returns the endpoint's id when it disabled it.
-- Callers lock the endpoints of a batch first, in id order (see queue.go).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION hookd_record(
    p_attempt_id text, p_delivery_id text, p_endpoint_id text, p_lease_token text, p_test boolean,
    p_number integer, p_at timestamptz, p_url text, p_headers jsonb, p_status_code integer,
    p_duration_ms bigint, p_error text, p_body text,
    p_success boolean, p_gone boolean, p_next timestamptz, p_now timestamptz
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_enabled  boolean;
    v_gone     boolean;
    v_status   text := 'delivered';
    v_next     timestamptz;
    v_finished timestamptz := p_at;
    v_streak   integer;
    v_reason   text;
BEGIN
    -- The delivery may be gone (its endpoint or tenant deleted while the
    -- request was in flight): then there is nothing to log to.
    PERFORM 1 FROM deliveries WHERE id = p_delivery_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    INSERT INTO attempts (id, delivery_id, endpoint_id, number, at, url, request_headers, status_code, duration_ms, error, response_body)
    VALUES (p_attempt_id, p_delivery_id, p_endpoint_id, p_number, p_at, p_url, p_headers, p_status_code, p_duration_ms, p_error, p_body);

    SELECT enabled INTO v_enabled FROM endpoints WHERE id = p_endpoint_id;
    v_gone := p_gone AND NOT p_test AND v_enabled;
    IF p_success THEN
        NULL;
    ELSIF v_gone OR (NOT v_enabled AND NOT p_test AND p_next IS NOT NULL) THEN
        v_status := 'paused'; v_finished := NULL;
    ELSIF p_next IS NULL THEN
        v_status := 'failed';
    ELSE
        v_status := 'retrying'; v_next := p_next; v_finished := NULL;
    END IF;

    UPDATE deliveries SET status = v_status, attempts = attempts + 1, run_attempts = run_attempts + 1,
        next_attempt_at = v_next, lease_token = NULL, last_attempt_at = p_at, last_status_code = p_status_code,
        last_error = p_error, last_duration_ms = p_duration_ms, finished_at = v_finished, updated_at = p_now
    WHERE id = p_delivery_id AND lease_token = p_lease_token;
    -- A stale claim keeps its attempt in the log but changes nothing else;
    -- test deliveries never touch endpoint health.
    IF NOT FOUND OR p_test THEN
        RETURN NULL;
    END IF;

    IF v_status = 'delivered' THEN
        UPDATE endpoints SET failure_count = 0, failures_since = p_at, last_success_at = p_at WHERE id = p_endpoint_id;
        RETURN NULL;
    ELSIF v_status = 'failed' THEN
        UPDATE endpoints SET failure_count = failure_count + 1, last_failure_at = p_at WHERE id = p_endpoint_id;
    ELSE
        UPDATE endpoints SET last_failure_at = p_at WHERE id = p_endpoint_id;
    END IF;

    IF v_gone THEN
        v_reason := 'gone';
    ELSIF v_status = 'failed' THEN
        SELECT count(DISTINCT d.event_id) INTO v_streak FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
        WHERE d.endpoint_id = p_endpoint_id AND d.status = 'failed' AND NOT d.test AND d.finished_at >= e.failures_since
            AND e.enabled AND e.failure_count >= 5;
        IF v_streak >= 5 THEN
            v_reason := 'auto';
        END IF;
    END IF;
    IF v_reason IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE endpoints SET enabled = false, disabled_reason = v_reason, updated_at = p_at WHERE id = p_endpoint_id;
    -- As DisableEndpoint: one in flight keeps its lease, so its result still lands.
    UPDATE deliveries SET status = 'paused',
        next_attempt_at = CASE WHEN lease_token IS NULL THEN NULL ELSE next_attempt_at END, updated_at = p_at
    WHERE endpoint_id = p_endpoint_id AND status IN ('pending', 'retrying') AND NOT test;
    RETURN p_endpoint_id;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION hookd_record;
