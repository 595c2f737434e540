-- Applications (申报, issue 16): calls for one or more policy measures, applications with their
-- facts and computed amount, the history of every step, and the ledger of reserved and paid
-- money that caps, one-time rules, quotas and budgets are checked against.
--
-- calls: times are UTC RFC 3339; applicant_types and districts are JSON lists of codes (empty:
-- any); attachments a JSON list of the documents an application must carry; rubric a JSON
-- list of {item, points} for expert review; notice_days the 公示 period in working days.
-- call_measures: the measures a call opens, each with its budget in fen.
-- applications: facts as the JSON object the policy engine reads; amount_fen what the engine
-- computed for them (approved_fen what the bureau fixed at 核定); policy_hash the measure's
-- policy file content hash it was computed with. step: the review step waiting (or the one
-- that returned or rejected it).
-- application_events: every submission and decision, with the comment, the amount and the
-- policy file version at the time.
-- ledger_entries: one per approved application; state reserved → paid, or released.
-- measure_locks: one row per measure, updated first by every 核定 of the measure, so two
-- approvals of the same measure take turns (a row lock on PostgreSQL; SQLite's write lock).

CREATE TABLE calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    guidance TEXT NOT NULL DEFAULT '',
    opens_at TEXT NOT NULL,
    closes_at TEXT NOT NULL,
    applicant_types TEXT NOT NULL DEFAULT '[]',
    districts TEXT NOT NULL DEFAULT '[]',
    attachments TEXT NOT NULL DEFAULT '[]',
    expert_review INTEGER NOT NULL DEFAULT 0,
    rubric TEXT NOT NULL DEFAULT '[]',
    notice_days INTEGER NOT NULL DEFAULT 5,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    is_demo INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX calls_closes ON calls (closes_at);

CREATE TABLE call_measures (
    call_id INTEGER NOT NULL REFERENCES calls (id),
    measure_id TEXT NOT NULL,
    budget_fen INTEGER NOT NULL,
    PRIMARY KEY (call_id, measure_id)
);

CREATE TABLE applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id INTEGER NOT NULL REFERENCES calls (id),
    measure_id TEXT NOT NULL,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    status TEXT NOT NULL,
    step TEXT,
    facts TEXT NOT NULL,
    eligible INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL,
    approved_fen INTEGER,
    trace TEXT NOT NULL,
    reasons TEXT NOT NULL DEFAULT '[]',
    policy_hash TEXT NOT NULL,
    integrity_accepted INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT
);
CREATE INDEX applications_call ON applications (call_id, status, step, id);
CREATE INDEX applications_institution ON applications (institution_id, id);

CREATE TABLE application_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    action TEXT NOT NULL,
    step TEXT,
    comment TEXT NOT NULL DEFAULT '',
    amount_fen INTEGER,
    facts TEXT,
    trace TEXT,
    policy_hash TEXT,
    user_id INTEGER REFERENCES users (id),
    at TEXT NOT NULL
);
CREATE INDEX application_events_application ON application_events (application_id, id);

CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL UNIQUE REFERENCES applications (id),
    call_id INTEGER NOT NULL REFERENCES calls (id),
    measure_id TEXT NOT NULL,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    beneficiary TEXT NOT NULL,
    granted_on TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ledger_entries_measure ON ledger_entries (measure_id, state);
CREATE INDEX ledger_entries_beneficiary ON ledger_entries (beneficiary, granted_on);

CREATE TABLE measure_locks (
    measure_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT 0
);

-- policy_versions: every version of the policy files a computation or decision was made with
-- (the article and supplement files as JSON), by the SHA-256 of that JSON, so a decision can be
-- evaluated again with exactly the files it used.
CREATE TABLE policy_versions (
    hash TEXT PRIMARY KEY,
    sources TEXT NOT NULL,
    created_at TEXT NOT NULL
);
