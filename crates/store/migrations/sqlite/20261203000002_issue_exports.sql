-- The downloads (.pdf, .xlsx) of a published list issue, made once and served from here
-- afterwards: a published issue never changes, and building the PDF of a large issue takes
-- seconds and much memory. Stored in the database so every server process serves the same
-- bytes. A row is claimed with INSERT … ON CONFLICT DO NOTHING by the one builder (state
-- 'building', its token and a lease it renews while it works, so a crashed builder blocks
-- others only until lease_until); 'ready' rows have their bytes in issue_export_chunks.
-- builds counts completed builds (it stays 1 unless a stored copy had to be remade).
CREATE TABLE issue_exports (
    issue_id INTEGER NOT NULL REFERENCES list_issues (id),
    format TEXT NOT NULL,
    state TEXT NOT NULL,
    builder TEXT NOT NULL,
    lease_until TEXT NOT NULL,
    builds INTEGER NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    ready_at TEXT,
    PRIMARY KEY (issue_id, format)
);

-- The bytes of a ready export in pieces of at most 1 MiB, so a download streams piece by
-- piece instead of holding the whole file in memory.
CREATE TABLE issue_export_chunks (
    issue_id INTEGER NOT NULL,
    format TEXT NOT NULL,
    seq INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (issue_id, format, seq),
    FOREIGN KEY (issue_id, format) REFERENCES issue_exports (issue_id, format)
);
