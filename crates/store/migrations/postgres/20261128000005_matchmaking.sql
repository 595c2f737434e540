-- Search and matchmaking (对接, arts. 2, 4, 9).
--
-- demands.wanted_trl: the least maturity an enterprise wants (期望成熟度), NULL for any.
-- record_changes: a feed of every change to an achievement or demand, written by triggers so no
-- write path can forget it; each server process reads it to keep its own search index current,
-- woken by NOTIFY zijin_records (sent once per statement, delivered at commit).
-- matches: one row per recommended (demand, achievement) pair and where it stands:
-- recommended → interested → negotiating → signed | terminated. score_milli is the matcher's
-- score × 1000; field and district are the demand's, for the bureau's funnel.
-- notifications: messages to an institution inside the platform.

ALTER TABLE demands ADD COLUMN wanted_trl BIGINT;

CREATE TABLE record_changes (
    seq BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    record_id BIGINT NOT NULL
);

CREATE FUNCTION zijin_note_record_change() RETURNS trigger AS $$
BEGIN
    INSERT INTO record_changes (kind, record_id) VALUES (TG_ARGV[0], NEW.id);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION zijin_announce_record_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('zijin_records', '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION zijin_note_institution_change() RETURNS trigger AS $$
BEGIN
    INSERT INTO record_changes (kind, record_id)
        SELECT 'achievement', id FROM achievements WHERE institution_id = NEW.id;
    INSERT INTO record_changes (kind, record_id)
        SELECT 'demand', id FROM demands WHERE institution_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER achievements_changed AFTER INSERT OR UPDATE ON achievements
    FOR EACH ROW EXECUTE FUNCTION zijin_note_record_change('achievement');
CREATE TRIGGER demands_changed AFTER INSERT OR UPDATE ON demands
    FOR EACH ROW EXECUTE FUNCTION zijin_note_record_change('demand');
CREATE TRIGGER institutions_changed AFTER UPDATE ON institutions
    FOR EACH ROW EXECUTE FUNCTION zijin_note_institution_change();
CREATE TRIGGER achievements_announced AFTER INSERT OR UPDATE ON achievements
    FOR EACH STATEMENT EXECUTE FUNCTION zijin_announce_record_change();
CREATE TRIGGER demands_announced AFTER INSERT OR UPDATE ON demands
    FOR EACH STATEMENT EXECUTE FUNCTION zijin_announce_record_change();
CREATE TRIGGER institutions_announced AFTER UPDATE ON institutions
    FOR EACH STATEMENT EXECUTE FUNCTION zijin_announce_record_change();

CREATE TABLE matches (
    id BIGSERIAL PRIMARY KEY,
    demand_id BIGINT NOT NULL REFERENCES demands (id),
    achievement_id BIGINT NOT NULL REFERENCES achievements (id),
    score_milli BIGINT NOT NULL,
    reasons TEXT NOT NULL,
    stage TEXT NOT NULL,
    field TEXT NOT NULL,
    district TEXT NOT NULL,
    demand_interested BIGINT NOT NULL DEFAULT 0,
    achievement_interested BIGINT NOT NULL DEFAULT 0,
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
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    message TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX notifications_institution ON notifications (institution_id, id);
