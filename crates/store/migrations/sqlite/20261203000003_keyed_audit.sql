-- The keyed audit chain: entries written from now on carry an HMAC under a key kept outside the
-- database (keyed = 1); entries written before keep their plain hash (keyed = 0), and may only
-- come before the first keyed one.
ALTER TABLE audit_log ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;

-- Anchors: the head of the chain (sequence number and hash) at a moment worth remembering — a
-- published list issue, or an operator's `audit verify --anchor`. An anchor copied elsewhere
-- proves later that nothing up to it was rewritten and nothing after it was cut off.
CREATE TABLE audit_anchors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    at TEXT NOT NULL,
    purpose TEXT NOT NULL,
    issue_id INTEGER REFERENCES list_issues (id)
);
CREATE INDEX audit_anchors_issue ON audit_anchors (issue_id);
