-- Search and matchmaking (对接, arts. 2, 4, 9).
--
-- demands.wanted_trl: the least maturity an enterprise wants (期望成熟度), NULL for any.
-- record_changes: a feed of every change to an achievement or demand, written by triggers so no
-- write path can forget it; each server process reads it to keep its own search index current.
-- matches: one row per recommended (demand, achievement) pair and where it stands:
-- recommended → interested → negotiating → signed | terminated. score_milli is the matcher's
-- score × 1000 (integers only: the same column type on both backends); field and district are
-- the demand's, for the bureau's funnel.
-- notifications: messages to an institution inside the platform.

ALTER TABLE demands ADD COLUMN wanted_trl INTEGER;

CREATE TABLE record_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    record_id INTEGER NOT NULL
);

CREATE TRIGGER achievements_inserted AFTER INSERT ON achievements BEGIN
    INSERT INTO record_changes (kind, record_id) VALUES ('achievement', NEW.id);
END;
CREATE TRIGGER achievements_updated AFTER UPDATE ON achievements BEGIN
    INSERT INTO record_changes (kind, record_id) VALUES ('achievement', NEW.id);
END;
CREATE TRIGGER demands_inserted AFTER INSERT ON demands BEGIN
    INSERT INTO record_changes (kind, record_id) VALUES ('demand', NEW.id);
END;
CREATE TRIGGER demands_updated AFTER UPDATE ON demands BEGIN
    INSERT INTO record_changes (kind, record_id) VALUES ('demand', NEW.id);
END;
-- An institution's district or type is part of its records' index entries.
CREATE TRIGGER institutions_updated AFTER UPDATE ON institutions BEGIN
    INSERT INTO record_changes (kind, record_id)
        SELECT 'achievement', id FROM achievements WHERE institution_id = NEW.id;
    INSERT INTO record_changes (kind, record_id)
        SELECT 'demand', id FROM demands WHERE institution_id = NEW.id;
END;

CREATE TABLE matches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    demand_id INTEGER NOT NULL REFERENCES demands (id),
    achievement_id INTEGER NOT NULL REFERENCES achievements (id),
    score_milli INTEGER NOT NULL,
    reasons TEXT NOT NULL,
    stage TEXT NOT NULL,
    field TEXT NOT NULL,
    district TEXT NOT NULL,
    demand_interested INTEGER NOT NULL DEFAULT 0,
    achievement_interested INTEGER NOT NULL DEFAULT 0,
    recommended_at TEXT NOT NULL,
    interested_at TEXT,
    negotiating_at TEXT,
    closed_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (demand_id, achievement_id)
);
CREATE INDEX matches_demand ON matches (demand_id, score_milli);
CREATE INDEX matches_achievement ON matches (achievement_id, score_milli);
CREATE INDEX matches_stage ON matches (stage, field, district);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    message TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX notifications_institution ON notifications (institution_id, id);
