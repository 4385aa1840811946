-- Complete them by deleting them, as graphile-worker does.
DELETE FROM @TABLE@ WHERE id = ANY (:ids::uuid[]) AND status IS NOT DISTINCT FROM 'processing';
