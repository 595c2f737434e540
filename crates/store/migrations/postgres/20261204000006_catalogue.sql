-- 创新产品应用推荐目录 (art. 9, issue 19): enterprises apply to list an innovative product; the
-- bureau approves or refuses; a publication freezes the approved products not yet published as
-- one batch (第N批), each entry a snapshot with its single-source flag (首次投向市场).
CREATE TABLE catalogue_products (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    name TEXT NOT NULL,
    field TEXT NOT NULL,
    first_market_on TEXT NOT NULL,
    certificates TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    decision_reason TEXT NOT NULL DEFAULT '',
    catalogue_id BIGINT,
    submitted_by BIGINT REFERENCES users (id),
    is_demo BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX catalogue_products_status ON catalogue_products (status, catalogue_id, id);
CREATE INDEX catalogue_products_institution ON catalogue_products (institution_id, id);

CREATE TABLE catalogues (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL UNIQUE,
    batch BIGINT NOT NULL UNIQUE,
    published_on TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL
);

CREATE TABLE catalogue_entries (
    catalogue_id BIGINT NOT NULL REFERENCES catalogues (id),
    product_id BIGINT NOT NULL REFERENCES catalogue_products (id),
    position BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    single_source BIGINT NOT NULL,
    PRIMARY KEY (catalogue_id, product_id)
);
