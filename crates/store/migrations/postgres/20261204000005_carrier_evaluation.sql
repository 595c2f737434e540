-- Carriers' recognition applications and yearly performance evaluation (issue 19).
--
-- carrier_applications: an institution applies for recognition (认定申请) of a carrier type;
-- the bureau recognises it within the type's quota (the carrier row is made then) or refuses.
-- carrier_reports: a carrier's yearly 绩效报告 (values and evidence by indicator code, JSON),
-- and the reviewers' scores of the judgement indicators (JSON), one per carrier and year.
-- carrier_evaluations: the result of a year per carrier (total, grade, the indicators'
-- explanation as JSON), provisional until the bureau confirms the year.
-- carrier_evaluation_years: a confirmed year (the row is the confirmation; one per year).
CREATE TABLE carrier_applications (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    carrier_type TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    carrier_id BIGINT REFERENCES carriers (id),
    decision_reason TEXT NOT NULL DEFAULT '',
    submitted_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX carrier_applications_status ON carrier_applications (status, id);
CREATE INDEX carrier_applications_institution ON carrier_applications (institution_id, id);

CREATE TABLE carrier_reports (
    id BIGSERIAL PRIMARY KEY,
    carrier_id BIGINT NOT NULL REFERENCES carriers (id),
    year BIGINT NOT NULL,
    status TEXT NOT NULL,
    reported TEXT NOT NULL,
    evidence TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    submitted_at TEXT,
    scores TEXT NOT NULL DEFAULT '{}',
    score_comment TEXT NOT NULL DEFAULT '',
    scored_by BIGINT REFERENCES users (id),
    scored_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (carrier_id, year)
);
CREATE INDEX carrier_reports_year ON carrier_reports (year, status);

CREATE TABLE carrier_evaluations (
    carrier_id BIGINT NOT NULL REFERENCES carriers (id),
    year BIGINT NOT NULL,
    total TEXT NOT NULL,
    grade TEXT NOT NULL,
    result TEXT NOT NULL,
    status TEXT NOT NULL,
    evaluated_at TEXT NOT NULL,
    PRIMARY KEY (carrier_id, year)
);
CREATE INDEX carrier_evaluations_year ON carrier_evaluations (year, grade);

CREATE TABLE carrier_evaluation_years (
    year BIGINT PRIMARY KEY,
    confirmed_by TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    withdrawn BIGINT NOT NULL DEFAULT 0
);
