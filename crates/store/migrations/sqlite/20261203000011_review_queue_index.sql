-- The review queues (issue 16): applications waiting at a step, the longest waiting first. Only
-- applications in review are indexed; the rest are listed by call or institution.
CREATE INDEX applications_waiting ON applications (step, updated_at, id) WHERE status = 'in_review';
