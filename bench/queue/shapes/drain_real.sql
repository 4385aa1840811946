-- The product: claim and complete through the SQL API (functions, fencing, triggers, NOTIFY).
SELECT coalesce(array_agg(id), '{}')::text AS ids, coalesce(array_agg(attempts), '{}')::text AS atts
  FROM get_next_processing_jobs(200, 'w1', NULL, interval '60 s') \gset
SELECT count(*) FROM complete_processing_jobs(:ids::uuid[], NULL, 'w1', :atts::int[]);
