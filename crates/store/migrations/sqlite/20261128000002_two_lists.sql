-- The two lists (两项清单, art. 2): achievements, demands, their technical fields, and the
-- periodic list issues that freeze a snapshot of every listed record when published.
-- Money is stored in fen (integers); NULL price means 面议. Lists of codes are JSON text.

CREATE TABLE technical_fields (
    code TEXT PRIMARY KEY,
    label TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL
);
INSERT INTO technical_fields (code, label, position) VALUES
    ('biomedicine', '生物医药', 1),
    ('information-communication', '信息通信', 2),
    ('integrated-circuits', '集成电路', 3),
    ('intelligent-computing', '智能算力', 4),
    ('software', '软件和信息服务', 5),
    ('new-power', '新型电力', 6),
    ('high-end-equipment', '高端装备', 7),
    ('new-materials', '新材料', 8),
    ('new-energy', '新能源', 9),
    ('energy-saving', '节能环保', 10),
    ('modern-agriculture', '现代农业', 11),
    ('future-industries', '未来产业', 12),
    ('other', '其他', 13);

CREATE TABLE achievements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    field TEXT NOT NULL REFERENCES technical_fields (code),
    keywords TEXT NOT NULL,
    trl INTEGER NOT NULL,
    ip_items TEXT NOT NULL,
    transfer_modes TEXT NOT NULL,
    price_fen INTEGER,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    source_flags TEXT NOT NULL,
    review_comment TEXT,
    priority INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX achievements_status ON achievements (status, id);
CREATE INDEX achievements_institution ON achievements (institution_id, status);

CREATE TABLE demands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    field TEXT NOT NULL REFERENCES technical_fields (code),
    keywords TEXT NOT NULL,
    cooperation_modes TEXT NOT NULL,
    budget_min_fen INTEGER,
    budget_max_fen INTEGER,
    deadline TEXT,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    review_comment TEXT,
    priority INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX demands_status ON demands (status, id);
CREATE INDEX demands_institution ON demands (institution_id, status);

CREATE TABLE list_issues (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    published_at TEXT
);

-- One row per record in a published issue: the frozen snapshot (JSON of what was published),
-- its hash (to find what changed between issues) and the columns the public lists filter by.
CREATE TABLE list_entries (
    issue_id INTEGER NOT NULL REFERENCES list_issues (id),
    kind TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    field TEXT NOT NULL,
    district TEXT NOT NULL,
    institution_kind TEXT NOT NULL,
    trl INTEGER,
    modes TEXT NOT NULL,
    priority INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    snapshot_hash TEXT NOT NULL,
    PRIMARY KEY (issue_id, kind, record_id)
);
CREATE INDEX list_entries_field ON list_entries (issue_id, kind, field, record_id);
CREATE INDEX list_entries_district ON list_entries (issue_id, kind, district, record_id);
