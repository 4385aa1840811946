-- 0005 change notifications carry updated_at.
--
-- `examq serve` streams each change on processing_jobs_changes to HTTP clients as a Server-Sent
-- Event (issue 15). With the row's updated_at in the payload, the event is the notification
-- itself: every change reaches the client as it happened, none coalesced by re-reading the row,
-- and updated_at is the event's id, from which a reconnecting client resumes (re-read from the
-- table). Same construction as 0003 (concatenation; the text is json_build_object's).
--
-- Applied once by sql/install.sql (or `examq migrate`) inside a transaction.

CREATE OR REPLACE FUNCTION processing_job_change_payload(op text, j processing_jobs) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  -- Ids, numbers and short text only: never the payload, result or any PDF data. job_type is at
  -- most 100 characters by constraint and current_step is cut to 200, so this stays far under
  -- NOTIFY's 8000-byte limit. The text is what json_build_object(...)::text gives (a pgTAP test
  -- compares the two); to_json() escapes the strings and formats the timestamp.
  SELECT '{"op" : ' || coalesce(to_json(op)::text, 'null')
      || ', "id" : ' || coalesce('"' || j.id::text || '"', 'null')
      || ', "job_type" : ' || coalesce(to_json(j.job_type)::text, 'null')
      || ', "status" : ' || coalesce(to_json(j.status)::text, 'null')
      || ', "progress_percentage" : ' || coalesce(j.progress_percentage::text, 'null')
      || ', "current_step" : ' || coalesce(to_json(left(j.current_step, 200))::text, 'null')
      || ', "exam_paper_id" : ' || coalesce('"' || j.exam_paper_id::text || '"', 'null')
      || ', "retry_count" : ' || coalesce(j.retry_count::text, 'null')
      || ', "cancel_requested" : ' || coalesce(j.cancel_requested::text, 'null')
      || ', "updated_at" : ' || coalesce(to_json(j.updated_at)::text, 'null')
      || '}'
$$;
COMMENT ON FUNCTION processing_job_change_payload(text, processing_jobs) IS
  'The JSON sent on channel processing_jobs_changes for one job (with updated_at since 0005).';

SELECT examq_apply_api_role_privileges();
