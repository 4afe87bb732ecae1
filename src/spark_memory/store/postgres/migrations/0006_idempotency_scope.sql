-- Idempotency keys are scoped to (org, agent, verb) and stored only as a hash, with a hash
-- of the request body so that a key reused for a different body is refused (409). Rows
-- from before held raw, org-wide keys (a client could put anything there): dropped.
DELETE FROM idempotency;
ALTER TABLE idempotency ADD COLUMN request_hash text NOT NULL DEFAULT '';
