-- 技术合同登记 (issue 18): registered technology contracts, their deductions, payments received,
-- history of changes, the aggregates the statistics page reads (kept current as contracts
-- change), the registry's number counters and the frozen yearly rankings.

CREATE TABLE tech_contracts (
    id BIGSERIAL PRIMARY KEY,
    registration_number TEXT UNIQUE,
    title TEXT NOT NULL,
    contract_type TEXT NOT NULL,
    contract_kind TEXT NOT NULL,
    equity_investment BIGINT NOT NULL DEFAULT 0,
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
    in_city BIGINT NOT NULL,
    field TEXT NOT NULL,
    ip_type TEXT NOT NULL,
    total_fen BIGINT NOT NULL,
    technology_fen BIGINT NOT NULL,
    related_party BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    stat_year BIGINT NOT NULL,
    stat_month BIGINT NOT NULL,
    registry_id BIGINT REFERENCES institutions (id),
    seller_institution_id BIGINT REFERENCES institutions (id),
    broker_institution_id BIGINT REFERENCES institutions (id),
    broker_name TEXT NOT NULL DEFAULT '',
    match_id BIGINT REFERENCES matches (id),
    achievement_id BIGINT REFERENCES achievements (id),
    source TEXT NOT NULL,
    accepted_on TEXT,
    due_on TEXT,
    registered_on TEXT,
    refusal_reason TEXT NOT NULL DEFAULT '',
    submitted_by BIGINT REFERENCES users (id),
    is_demo BIGINT NOT NULL DEFAULT 0,
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
    contract_id BIGINT NOT NULL REFERENCES tech_contracts (id),
    position BIGINT NOT NULL,
    item TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    PRIMARY KEY (contract_id, position)
);

CREATE TABLE contract_receipts (
    id BIGSERIAL PRIMARY KEY,
    contract_id BIGINT NOT NULL REFERENCES tech_contracts (id),
    received_on TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    recorded_by BIGINT REFERENCES users (id)
);
CREATE INDEX contract_receipts_contract ON contract_receipts (contract_id, received_on);

CREATE TABLE contract_history (
    id BIGSERIAL PRIMARY KEY,
    contract_id BIGINT NOT NULL REFERENCES tech_contracts (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    act TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    before_state TEXT
);
CREATE INDEX contract_history_contract ON contract_history (contract_id, id);

CREATE TABLE contract_files (
    contract_id BIGINT PRIMARY KEY REFERENCES tech_contracts (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    created_at TEXT NOT NULL
);

-- Registered contracts counted by one dimension (month, type, field, places, natures, in-city),
-- per year and per scope (the whole city, or a district: contracts whose seller or buyer is
-- there). Every change of a registered contract moves its counts in the same transaction.
CREATE TABLE contract_totals (
    scope TEXT NOT NULL,
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    stat_year BIGINT NOT NULL,
    contracts BIGINT NOT NULL,
    total_fen BIGINT NOT NULL,
    technology_fen BIGINT NOT NULL,
    PRIMARY KEY (scope, dimension, stat_year, key)
);

CREATE TABLE contract_number_counters (
    prefix TEXT PRIMARY KEY,
    last_serial BIGINT NOT NULL
);

CREATE TABLE ranking_snapshots (
    stat_year BIGINT PRIMARY KEY,
    figures TEXT NOT NULL,
    frozen_at TEXT NOT NULL,
    frozen_by BIGINT REFERENCES users (id)
);
