-- The deal flow on a match (issue 15, items 5 and 6): a match that leads somewhere.
--
-- users.is_tech_manager: 技术经理人 (art. 20), flagged by an admin (0/1).
-- matches.tech_manager_id: the technology manager an admin assigned to help the match along.
-- matches.termination_reason: why a side (or its technology manager) ended the match (终止).
-- match_messages: the thread (洽谈记录) of a match between its two institutions and its
-- technology manager; author_role is 'demand' or 'achievement' (the side the author's
-- institution holds) or 'tech-manager'.
-- notifications may now go to one account (user_id: a technology manager) instead of an
-- institution; exactly one of the two is set.

ALTER TABLE users ADD COLUMN is_tech_manager BIGINT NOT NULL DEFAULT 0;

ALTER TABLE matches ADD COLUMN tech_manager_id BIGINT REFERENCES users (id);
ALTER TABLE matches ADD COLUMN termination_reason TEXT;
CREATE INDEX matches_tech_manager ON matches (tech_manager_id);

CREATE TABLE match_messages (
    id BIGSERIAL PRIMARY KEY,
    match_id BIGINT NOT NULL REFERENCES matches (id),
    author_user_id BIGINT NOT NULL REFERENCES users (id),
    author_role TEXT NOT NULL,
    author_institution_id BIGINT REFERENCES institutions (id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX match_messages_match ON match_messages (match_id, id);

ALTER TABLE notifications ALTER COLUMN institution_id DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN user_id BIGINT REFERENCES users (id);
ALTER TABLE notifications ADD CONSTRAINT notifications_one_recipient
    CHECK ((institution_id IS NULL) <> (user_id IS NULL));
CREATE INDEX notifications_user ON notifications (user_id, id);
