-- Expert review, attachments, account details and 免申即享 of applications (issue 16).
--
-- users.is_expert: an account an admin has registered as 评审专家 (reviewers, or institution
-- users whose institution is then their work unit for conflicts of interest).
-- applications: the account the grant is paid into (开户银行, 账号, 户名), entered by the
-- applicant; origin 'applicant' or 'exempt' (drafted by a 免申即享 pass, confirmed by the
-- beneficiary); confirmed_at when the beneficiary confirmed such a draft (意愿确认).
-- application_files: the documents the call asks for (requirement: the call's name for it),
-- PDF or images recognised by content; the bytes live in the database like records' files.
-- expert_assignments: the experts the admin assigned to an application at 专家评审; conflict
-- holds the reason when the expert declared one (回避) and then neither scores nor counts;
-- scores the points per rubric item as a JSON list, total_points their sum.

ALTER TABLE users ADD COLUMN is_expert INTEGER NOT NULL DEFAULT 0;

ALTER TABLE applications ADD COLUMN bank_name TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN bank_account TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN account_name TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN origin TEXT NOT NULL DEFAULT 'applicant';
ALTER TABLE applications ADD COLUMN confirmed_at TEXT;

CREATE TABLE application_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    requirement TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX application_files_application ON application_files (application_id, id);

CREATE TABLE expert_assignments (
    application_id INTEGER NOT NULL REFERENCES applications (id),
    expert_id INTEGER NOT NULL REFERENCES users (id),
    assigned_by INTEGER REFERENCES users (id),
    assigned_at TEXT NOT NULL,
    conflict TEXT,
    scores TEXT,
    total_points INTEGER,
    comment TEXT NOT NULL DEFAULT '',
    scored_at TEXT,
    PRIMARY KEY (application_id, expert_id)
);
CREATE INDEX expert_assignments_expert ON expert_assignments (expert_id, application_id);
