-- 技术合同登记 (issue 18): registered technology contracts, their deductions, payments received,
-- history of changes, the aggregates the statistics page reads (kept current as contracts
-- change), the registry's number counters and the frozen yearly rankings.

CREATE TABLE tech_contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    registration_number TEXT UNIQUE,
    title TEXT NOT NULL,
    contract_type TEXT NOT NULL,
    contract_kind TEXT NOT NULL,
    equity_investment INTEGER NOT NULL DEFAULT 0,
    signed_on TEXT NOT NULL,
    valid_until TEXT,
    seller_name TEXT NOT NULL,
    seller_credit_code TEXT NOT NULL,
    seller_nature TEXT NOT NULL,
    seller_region TEXT NOT NULL,
    seller_place TEXT NOT NULL,
    buyer_name TEXT NOT NULL,
    buyer_credit_code TEXT NOT NULL,
    buyer_nature TEXT NOT NULL,
    buyer_region TEXT NOT NULL,
    buyer_place TEXT NOT NULL,
    in_city INTEGER NOT NULL,
    field TEXT NOT NULL,
    ip_type TEXT NOT NULL,
    total_fen INTEGER NOT NULL,
    technology_fen INTEGER NOT NULL,
    related_party INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    stat_year INTEGER NOT NULL,
    stat_month INTEGER NOT NULL,
    registry_id INTEGER REFERENCES institutions (id),
    seller_institution_id INTEGER REFERENCES institutions (id),
    broker_institution_id INTEGER REFERENCES institutions (id),
    broker_name TEXT NOT NULL DEFAULT '',
    match_id INTEGER REFERENCES matches (id),
    achievement_id INTEGER REFERENCES achievements (id),
    source TEXT NOT NULL,
    accepted_on TEXT,
    due_on TEXT,
    registered_on TEXT,
    refusal_reason TEXT NOT NULL DEFAULT '',
    submitted_by INTEGER REFERENCES users (id),
    is_demo INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX tech_contracts_year ON tech_contracts (stat_year, status, seller_nature);
CREATE INDEX tech_contracts_registry ON tech_contracts (registry_id, status, due_on);
CREATE INDEX tech_contracts_seller ON tech_contracts (seller_institution_id, status);
CREATE INDEX tech_contracts_seller_code ON tech_contracts (seller_credit_code, stat_year);
CREATE INDEX tech_contracts_buyer_code ON tech_contracts (buyer_credit_code, stat_year);
CREATE INDEX tech_contracts_match ON tech_contracts (match_id);

CREATE TABLE contract_deductions (
    contract_id INTEGER NOT NULL REFERENCES tech_contracts (id),
    position INTEGER NOT NULL,
    item TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    PRIMARY KEY (contract_id, position)
);

CREATE TABLE contract_receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES tech_contracts (id),
    received_on TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users (id)
);
CREATE INDEX contract_receipts_contract ON contract_receipts (contract_id, received_on);

CREATE TABLE contract_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES tech_contracts (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    act TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    before_state TEXT
);
CREATE INDEX contract_history_contract ON contract_history (contract_id, id);

CREATE TABLE contract_files (
    contract_id INTEGER PRIMARY KEY REFERENCES tech_contracts (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- Registered contracts counted by one dimension (month, type, field, places, natures, in-city),
-- per year and per scope (the whole city, or a district: contracts whose seller or buyer is
-- there). Every change of a registered contract moves its counts in the same transaction.
CREATE TABLE contract_totals (
    scope TEXT NOT NULL,
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    stat_year INTEGER NOT NULL,
    contracts INTEGER NOT NULL,
    total_fen INTEGER NOT NULL,
    technology_fen INTEGER NOT NULL,
    PRIMARY KEY (scope, dimension, stat_year, key)
);

CREATE TABLE contract_number_counters (
    prefix TEXT PRIMARY KEY,
    last_serial INTEGER NOT NULL
);

CREATE TABLE ranking_snapshots (
    stat_year INTEGER PRIMARY KEY,
    figures TEXT NOT NULL,
    frozen_at TEXT NOT NULL,
    frozen_by INTEGER REFERENCES users (id)
);
