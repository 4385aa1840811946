-- Complete them as complete_processing_jobs does: one UPDATE from the sorted ids.
UPDATE @TABLE@ AS j SET status = 'completed', progress_percentage = 100, current_step = 'Completed',
       result = NULL, completed_at = now(), locked_until = NULL, updated_at = now()
  FROM (SELECT unnest(:ids::uuid[]) AS id ORDER BY 1) AS d
 WHERE j.id = d.id AND @RUNNING@;
