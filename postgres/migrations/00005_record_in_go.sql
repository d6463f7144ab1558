-- The delivery state machine now lives once, in Go (hookd.PlanRecord in
-- record.go at the module root); postgres/record.go locks and reads a
-- batch's state, plans, and writes the plan in two pipelined round trips,
-- so the PL/pgSQL copy goes.

-- +goose Up
DROP FUNCTION hookd_record_batch;

-- +goose Down
-- Binaries from before this migration call the function: it comes back as
-- migrations/00003 made it.
-- +goose StatementBegin
CREATE FUNCTION hookd_record_batch(
    p_attempt_ids text[], p_delivery_ids text[], p_endpoint_ids text[], p_lease_tokens text[], p_tests boolean[],
    p_numbers integer[], p_ats timestamptz[], p_urls text[], p_headers text[], p_status_codes integer[],
    p_durations_ms bigint[], p_errors text[], p_bodies text[],
    p_successes boolean[], p_gones boolean[], p_nexts timestamptz[], p_now timestamptz
) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    i          integer;
    v_endpoint text;  -- the endpoint whose health the variables below hold
    v_found    boolean := false;
    v_dirty    boolean := false;
    v_enabled  boolean;
    v_count    integer;
    v_since    timestamptz;
    v_success  timestamptz;
    v_failure  timestamptz;
    v_reason   text;
    v_reason_at timestamptz;
    v_gone     boolean;
    v_status   text;
    v_next     timestamptz;
    v_finished timestamptz;
    v_streak   integer;
BEGIN
    -- One step past the last result writes the last endpoint's health.
    FOR i IN 1 .. coalesce(array_length(p_delivery_ids, 1), 0) + 1 LOOP
        IF v_endpoint IS DISTINCT FROM p_endpoint_ids[i] THEN
            IF v_dirty THEN
                UPDATE endpoints SET enabled = v_enabled, failure_count = v_count, failures_since = v_since,
                    last_success_at = v_success, last_failure_at = v_failure,
                    disabled_reason = coalesce(v_reason, disabled_reason), updated_at = coalesce(v_reason_at, updated_at)
                WHERE id = v_endpoint;
            END IF;
            EXIT WHEN i > coalesce(array_length(p_delivery_ids, 1), 0);
            v_endpoint := p_endpoint_ids[i];
            v_dirty := false; v_reason := NULL; v_reason_at := NULL;
            SELECT enabled, failure_count, failures_since, last_success_at, last_failure_at
            INTO v_enabled, v_count, v_since, v_success, v_failure
            FROM endpoints WHERE id = v_endpoint FOR NO KEY UPDATE;
            v_found := FOUND;
        END IF;
        -- The endpoint, and with it the delivery, may be gone (deleted while
        -- the request was in flight): then there is nothing to log to.
        CONTINUE WHEN NOT v_found;
        PERFORM 1 FROM deliveries WHERE id = p_delivery_ids[i] FOR UPDATE;
        CONTINUE WHEN NOT FOUND;
        INSERT INTO attempts (id, delivery_id, endpoint_id, number, at, url, request_headers, status_code, duration_ms, error, response_body)
        VALUES (p_attempt_ids[i], p_delivery_ids[i], v_endpoint, p_numbers[i], p_ats[i], p_urls[i], p_headers[i]::jsonb,
            p_status_codes[i], p_durations_ms[i], p_errors[i], p_bodies[i]);

        v_gone := p_gones[i] AND NOT p_tests[i] AND v_enabled;
        v_status := 'delivered'; v_next := NULL; v_finished := p_ats[i];
        IF p_successes[i] THEN
            NULL;
        ELSIF v_gone OR (NOT v_enabled AND NOT p_tests[i] AND p_nexts[i] IS NOT NULL) THEN
            v_status := 'paused'; v_finished := NULL;
        ELSIF p_nexts[i] IS NULL THEN
            v_status := 'failed';
        ELSE
            v_status := 'retrying'; v_next := p_nexts[i]; v_finished := NULL;
        END IF;
        UPDATE deliveries SET status = v_status, attempts = attempts + 1, run_attempts = run_attempts + 1,
            next_attempt_at = v_next, lease_token = NULL, last_attempt_at = p_ats[i], last_status_code = p_status_codes[i],
            last_error = p_errors[i], last_duration_ms = p_durations_ms[i], finished_at = v_finished, updated_at = p_now
        WHERE id = p_delivery_ids[i] AND lease_token = p_lease_tokens[i];
        -- A stale claim keeps its attempt in the log but changes nothing
        -- else; test deliveries never touch endpoint health.
        CONTINUE WHEN NOT FOUND OR p_tests[i];

        v_dirty := true;
        IF v_status = 'delivered' THEN
            v_count := 0; v_since := p_ats[i]; v_success := p_ats[i];
            CONTINUE;
        ELSIF v_status = 'failed' THEN
            v_count := v_count + 1;
        END IF;
        v_failure := p_ats[i];
        IF v_gone THEN
            v_reason := 'gone';
        ELSIF v_status = 'failed' AND v_enabled AND v_count >= 5 THEN
            SELECT count(DISTINCT event_id) INTO v_streak FROM deliveries
            WHERE endpoint_id = v_endpoint AND status = 'failed' AND NOT test AND finished_at >= v_since;
            IF v_streak >= 5 THEN
                v_reason := 'auto';
            END IF;
        END IF;
        IF v_reason IS NOT NULL AND v_enabled THEN
            v_enabled := false; v_reason_at := p_ats[i];
            -- As DisableEndpoint: one in flight keeps its lease, so its result still lands.
            UPDATE deliveries SET status = 'paused',
                next_attempt_at = CASE WHEN lease_token IS NULL THEN NULL ELSE next_attempt_at END, updated_at = p_ats[i]
            WHERE endpoint_id = v_endpoint AND status IN ('pending', 'retrying') AND NOT test;
            RETURN NEXT v_endpoint;
        END IF;
    END LOOP;
END
$$;
-- +goose StatementEnd
