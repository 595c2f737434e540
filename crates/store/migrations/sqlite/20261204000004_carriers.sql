-- Recognised carriers (载体认定, issue 19): a carrier belongs to an institution and is of one
-- type of config/carrier-types.toml; it counts against the type's quota while recognised.
CREATE TABLE carriers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    carrier_type TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    recognised_on TEXT NOT NULL,
    withdrawn_on TEXT,
    withdraw_reason TEXT NOT NULL DEFAULT '',
    is_demo INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX carriers_type ON carriers (carrier_type, status);
CREATE INDEX carriers_institution ON carriers (institution_id, carrier_type, status);

-- One row per carrier type, updated at the start of every recognition of that type, so two
-- recognitions of one type wait for each other and the quota check sees the other's row.
CREATE TABLE carrier_type_locks (
    carrier_type TEXT PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT 0
);
