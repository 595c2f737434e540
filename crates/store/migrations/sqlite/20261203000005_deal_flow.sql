-- The deal flow on a match (issue 15, items 5 and 6): a match that leads somewhere.
--
-- users.is_tech_manager: 技术经理人 (art. 20), flagged by an admin (0/1).
-- matches.tech_manager_id: the technology manager an admin assigned to help the match along.
-- matches.termination_reason: why a side (or its technology manager) ended the match (终止).
-- match_messages: the thread (洽谈记录) of a match between its two institutions and its
-- technology manager; author_role is 'demand' or 'achievement' (the side the author's
-- institution holds) or 'tech-manager'.
-- notifications may now go to one account (user_id: a technology manager) instead of an
-- institution; exactly one of the two is set. SQLite cannot drop a NOT NULL, so the table is
-- made again with its rows.

ALTER TABLE users ADD COLUMN is_tech_manager INTEGER NOT NULL DEFAULT 0;

ALTER TABLE matches ADD COLUMN tech_manager_id INTEGER REFERENCES users (id);
ALTER TABLE matches ADD COLUMN termination_reason TEXT;
CREATE INDEX matches_tech_manager ON matches (tech_manager_id);

CREATE TABLE match_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    match_id INTEGER NOT NULL REFERENCES matches (id),
    author_user_id INTEGER NOT NULL REFERENCES users (id),
    author_role TEXT NOT NULL,
    author_institution_id INTEGER REFERENCES institutions (id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX match_messages_match ON match_messages (match_id, id);

CREATE TABLE notifications_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER REFERENCES institutions (id),
    user_id INTEGER REFERENCES users (id),
    message TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT,
    CHECK ((institution_id IS NULL) <> (user_id IS NULL))
);
INSERT INTO notifications_new (id, institution_id, message, link, created_at, read_at)
    SELECT id, institution_id, message, link, created_at, read_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_institution ON notifications (institution_id, id);
CREATE INDEX notifications_user ON notifications (user_id, id);
